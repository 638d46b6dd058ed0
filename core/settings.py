"""The one place configuration is read: environment (prefix PAGESIGHT_) and an optional .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_data_dir", "get_settings"]

Profile = Literal["auto", "full", "lite", "tiny"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAGESIGHT_", env_file=".env", extra="ignore")

    # ---- Where everything lives (read by every layer): collections (Qdrant Edge shards), page images,
    # models built or exported here.
    data_dir: Path = Field(default_factory=lambda: default_data_dir(), description="one folder per user by default "
                           "(~/.local/share/pagesight on Linux), whatever the working directory")
    collection: str = "default"
    models_dir: Path | None = Field(default=None, description="local model folders; default <data_dir>/models")

    # ---- ingest/: rendering, extraction and OCR.
    render_dpi: int = 144
    min_render_dpi: int = 10
    page_image_format: Literal["jpeg", "png"] = Field(
        default="jpeg", description="page images as JPEG (quality 90; encoded 7x faster than PNG) or PNG (exact "
        "pixels, 2-6x the encoding time)")
    thumbnail_px: int = 256
    ocr_languages: str = Field(default="auto", description="what Tesseract reads scans in: auto (English, or the "
                               "language the document's pages show, with English: eng, fra, deu, spa, ita, por, "
                               "nld), or a list like fra+eng")
    ocr_dpi: int = 200
    ocr_min_chars: int = Field(default=24, description="a page with fewer visible characters is OCRed")
    figure_min_area: float = Field(default=0.02, description="smallest figure, as a fraction of the page area")
    max_figures_per_page: int = 24

    # ---- ingest/: limits. A file over any of these is refused with a clear error.
    max_pages: int = 2000
    max_page_pixels: int = Field(
        default=25_000_000, description="rendered page; larger pages are rendered at lower dpi"
    )
    max_image_pixels: int = Field(default=200_000_000, description="one embedded or input image, decoded")
    max_page_content_mb: float = Field(default=32.0, gt=0, description="a page's drawing instructions (its content "
                                       "streams and forms), decompressed")
    max_document_content_mb: float = Field(default=2048.0, gt=0, description="the drawing instructions of all "
                                           "the pages of a document, decompressed, as its pages read them")
    page_timeout_s: float = Field(default=120.0, description="a reader that finishes no page (or opens no file) for "
                                  "this long is stopped, and the file fails naming the page; a long file that "
                                  "keeps finishing pages is never stopped")

    # ---- index/: the profile and its encoders.
    profile: Profile = "auto"
    text_model: str | None = Field(
        default=None, description="the text channel's sentence encoder for new collections: "
        "intfloat/multilingual-e5-small (packaged, offline, about 100 languages), BAAI/bge-small-en-v1.5 "
        "(packaged, offline), a sentence-transformers name or path; default: the packaged all-MiniLM-L6-v2. A "
        "collection keeps the one it was built with")
    text_runtime: Literal["auto", "openvino", "onnx-int8", "onnx", "torch"] = Field(
        default="auto", description="what runs the text model: OpenVINO (bfloat16 where the processor has it, "
        "else float), ONNX Runtime (int8 or float) or torch; auto takes the one a collection records, and for a "
        "new one OpenVINO (ONNX Runtime float without it; bench/runtime.py)")
    page_model: str = Field(default="vidore/colqwen2-v1.0", description="ColQwen2 / ColQwen2.5 / ColPali")
    image_model: str = Field(default="openai/clip-vit-base-patch32", description="CLIP or SigLIP")
    generator_model: str = "Qwen/Qwen2-VL-2B-Instruct"
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    max_visual_tokens: int = Field(default=768, description="page image resolution for the page encoder")
    page_batch_size: int = 2
    image_batch_size: int = 16
    torch_threads: int = Field(default=1, description="threads for torch and BLAS: on a small shared machine "
                               "one is often fastest")
    encode_workers: int = Field(default=0, ge=0, description="threads that encode an ingest's texts side by side "
                                "(ONNX Runtime, OpenVINO), each single-threaded; 0: one per core")
    page_text_vectors: bool = Field(default=False, description="a dense text vector for each page's whole text "
                                    "as well as for its passages (off: bench/textenc.py measured the fused ranking "
                                    "better without them, for fewer texts; bench/results/textenc.json)")
    bm25_language: str = Field(default="auto", description="BM25's stemmer and stop words for new collections: auto "
                               "(each page in its own language, each question in its own), or one for all: english, "
                               "french, german, ... A collection keeps the one it was built with")
    rerank_tokens: int = Field(default=256, ge=32, le=512, description="word pieces of a question and a passage")

    # ---- index/: how page multi-vectors are stored; fixed when a collection is created (bench/encode.py,
    # bench/compact.py).
    page_datatype: Literal["float32", "float16"] = "float32"
    page_quantization: Literal["none", "scalar", "binary"] = "none"
    page_pooling: Literal["none", "mean", "clusters", "tokens"] = Field(
        default="clusters", description="companion vectors per page for a cheap first pass (bench/query.py)"
    )
    page_pool_rows: int = Field(default=32, ge=1, description="clusters: k-means centroids kept per page")
    page_pool_factor: int = Field(default=4, ge=1, description="token pooling: about n_tokens / factor vectors remain")

    # ---- index/: a Qdrant server or cluster instead of the embedded store; shards, copies and write confirmations
    # apply when PageSight creates a collection on the server.
    qdrant_url: str | None = None
    qdrant_api_key: str | None = None
    qdrant_shard_number: int = Field(default=1, ge=1, description="shards of a new collection (spread over nodes)")
    qdrant_replication_factor: int = Field(default=1, ge=1, description="copies of each shard")
    qdrant_write_consistency_factor: int = Field(default=1, ge=1, description="replicas that confirm each write")
    qdrant_on_disk_vectors: bool = Field(default=False, description="keep text and image vectors on disk too "
                                         "(page multi-vectors always are)")

    # ---- retrieve/: reciprocal rank fusion of the channels, weighted, then the steps (retrieve/steps.py), each
    # fused in turn. Each default was chosen by a benchmark on part of the dev sets' questions and checked on
    # the rest (bench/fusion.py, bench/headings.py, bench/steps.py; their figures: bench/results/, and
    # docs/evaluation.md). Figures count half: a figure match says less about a page than its own vectors.
    fusion_weights: dict[str, float] = Field(
        default_factory=lambda: {"visual": 1.0, "figure": 0.5, "text": 1.0, "bm25": 1.0}
    )
    fusion_depth: int = Field(default=40, ge=1, description="pages each channel hands to the fusion (at least k)")
    rrf_k: int = 60
    bm25_scope: Literal["candidates", "collection"] = Field(
        default="collection", description="in fused search, BM25 ranks the whole collection, or only the pages "
        "the dense channels found (what it did before the named-documents step told filings apart: "
        "docs/evaluation.md)")
    named_weight: float = Field(default=0.5, ge=0, description="weight of the search within the documents a "
                                "question names by their titles (retrieve/scope.py); 0 turns it off")
    pages_weight: float = Field(default=2.0, ge=0, description="weight of the pages a question names by number "
                                "(\"on page 17\", retrieve/pages.py) of the documents it is about; 0 turns it off")
    heading_weight: float = Field(default=2.0, ge=0, description="weight of the pages of the named documents "
                                  "headed by a financial statement the question names (retrieve/retriever.py); "
                                  "0 turns it off")
    reranker: str | None = Field(default="cross-encoder/ms-marco-MiniLM-L-12-v2", description="a packaged "
                                 "cross-encoder (index/packaged.py)")
    rerank_weight: float = Field(default=0.0, ge=0, description="weight of the cross-encoder's ranking in the "
                                 "fusion; 0 turns the step off")
    rerank_pages: int = Field(default=20, ge=1, le=100, description="the fused ranking's first pages it reads")
    rerank_passages: int = Field(default=2, ge=1, le=8, description="passages it reads of each page")
    lead_weight: float = Field(default=1.0, ge=0, description="weight of BM25's first page when it leads its "
                               "second clearly (retrieve/steps.py); 0 turns the step off")
    lead_ratio: float = Field(default=1.25, ge=1.0, description="a clear lead: BM25's first score at least this "
                              "many times its second's")
    visual_candidates: int = Field(default=100, ge=1, description="pages the visual first pass hands to exact MaxSim")

    # ---- generate/: the answerers.
    answerer: Literal["auto", "local", "remote", "extractive"] = Field(
        default="auto", description="auto: remote when PAGESIGHT_REMOTE_URL is set, local when the full profile's "
        "generator is on disk, else extractive",
    )
    answer_max_pixels: int = Field(default=602_112, description="pixel budget per page image (768 x 28 x 28)")
    answer_page_text: bool = Field(default=True, description="give the VLM the page text too, fenced, as a hint")
    answer_max_new_tokens: int = 512

    # ---- generate/: an OpenAI-compatible chat-completions endpoint that accepts images (vLLM, Ollama, TGI, hosted).
    remote_url: str | None = Field(default=None, description="base URL, e.g. http://localhost:8000/v1")
    remote_model: str = "Qwen/Qwen2-VL-2B-Instruct"
    remote_api_key: str | None = None
    remote_timeout_s: float = 120.0
    remote_retries: int = 2

    # ---- api/, the wiring: the ingest pipeline's workers and budgets.
    max_file_mb: float = 200.0
    extract_workers: int = Field(default=0, ge=0, description="extraction worker processes; 0: one per core")
    worker_memory_mb: int = Field(default=3072, description="address-space cap of each extraction worker")
    worker_recycle_pages: int = Field(default=2000, ge=1, description="an extraction worker is replaced by a fresh "
                                      "one after reading this many pages")
    worker_recycle_mb: int | None = Field(default=None, ge=64, description="... or when it holds this much memory "
                                          "after a file's pages (default: half of worker_memory_mb)")
    page_budget_s: float = Field(default=5.0, gt=0, description="a document's reading may take this many seconds of "
                                 "the workers' time a page on average (after two minutes of grace); beyond, it "
                                 "is stopped")
    document_budget_s: float = Field(default=7200.0, gt=0, description="and never more than this in all")

    # ---- api/, the wiring: answers, follow-ups (bench/followup.py) and pictures asked as questions (read by OCR as a
    # scan is, then searched by their words; bench/picture.py chose how).
    answer_pages: int = Field(default=3, description="top pages the answerer reads")
    answer_concurrency: int = Field(default=4, ge=1, description="answers generated at once by one process")
    answer_queue: int = Field(default=16, ge=0, description="answers that may wait for a turn; beyond, a server "
                              "answers 503 with Retry-After (a slow remote answerer then never takes every thread)")
    followup_scope: bool = Field(default=False, description="search a follow-up only in the documents the "
                                 "previous answer cited (when it names no new subject or period)")
    max_picture_mb: float = Field(default=20.0, gt=0, description="one picture asked as a question")
    max_picture_side_px: int = Field(default=20_000, ge=16, description="a picture's longest side, in pixels")
    picture_side_px: int = Field(default=2400, ge=256, description="a picture's long side is brought to this many "
                                 "pixels before OCR (small text upscaled, at most 3x; large photos brought down)")
    picture_word_channels: str = Field(default="bm25", description="the channels that search a picture's words "
                                       "(comma-separated: bm25, text); the channels that embed a picture itself "
                                       "(visual, figure) join them in the full profile")
    picture_rerank_depth: int = Field(default=20, ge=1, description="a picture's words find this many pages, "
                                      "ranked then by the share of its words each holds (1: the search's order)")
    picture_min_held: float = Field(default=0.4, ge=0, le=1, description="the share of a picture's words the best "
                                    "page found must hold; below it the picture is taken for one of nothing in "
                                    "these documents")

    # ---- api/, the wiring: a client of a running server (open_backend: the command line and any program).
    server: str | None = Field(default=None, description="send commands to the `pagesight serve` at this URL "
                               "(a server running on this data folder is found without it)")
    server_api_key: str | None = Field(default=None, description="the API key sent to that server: one of its "
                                       "PAGESIGHT_API_KEYS (a server on this data folder needs none)")

    # ---- api/server/: the REST API (pagesight serve) and the app's own state (conversations, jobs): SQLite in the
    # data folder, or a PostgreSQL URL (postgresql://user:password@host/db).
    api_keys: str | None = Field(default=None, description="comma-separated; when set, every route but /health "
                                 "needs Authorization: Bearer <key>")
    cors_origins: str | None = Field(default=None, description="comma-separated origins; CORS is closed when unset")
    allowed_hosts: str | None = Field(default=None, description="comma-separated Host names the server answers to "
                                      "besides its loopback names (\"*\": any); default: the name it is bound to, "
                                      "or any when bound to every interface")
    public_docs: bool = Field(default=True, description="with API keys set, serve /docs, /redoc and /openapi.json "
                              "without a key (they describe the API, they hold no data); false: behind the key too")
    database_url: str | None = Field(default=None, description="default: sqlite:///<data_dir>/pagesight.db")
    job_retention_h: float = Field(default=24.0, ge=0, description="finished upload jobs are kept this many hours")
    conversation_max_messages: int = Field(default=1000, ge=1, description="messages a conversation may hold; a "
                                           "question beyond is refused (409): start a new conversation")
    max_upload_mb: float = Field(default=512.0, description="one upload request, all its files together")
    max_upload_files: int = 100
    ingest_concurrency: int = Field(default=2, ge=1, description="upload jobs run at once, of different keys (one "
                                    "key's jobs run one after another; the keys take turns)")
    locale: Literal["auto", "en", "fr"] = Field(default="auto", description="the language of messages: auto (the "
                                                "request's Accept-Language, the terminal's LANG, the browser's "
                                                "language), en or fr; an answer speaks its question's language")

    def model_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    def collection_dir(self, collection: str | None = None) -> Path:
        return self.data_dir / "collections" / (collection or self.collection)

    def database(self) -> str:
        """The database URL, with the driver PageSight installs (psycopg 3) for a plain postgresql:// URL."""
        url = self.database_url or f"sqlite:///{self.data_dir / 'pagesight.db'}"
        for plain in ("postgresql://", "postgres://"):
            if url.startswith(plain):
                return "postgresql+psycopg://" + url[len(plain):]
        return url


def default_data_dir() -> Path:
    """The platform's per-user data folder for PageSight (XDG on Linux, Application Support on macOS)."""
    from platformdirs import user_data_path

    return user_data_path("pagesight", appauthor=False)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
