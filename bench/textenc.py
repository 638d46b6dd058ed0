"""The text encoder's runtimes and units, measured on dev-set collections: what each costs and what it
finds.

    python bench/textenc.py --set financebench=DATA_DIR:QUESTIONS --set officeqa=DATA_DIR:QUESTIONS \
        [--runtimes torch,onnx,onnx-int8] [--cache DIR] [--out bench/results/textenc.json]

For each collection (built by `pagesight eval --docs` or `pagesight ingest`), the texts its text vectors
were made from (each page's text and its passages, each read with its document's title, as the indexer
reads them) are encoded anew by each runtime; every question is then searched as the retriever
searches: the text channel by exact cosine over those vectors (the best point per page), BM25 from the
collection itself over the text channel's candidate pages, fused by the retriever's own fusion. Two
units are compared: page text and passages (the indexer's default), and passages only. Figures: R@5,
nDCG@5 and MRR of the text channel and of the fused ranking, and milliseconds per text (one thread).

An hour of encoding per runtime and set is usual here, so with --cache the encodings are kept in chunks
of 2,048 texts and a stopped run goes on where it stopped; rows are merged into --out by (set, runtime,
units), so sets and runtimes can be measured in separate runs.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from common import DEV_SET_HELP, dev_sets, write_results  # noqa: E402
from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from pagesight.core.settings import Settings  # noqa: E402
from pagesight.core.types import Hit, title_of  # noqa: E402
from pagesight.index import open_store  # noqa: E402
from pagesight.index.encoders import Bm25Encoder  # noqa: E402
from pagesight.index.layout import (  # noqa: E402
    LIVE,
    SPARSE_VECTOR,
    SearchFilter,  # noqa: E402
)
from pagesight.index.profiles import load_text_encoder  # noqa: E402
from pagesight.retrieve.evaluate import read_questions  # noqa: E402
from pagesight.retrieve.metrics import mean, mrr, ndcg_at_k, recall_at_k  # noqa: E402
from pagesight.retrieve.retriever import fuse  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def texts_of(store) -> tuple[list[str], list[tuple[str, int, str]], dict[str, str]]:
    """Every text a text vector was made from: (text with its title, (doc id, page, kind)); file names by id."""
    names = {d.id: d.file_name for d in store.documents()}
    texts, keys, offset = [], [], None
    from pagesight.index.layout import AllOf, Match, MatchAny

    condition = AllOf((Match("state", LIVE), MatchAny("kind", ("page", "block"))))
    while True:
        records, offset = store._scroll(condition, offset=offset, limit=512)  # noqa: SLF001 (a benchmark's look inside)
        for r in records:
            p = r.payload
            if p.get("text", "").strip() and p["doc_id"] in names:
                texts.append(f"{title_of(names[p['doc_id']])}\n{p['text']}")
                keys.append((p["doc_id"], p["page"], p["kind"]))
        if offset is None:
            return texts, keys, names


def ranking(scores: np.ndarray, keys: list, names: dict, use: np.ndarray, depth: int = 40) -> list[Hit]:
    best: dict[tuple[str, int], float] = {}
    for i in np.argsort(-np.where(use, scores, -np.inf))[: depth * 8]:
        if not use[i]:
            break
        doc, page, _ = keys[i]
        best.setdefault((doc, page), float(scores[i]))
        if len(best) == depth:
            break
    return [Hit(doc_id=d, file_name=names[d], page=p, score=s, channels=["text"]) for (d, p), s in best.items()]


CHUNK = 2048


def encode_all(encoder, texts: list[str], cache: Path | None) -> tuple[np.ndarray, float]:
    """Every text's vector, and milliseconds per text (over every chunk encoded, in this run or in
    the earlier runs that left chunks in `cache`)."""
    timing = cache / "timing.json" if cache else None
    spent = json.loads(timing.read_text()) if timing and timing.exists() else {"seconds": 0.0, "texts": 0}
    parts = []
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start : start + CHUNK]
        kept = cache / f"{start:07d}-{len(chunk)}.npy" if cache else None
        if kept and kept.exists():
            parts.append(np.load(kept))
            continue
        began = time.perf_counter()
        part = encoder.encode(chunk)
        spent["seconds"] += time.perf_counter() - began
        spent["texts"] += len(chunk)
        if kept:
            kept.parent.mkdir(parents=True, exist_ok=True)
            np.save(kept.with_suffix(".part.npy"), part)
            kept.with_suffix(".part.npy").replace(kept)
            timing.write_text(json.dumps(spent))
        parts.append(part)
        print(f"  {start + len(chunk)}/{len(texts)} texts", flush=True)
    return np.concatenate(parts), 1000 * spent["seconds"] / max(spent["texts"], 1)


def merged(out: Path, rows: list[dict]) -> list[dict]:
    """The rows already in `out` that this run did not measure again, then this run's."""
    key = lambda r: (r["set"], r["runtime"], r["units"])  # noqa: E731
    fresh = {key(r) for r in rows}
    old = json.loads(out.read_text()).get("rows", []) if out.exists() else []
    return [r for r in old if key(r) not in fresh] + rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", required=True, help=DEV_SET_HELP)
    parser.add_argument("--runtimes", default="torch,onnx,onnx-int8")
    parser.add_argument("--cache", type=Path, help="a folder to keep encodings in (resumable runs)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "textenc.json")
    args = parser.parse_args()
    machine = machine_name("one thread")
    bm25 = Bm25Encoder()
    rows = []
    for name, data, questions_path in dev_sets(args.set):
        settings = Settings(_env_file=None, data_dir=data, profile="lite")
        questions = read_questions(questions_path)
        with open_store(settings) as store:
            texts, keys, names = texts_of(store)
            is_page = np.array([k[2] == "page" for k in keys])
            print(f"{name}: {len(texts)} texts ({int(is_page.sum())} pages), {len(questions)} questions", flush=True)
            for runtime in args.runtimes.split(","):
                encoder = load_text_encoder(settings, runtime)
                cache = args.cache / name / runtime if args.cache else None
                matrix, ms_per_text = encode_all(encoder, texts, cache)  # (n_texts, dim)
                for units, use in (("pages+passages", np.ones(len(keys), bool)), ("passages", ~is_page)):
                    text_r, fused_r = [], []
                    for q in questions:
                        scores = matrix @ encoder.encode([q.text], query=True)[0]
                        text_hits = ranking(scores, keys, names, use)
                        within = tuple((h.doc_id, h.page) for h in text_hits)
                        found = store.search(SPARSE_VECTOR, bm25.encode_query(q.text), 160, ("page", "block"),
                                             SearchFilter(within=within))
                        bm25_best: dict = {}
                        for s in found:
                            bm25_best.setdefault((s.payload["doc_id"], s.payload["page"]), s.score)
                        bm25_hits = [Hit(doc_id=d, file_name=names[d], page=p, score=v, channels=["bm25"])
                                     for (d, p), v in list(bm25_best.items())[:40]]
                        fused = fuse({"text": text_hits, "bm25": bm25_hits}, settings.fusion_weights, settings.rrf_k)
                        text_r.append([(Path(h.file_name).stem, h.page) for h in text_hits])
                        fused_r.append([(Path(h.file_name).stem, h.page) for h in fused])
                    row = {"set": name, "runtime": runtime, "units": units, "ms_per_text": round(ms_per_text, 1),
                           "texts": int(use.sum())}
                    for label, ranked in (("text", text_r), ("fused", fused_r)):
                        pairs = list(zip(ranked, (q.relevant for q in questions), strict=True))
                        row[f"{label}_r5"] = round(mean(recall_at_k(r, g, 5) for r, g in pairs), 4)
                        row[f"{label}_ndcg5"] = round(mean(ndcg_at_k(r, g, 5) for r, g in pairs), 4)
                        row[f"{label}_mrr"] = round(mean(mrr(r, g) for r, g in pairs), 4)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    print(f"\ntext encoder runtimes and units ({machine})")
    print(f"{'set':<13} {'runtime':<10} {'units':<15} {'ms/text':>8} {'text R@5':>9} {'nDCG@5':>7} "
          f"{'fused R@5':>10} {'nDCG@5':>7} {'MRR':>6}")
    for r in rows:
        print(f"{r['set']:<13} {r['runtime']:<10} {r['units']:<15} {r['ms_per_text']:>8.1f} {r['text_r5']:>9.3f} "
              f"{r['text_ndcg5']:>7.3f} {r['fused_r5']:>10.3f} {r['fused_ndcg5']:>7.3f} {r['fused_mrr']:>6.3f}")
    write_results(args.out, machine, {"rows": merged(args.out, rows)})


if __name__ == "__main__":
    main()
