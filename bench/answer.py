"""Answer speed on this CPU: time to first token, tokens per second and peak memory, per answerer.

    python bench/answer.py [--questions 5] [--tokens 64] [--out bench/results/answer.json]

The sample PDF and the test-style report are ingested (lite) into a temporary collection; each
answerer then answers the same questions from the top 3 pages, in its own interpreter so that its
peak resident memory (VmHWM) is its own. The tiny Qwen2-VL and Qwen2.5-VL are random models of
the real classes: their figures are the cost of the real path (chat template, image processor,
vision tower, generate, streaming) at toy size, not of a 2B model. Each question is answered twice:
cut at one token (time to first token: image processing and prefill included), and at exactly
--tokens tokens (min_new_tokens), so tokens per second is (tokens - 1) / (total - first token).
The extractive answerer generates nothing: its "first token" is its whole answer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import peak_rss_mb  # noqa: E402  (bench/ is the script's folder)

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "When was the telegraph cable laid across the Atlantic?",
    "How many ships were logged at Bell Rock in 1812?",
    "What does the bar chart show?",
    "Which lighthouse is the oldest sea-washed one?",
    "What guided ships along dangerous coasts?",
]
PAGES = 3


def prepare(folder: Path) -> None:
    from pagesight import PageSight
    from pagesight.api.cli.sample import write_sample_pdf
    from pagesight.core.settings import Settings

    with PageSight(settings=Settings(_env_file=None, data_dir=folder / "data", profile="lite")) as sight:
        sight.ingest([write_sample_pdf(folder / "sample.pdf")])


def run(kind: str, folder: Path, n_questions: int, tokens: int) -> dict:
    """One answerer over the questions: per question, seconds to the first text and in all."""
    import torch

    from pagesight import PageSight
    from pagesight.core.settings import Settings
    from pagesight.generate import load_answerer

    torch.set_num_threads(1)
    settings = Settings(_env_file=None, data_dir=folder / "data", profile="lite", device="cpu",
                        answer_max_new_tokens=tokens)
    rows = []
    with PageSight(settings=settings) as sight:
        if kind == "extractive":
            answerer = sight.models.answerer("extractive", sight.store.schema)
        else:
            from pagesight.index.tiny import build_tiny_models

            answerer = load_answerer("local", settings, generator_model=str(build_tiny_models(folder / "models")[kind]))
            answerer.model.generation_config.min_new_tokens = tokens  # exactly `tokens`: random weights may stop early

        def evidence_for(question: str):
            return sight.evidence(sight.search(question, PAGES))

        answerer.answer(QUESTIONS[0], evidence_for(QUESTIONS[0]))
        for question in QUESTIONS[:n_questions]:
            evidence = evidence_for(question)
            if kind == "extractive":
                started = time.perf_counter()
                answerer.answer(question, evidence)
                rows.append({"first_s": time.perf_counter() - started, "total_s": time.perf_counter() - started})
                continue
            # The first token: the same answer cut at one token (a random model's first pieces may not
            # decode to text, so the stream's first text is no clock for it).
            answerer.max_new_tokens = answerer.model.generation_config.min_new_tokens = 1
            started = time.perf_counter()
            answerer.answer(question, evidence)
            first = time.perf_counter() - started
            answerer.max_new_tokens = answerer.model.generation_config.min_new_tokens = tokens
            started = time.perf_counter()
            answerer.answer(question, evidence)
            rows.append({"first_s": first, "total_s": time.perf_counter() - started})
    return {"rows": rows, "peak_rss_mb": peak_rss_mb()}


def median(values: list[float]) -> float:
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "answer.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, folder = json.loads(args.child)
        print(json.dumps(run(kind, Path(folder), args.questions, args.tokens)))
        return

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, 1 torch thread"
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        prepare(Path(tmp))
        for kind in ("extractive", "qwen2_vl", "qwen2_5_vl"):
            done = subprocess.run([sys.executable, __file__, "--questions", str(args.questions), "--tokens",
                                   str(args.tokens), "--child", json.dumps([kind, tmp])],
                                  capture_output=True, text=True, check=False)
            if done.returncode:
                raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
            found = json.loads(done.stdout.splitlines()[-1])
            first = median([r["first_s"] for r in found["rows"]])
            total = median([r["total_s"] for r in found["rows"]])
            generating = median([r["total_s"] - r["first_s"] for r in found["rows"]])  # the other tokens
            results.append({
                "answerer": kind if kind == "extractive" else f"local, tiny {kind} (random)",
                "first_token_s": first, "total_s": total,
                "tokens_per_s": None if kind == "extractive" else (args.tokens - 1) / generating,
                "peak_rss_mb": found["peak_rss_mb"],
            })

    print(f"answers from {PAGES} pages, median of {args.questions} questions ({machine})")
    print(f"{'answerer':<32} {'first token s':>14} {'total s':>9} {'tokens/s':>9} {'peak RSS MB':>12}")
    for r in results:
        rate = f"{r['tokens_per_s']:.1f}" if r["tokens_per_s"] else "-"
        print(f"{r['answerer']:<32} {r['first_token_s']:>14.3f} {r['total_s']:>9.3f} {rate:>9} "
              f"{r['peak_rss_mb']:>12.0f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "date": time.strftime("%Y-%m-%d"), "pages": PAGES,
                                    "tokens": args.tokens, "results": results}, indent=2) + "\n")
    print(f"\nwritten to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
