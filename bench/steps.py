"""Each channel alone, their fusion, and each step after it (retrieve/steps.py), on the three dev sets, by
the rule of the retrieval issue: a setting counts only if it holds on every set.

    python bench/steps.py --set financebench=DATA_DIR:QUESTIONS --set officeqa=... --set mmlongbench=... \
        [--configs text,default,default+rerank2@rerank_pages=10] [--out bench/results/steps.json]

Every configuration is a real search (`Retriever.search`, lite profile) with some settings changed: the
channels alone ("text", "bm25"), their fusion without steps ("fused"), with the steps one by one, with
BM25 over the whole collection, and with the reranking step at a few weights. For each, over the whole
collection of a set: R@1, R@5, R@10 (the share of a question's gold pages in the first k), hit@1 and
hit@5 (a gold page among them), nDCG@5, MRR, and search p50/p95 (ms), on the questions of even position
("tune", where a weight is chosen), the odd ones ("test", where it is reported) and all. The
cross-encoder's scores are kept per (question, passage) across configurations, so a weight costs no
second reading; latency is measured on each configuration's first pass over a set.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from common import DEV_SET_HELP, dev_sets, halves, write_results  # noqa: E402
from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from pagesight.core.settings import Settings  # noqa: E402
from pagesight.core.types import Filters  # noqa: E402
from pagesight.retrieve.evaluate import read_questions  # noqa: E402
from pagesight.retrieve.metrics import hit_at_k, mean, mrr, ndcg_at_k, percentile, recall_at_k  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NO_STEPS = {"named_weight": 0.0, "pages_weight": 0.0, "heading_weight": 0.0, "rerank_weight": 0.0}
CONFIGS = {
    "text": ({}, ["text"]),
    "bm25": ({}, ["bm25"]),
    "fused": (NO_STEPS, None),
    "fused+named": (NO_STEPS | {"named_weight": 0.5}, None),
    "fused+heading": (NO_STEPS | {"heading_weight": 2.0}, None),
    "default": ({"rerank_weight": 0.0}, None),  # named 0.5, heading 2.0: the defaults before this wave
    "fused+bm25all": (NO_STEPS | {"bm25_scope": "collection"}, None),  # BM25 over the whole collection
    "default+bm25all": ({"rerank_weight": 0.0, "bm25_scope": "collection"}, None),
    "fused+rerank1": (NO_STEPS | {"rerank_weight": 1.0}, None),
    "fused+rerank2": (NO_STEPS | {"rerank_weight": 2.0}, None),
    "fused+rerank4": (NO_STEPS | {"rerank_weight": 4.0}, None),
    "default+rerank1": ({"rerank_weight": 1.0}, None),
    "default+rerank2": ({"rerank_weight": 2.0}, None),
    "default+rerank4": ({"rerank_weight": 4.0}, None),
}


def configured(config: str) -> tuple[dict, list[str] | None]:
    """A configuration's settings and channels: a name of CONFIGS, then any changes as "@key=value" (a
    channel's name sets its fusion weight: "default+bm25all@bm25=1.5@rrf_k=30")."""
    name, *changes = config.split("@")
    settings, channels = CONFIGS[name]
    settings = dict(settings)
    weights = dict(Settings.model_fields["fusion_weights"].default_factory())
    for change in changes:
        key, value = change.split("=", 1)
        if key in weights:
            weights[key] = float(value)
            settings["fusion_weights"] = weights
        else:
            kind = type(Settings.model_fields[key].default)
            settings[key] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    return settings, channels


class CachedReranker:
    """The cross-encoder, remembering what it read: a configuration's second reading of a pair is free."""

    def __init__(self, inner):
        self.inner, self.spec, self.cache = inner, inner.spec, {}

    def score(self, question: str, passages: list[str]) -> np.ndarray:
        missing = [p for p in dict.fromkeys(passages) if (question, p) not in self.cache]
        if missing:
            for passage, value in zip(missing, self.inner.score(question, missing), strict=True):
                self.cache[(question, passage)] = float(value)
        return np.array([self.cache[(question, p)] for p in passages], dtype=np.float32)


