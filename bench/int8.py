"""Which of the text encoder's matrix products int8 may take: each recipe's vectors against float's.

    python bench/int8.py --set financebench=DATA_DIR:QUESTIONS --set officeqa=DATA_DIR:QUESTIONS \
        [--recipes all,ffn-out,l01-ffn-out,...] [--sample 1500] [--models-to DIR] [--out ...]

Today's int8 (index/onnx_text.py) quantizes every one of the model's 36 weight products per channel;
a recipe leaves some in float (`quantize_dynamic`'s nodes_to_exclude). For each recipe and set: on
`--sample` passages drawn from the collection (seed 7) and the set's questions, the cosine of each
passage's vector to float's (mean, 1st percentile), the share of float's 10 nearest passages each
question keeps, and milliseconds a passage (one thread), each recipe run by the product's own encoder
(its export, with the recipe as its int8 model, in a models folder of its own). With --models-to those
folders are kept, as DIR/<recipe>: a models folder `bench/textenc.py` can be pointed at (copy a
collection's folder, put DIR/<recipe>/onnx in its models folder, run textenc with `--runtimes
onnx-int8`): agreement is a proxy, R@5 is what the rule counts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from common import DEV_SET_HELP, dev_sets, write_results  # noqa: E402
from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from textenc import texts_of  # noqa: E402

from pagesight.core.settings import Settings  # noqa: E402
from pagesight.index import open_store  # noqa: E402
from pagesight.index.profiles import load_text_encoder  # noqa: E402
from pagesight.retrieve.evaluate import read_questions  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LAYER = "/transformer/encoder/layer.{}/"


def recipes(products: list[str]) -> dict[str, list[str]]:
    """Recipe -> the weight products it leaves in float."""
    ffn_out = [p for p in products if p.endswith("/output/dense/MatMul") and "attention" not in p]
    return {"all": [], "ffn-out": ffn_out, "l0-ffn-out": ffn_out[:1], "l01-ffn-out": ffn_out[:2],
            "ffn": ffn_out + [p for p in products if "/intermediate/" in p],
            "layer0": [p for p in products if LAYER.format(0) in p],
            "layer5": [p for p in products if LAYER.format(5) in p],
            "attention0": [p for p in products if LAYER.format(0) + "attention" in p]}


def timed(encoder, texts: list[str]) -> tuple[np.ndarray, float]:
    """The encoder's vectors (one text a run, one thread, as an ingest's texts are encoded), and
    milliseconds a text."""
    started = time.perf_counter()
    vectors = encoder.encode(texts)
    return vectors, (time.perf_counter() - started) / max(len(texts), 1) * 1000


def encoder_in(models: Path, runtime: str):
    """The packaged text model on `runtime`, its export kept under `models` (one thread, one worker)."""
    return load_text_encoder(Settings(_env_file=None, models_dir=models, torch_threads=1, encode_workers=1), runtime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", required=True, help=DEV_SET_HELP)
    parser.add_argument("--recipes", default="all,ffn-out,l0-ffn-out,l01-ffn-out,ffn,layer0,layer5,attention0")
    parser.add_argument("--sample", type=int, default=1500)
    parser.add_argument("--models-to", type=Path, help="write each recipe's model under DIR/<recipe>")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "int8.json")
    args = parser.parse_args()
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    sets = dev_sets(args.set)
    with tempfile.TemporaryDirectory() as scratch:
        root = args.models_to or Path(scratch)
        float_encoder = encoder_in(root / "float", "onnx")  # exported here, as the product exports it
        (export,) = (root / "float" / "onnx").iterdir()
        products = [n.name for n in onnx.load(str(export / "model.onnx")).graph.node if n.op_type == "MatMul"
                    and not n.name.endswith(("/self/MatMul", "/self/MatMul_1"))]  # the weight products
        chosen = {name: kept for name, kept in recipes(products).items() if name in args.recipes.split(",")}
        encoders = {}
        for name, kept in chosen.items():  # each recipe as the export's int8 model, in a models folder of its own
            folder = root / name / "onnx" / export.name
            shutil.copytree(export, folder, dirs_exist_ok=True)
            quantize_dynamic(str(export / "model.onnx"), str(folder / "model-int8.onnx"),
                             op_types_to_quantize=["MatMul"], per_channel=True, weight_type=QuantType.QInt8,
                             nodes_to_exclude=kept)
            encoders[name] = encoder_in(root / name, "onnx-int8")
        rows = []
        for set_name, data, questions_path in sets:
            store = open_store(Settings(_env_file=None, data_dir=data, profile="lite"))
            try:
                texts = texts_of(store)[0]
            finally:
                store.close()
            sample = random.Random(7).sample(texts, min(args.sample, len(texts)))
            questions = [q.text for q in read_questions(questions_path)]
            reference, float_ms = timed(float_encoder, sample)
            nearest = np.argsort(-(float_encoder.encode(questions) @ reference.T), axis=1)[:, :10]
            for name, encoder in encoders.items():
                vectors, ms = timed(encoder, sample)
                cosine = (vectors * reference).sum(axis=1)
                found = np.argsort(-(encoder.encode(questions) @ vectors.T), axis=1)[:, :10]
                kept = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, nearest, strict=True)])
                rows.append({"set": set_name, "recipe": name, "float_products": len(chosen[name]),
                             "ms_per_text": round(ms, 1), "float_ms_per_text": round(float_ms, 1),
                             "cosine_mean": round(float(cosine.mean()), 4),
                             "cosine_p1": round(float(np.percentile(cosine, 1)), 4),
                             "top10_kept": round(float(kept), 3)})
                print(json.dumps(rows[-1]), flush=True)
    machine = machine_name("one thread")
    print(f"\nint8 recipes against float, {args.sample} passages a set ({machine})")
    print(f"{'set':<13} {'recipe':<12} {'float':>5} {'ms':>6} {'cos mean':>9} {'cos p1':>7} {'top10 kept':>10}")
    for r in rows:
        print(f"{r['set']:<13} {r['recipe']:<12} {r['float_products']:>5} {r['ms_per_text']:>6} "
              f"{r['cosine_mean']:>9.4f} {r['cosine_p1']:>7.4f} {r['top10_kept']:>10.3f}")
    write_results(args.out, machine, {"sample": args.sample, "rows": rows})


if __name__ == "__main__":
    main()
