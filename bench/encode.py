"""Encoder speed per page (tiny and lite profiles) and bytes per page for each page-vector storage option.

    python bench/encode.py [--pages 8] [--storage-pages 200] [--out bench/results/encode.json]

Speed: real pages (the sample PDF and a test-style report, rendered at 144 dpi) through each
encoder, one torch thread. Storage: pages of the real shape (1,030 x 128, ColQwen2 at its default
resolution) into an embedded collection per option, optimised, then the shard's size on disk
(its segments, less those of the empty collection, after optimisation; the write-ahead log
is left out) divided by the pages; next to it the raw size of the vectors that option keeps.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
TOKENS, DIM = 1030, 128


def page_images(n: int) -> list:
    import pymupdf
    from PIL import Image

    from pagesight.api.cli.sample import write_sample_pdf

    with tempfile.TemporaryDirectory() as tmp:
        doc = pymupdf.open(write_sample_pdf(Path(tmp) / "sample.pdf"))
        images = []
        while len(images) < n:
            page = doc[len(images) % doc.page_count]
            pix = page.get_pixmap(dpi=144)
            images.append(Image.frombytes("RGB", (pix.width, pix.height), pix.samples))
    return images


def timed(fn, items) -> float:
    fn(items[:1])  # warm-up: first-call allocations are not per-page cost
    started = time.perf_counter()
    fn(items)
    return (time.perf_counter() - started) / len(items)


def encoder_speed(n: int, models_dir: Path) -> list[dict]:
    import torch

    from pagesight.index.encoders import SentenceTransformerEncoder
    from pagesight.index.tiny import build_tiny_models
    from pagesight.index.vision import ClipImageEncoder, ColVisionEncoder

    torch.set_num_threads(1)
    images = page_images(n)
    texts = ["Lighthouses guided ships along dangerous coasts for centuries. " * 12] * n  # ~130 words a page
    tiny = build_tiny_models(models_dir)
    rows = []
    text = SentenceTransformerEncoder()
    rows.append({"profile": "lite, tiny", "encoder": "all-MiniLM-L6-v2 (page text)",
                 "s_per_page": timed(text.encode, texts)})
    for name in ("colqwen2", "colpali"):
        encoder = ColVisionEncoder(str(tiny[name]), device="cpu", batch_size=2)
        rows.append({"profile": "tiny", "encoder": f"{name} (random, tiny)",
                     "s_per_page": timed(encoder.encode_pages, images)})
    clip = ClipImageEncoder(str(tiny["clip"]), device="cpu")
    rows.append({"profile": "tiny", "encoder": "clip (random, tiny)", "s_per_page": timed(clip.encode_images, images)})
    return rows


def storage_bytes(n_pages: int) -> list[dict]:
    import numpy as np

    from pagesight.core.types import Document, Page
    from pagesight.index.edge import EdgeStore
    from pagesight.index.encoders import EncoderSpec
    from pagesight.index.points import DocumentVectors
    from pagesight.index.pooling import pool_page
    from pagesight.index.store import CollectionSchema, PageStorage, now

    rng = np.random.default_rng(0)
    topics = rng.normal(size=(64, DIM))
    options = {
        "float32": PageStorage("float32", "none", "none"),
        "float16": PageStorage("float16", "none", "none"),
        "float32 + scalar int8": PageStorage("float32", "scalar", "none"),
        "float32 + binary": PageStorage("float32", "binary", "none"),
        "float32 + 32 centroids (default)": PageStorage("float32", "none", "clusters", pool_rows=32),
        "float32 + mean-pooled companion": PageStorage("float32", "none", "mean"),
        "float32 + token-pooled companion (/4)": PageStorage("float32", "none", "tokens", 4),
        "float16 + scalar int8 + mean-pooled": PageStorage("float16", "scalar", "mean"),
    }
    raw_element = {"float32": 4, "float16": 2}
    rows = []
    for label, storage in options.items():
        with tempfile.TemporaryDirectory() as tmp:
            store = EdgeStore(Path(tmp) / "c", "c")
            store.ensure_schema(CollectionSchema(page=EncoderSpec("bench", "1", DIM), page_storage=storage))
            segments = Path(tmp) / "c" / "shard" / "segments"
            empty = _size(segments)  # preallocated files: the collection's fixed cost, not a page's
            pooled_rows = 0
            for i in range(n_pages):
                own = topics[rng.choice(len(topics), size=4, replace=False)]
                multi = own[rng.integers(0, 4, size=TOKENS)] + 0.5 * rng.normal(size=(TOKENS, DIM))
                multi = (multi / np.linalg.norm(multi, axis=1, keepdims=True)).astype(np.float32)
                vectors = DocumentVectors(page_multi={1: multi})
                if (pooled := pool_page(multi, storage)) is not None:
                    vectors.page_pooled[1] = pooled
                    pooled_rows += len(pooled)
                staging = store.images.new_staging(f"d{i}")
                staging.mkdir(parents=True)
                page = Page(number=1, width=1, height=1, image_width=1, image_height=1, image="p", thumbnail="t")
                doc = Document(id=f"d{i}", file_name="x", source=f"/{i}", media_type="application/pdf", pages=1,
                               ingested_at=now())
                store.add_document(doc, [page], vectors, staging)
            store.optimize()
            store.close()
            disk = _size(segments) - empty
        raw = TOKENS * DIM * raw_element[storage.datatype]
        raw += {"none": 0, "scalar": TOKENS * DIM, "binary": TOKENS * DIM // 8}[storage.quantization]
        raw += pooled_rows / n_pages * DIM * 4
        rows.append({"option": label, "raw_bytes_per_page": int(raw), "disk_bytes_per_page": int(disk / n_pages)})
    return rows


def _size(folder: Path) -> int:
    """Bytes the files of a folder occupy on disk (sparse, preallocated files count what they use)."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--storage-pages", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "encode.json")
    args = parser.parse_args()

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, 1 torch thread"
    with tempfile.TemporaryDirectory() as models:
        speed = encoder_speed(args.pages, Path(models))
    storage = storage_bytes(args.storage_pages)

    print(f"encoders, seconds per page ({machine})")
    print(f"{'profile':<11} {'encoder':<32} {'s/page':>8}")
    for r in speed:
        print(f"{r['profile']:<11} {r['encoder']:<32} {r['s_per_page']:>8.4f}")
    print(f"\npage vectors of {TOKENS} x {DIM}, bytes per page ({args.storage_pages} pages, Qdrant Edge, optimised)")
    print(f"{'option':<40} {'raw':>10} {'on disk':>10}")
    for r in storage:
        print(f"{r['option']:<40} {r['raw_bytes_per_page']:>10,} {r['disk_bytes_per_page']:>10,}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "date": time.strftime("%Y-%m-%d"), "speed": speed,
                                    "storage": storage}, indent=2) + "\n")
    print(f"\nwritten to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
