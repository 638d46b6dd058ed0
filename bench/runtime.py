"""The whole product on a dev set with each runtime of the text model, on the same pages: a collection
that ingestion built is indexed again into a new collection (its documents, pages, text and page images
as they are: no extraction, no OCR, which would make the two differ by more than the runtime) with the
runtime asked for; `pagesight eval` then runs on each.

    python bench/runtime.py --source DATA_DIR --out DIR [--runtime onnx] [--text-model BAAI/bge-small-en-v1.5]
    PAGESIGHT_DATA_DIR=DIR PAGESIGHT_PROFILE=lite pagesight eval QUESTIONS --answers --out FILE

Indexing again with the runtime that built the source must give the source's figures (the same
passages, the same vectors): that checks this path before its other runtime is believed. Lite
profile (the text model and BM25); prints the documents and seconds, and writes them to
--out's `runtime.json`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)
from common import write_results  # noqa: E402

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pagesight import PageSight  # noqa: E402
from pagesight.core.settings import Settings  # noqa: E402
from pagesight.index import Indexer  # noqa: E402

BATCH = 4  # documents encoded together, as ingestion batches them


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, required=True, help="the data folder of a lite collection")
    parser.add_argument("--out", type=Path, required=True, help="a new data folder")
    parser.add_argument("--runtime", default="onnx", choices=["openvino", "onnx", "onnx-int8", "torch"])
    parser.add_argument("--text-model", default=None, help="another text model (a packaged one runs as it ships)")
    args = parser.parse_args()
    if args.out.exists():
        sys.exit(f"{args.out} exists: give a new folder")
    source = Settings(_env_file=None, data_dir=args.source, profile="lite")
    target = Settings(_env_file=None, data_dir=args.out, profile="lite", text_runtime=args.runtime,
                      text_model=args.text_model)
    started = time.perf_counter()
    with PageSight(settings=source) as old, PageSight(settings=target) as new:
        indexer = Indexer(new.store, new.models.encoders, target)
        documents = old.documents()
        for start in range(0, len(documents), BATCH):
            jobs = []
            for doc in documents[start:start + BATCH]:
                pages = [old.page(doc.id, n) for n in range(1, doc.pages + 1)]
                staging = new.store.images.new_staging(doc.id)
                shutil.copytree(old.store.images.folder(doc.id), staging)
                jobs.append((doc, pages, staging, []))
            for (doc, *_), error in zip(jobs, indexer.add_many(jobs), strict=True):
                if error is not None:
                    sys.exit(f"{doc.file_name}: {error}")
            print(f"{min(start + BATCH, len(documents))}/{len(documents)} documents, "
                  f"{time.perf_counter() - started:.0f} s", end="\r", file=sys.stderr, flush=True)
        schema = new.store.schema
    seconds = time.perf_counter() - started
    machine = machine_name("one thread")
    print(f"\n{args.source} -> {args.out}: {len(documents)} documents indexed again with {schema.text.describe()} "
          f"in {seconds:.0f} s ({machine})")
    write_results(args.out / "runtime.json", machine, {"source": str(args.source), "runtime": schema.text.runtime,
                                                       "text_model": schema.text.name, "documents": len(documents),
                                                       "seconds": seconds})


if __name__ == "__main__":
    main()