def metrics(rows: list[dict]) -> dict:
    out = {}
    for name, part in halves(rows).items():
        out[name] = {"n": len(part), **{f"R@{k}": mean(recall_at_k(r["ranked"], r["gold"], k) for r in part)
                                        for k in (1, 5, 10)},
                     "hit@1": mean(hit_at_k(r["ranked"], r["gold"], 1) for r in part),
                     "hit@5": mean(hit_at_k(r["ranked"], r["gold"], 5) for r in part),
                     "nDCG@5": mean(ndcg_at_k(r["ranked"], r["gold"], 5) for r in part),
                     "MRR": mean(mrr(r["ranked"], r["gold"]) for r in part)}
    latencies = [r["ms"] for r in rows]
    out["p50_ms"], out["p95_ms"] = percentile(latencies, 50), percentile(latencies, 95)
    return out


def run_set(name: str, data: Path, questions_path: Path, configs: list[str], reranker: str | None = None,
            own_documents: bool = False) -> dict:
    from pagesight import PageSight
    from pagesight.index.profiles import load_reranker

    base = Settings(_env_file=None, data_dir=data, profile="lite", rerank_weight=1.0,
                    **({"reranker": reranker} if reranker else {}))
    questions = [q for q in read_questions(questions_path) if q.relevant]
    results = {}
    with PageSight(settings=base) as sight:
        encoders = sight.models.encoders_for(sight.store.schema)
        encoders.reranker = CachedReranker(encoders.reranker or load_reranker(base))
        sight.search("warm up", 5)
        for config in configs:
            changes, channels = configured(config)
            view = PageSight(settings=base.model_copy(update=changes), models=sight.models, store=sight.store)
            rows = []
            for q in questions:
                started = time.perf_counter()
                within = Filters(documents=q.documents) if own_documents and q.documents else None
                hits = view.search(q.text, 10, within, channels=channels).hits
                rows.append({"ranked": [(Path(h.file_name).stem, h.page) for h in hits], "gold": q.relevant,
                             "ms": 1000 * (time.perf_counter() - started)})
            results[config] = metrics(rows)
            figures = results[config]["all"]
            print(f"{name} {config}: R@5 {figures['R@5']:.3f} hit@1 {figures['hit@1']:.3f} "
                  f"p95 {results[config]['p95_ms']:.0f} ms", file=sys.stderr, flush=True)
    return {"questions": len(questions), "collection": str(data), "text": sight.store.schema.text.describe()
            if sight.store.schema else None, "configs": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", required=True, help=DEV_SET_HELP)
    parser.add_argument("--configs", default=",".join(CONFIGS), help="which configurations, comma-separated")
    parser.add_argument("--reranker", help="the reranking step's model (PAGESIGHT_RERANKER), if not the default")
    parser.add_argument("--own-documents", action="store_true", help="search each question within its own "
                        "documents (its gold pages' files), as a user who has chosen the document asks")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "steps.json")
    args = parser.parse_args()
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    machine = machine_name()
    results = {name: run_set(name, data, questions, configs, args.reranker, args.own_documents)
               for name, data, questions in dev_sets(args.set)}
    print(f"\nRetrieval by configuration, whole collection of each set (lite; {machine}); all questions, "
          f"R@k = share of gold pages in the first k")
    print(f"{'set':<14} {'configuration':<34} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'hit@1':>6} {'hit@5':>6} "
          f"{'nDCG@5':>7} {'MRR':>6} {'p50':>5} {'p95':>5}")
    for name, r in results.items():
        for config, figures in r["configs"].items():
            a = figures["all"]
            print(f"{name:<14} {config:<34} {a['R@1']:>6.3f} {a['R@5']:>6.3f} {a['R@10']:>6.3f} {a['hit@1']:>6.3f} "
                  f"{a['hit@5']:>6.3f} {a['nDCG@5']:>7.3f} {a['MRR']:>6.3f} {figures['p50_ms']:>5.0f} "
                  f"{figures['p95_ms']:>5.0f}")
    write_results(args.out, machine, {"reranker": args.reranker or Settings().reranker,
                                      "own_documents": args.own_documents, "sets": results})


if __name__ == "__main__":
    main()
