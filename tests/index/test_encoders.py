"""The lite text encoder: the packaged all-MiniLM-L6-v2, loaded offline, on ONNX Runtime (float and
int8, exported here from the packaged weights), on OpenVINO (the same export) and on torch."""

from pathlib import Path

import numpy as np
import pytest

from pagesight.core.errors import ModelUnavailable, SchemaMismatch
from pagesight.index.encoders import SentenceTransformerEncoder, packaged_minilm, revision_of
from pagesight.index.profiles import default_text_runtime, load_text_encoder, text_runtime
from tests.conftest import make_settings

SAMPLES = [
    "The ship sailed into the harbour.",
    "Net revenue for fiscal 2018 was $32,765 million, up 3.5% from the prior year.",
    "Capital expenditures (purchases of property, plant and equipment) were $1,577 million in 2018.",
    "Penguins nest on rocky shores far from the glacier.",
    "x",
    " ".join(["A long passage that runs past the model's window of two hundred and fifty-six pieces."] * 40),
]


@pytest.fixture(scope="module", params=["openvino", "onnx", "onnx-int8", "torch"])
def runtime_encoder(request, tmp_path_factory):
    return load_text_encoder(make_settings(tmp_path_factory.mktemp("enc")), request.param)


def test_packaged_minilm_loads_offline_and_records_what_it_is(runtime_encoder):
    spec = runtime_encoder.spec
    assert spec.name == "sentence-transformers/all-MiniLM-L6-v2"
    assert spec.revision == revision_of(packaged_minilm()) and spec.revision.startswith("sha256:")
    assert spec.dim == 384 and spec.runtime in ("openvino", "onnx", "onnx-int8", "torch")
    assert (spec.artifact.startswith("sha256:") and spec.artifact != spec.revision) or spec.runtime == "torch"


def test_the_runtimes_agree_with_torch(runtime_encoder, torch_text_encoder):
    """ONNX float gives torch's vectors (cosine >= 0.99 on every sample, in fact ~1.0), and so does OpenVINO in
    bfloat16 (its products keep float's range); int8 stays close."""
    reference = torch_text_encoder.encode(SAMPLES)
    cosine = (runtime_encoder.encode(SAMPLES) * reference).sum(axis=1)
    floor = {"openvino": 0.999, "onnx": 0.999, "onnx-int8": 0.97, "torch": 0.9999}[runtime_encoder.spec.runtime]
    assert cosine.min() >= floor, cosine


def test_embeddings_are_normalised_float32_and_meaningful(runtime_encoder):
    v = runtime_encoder.encode(["The ship sailed into the harbour.", "A boat entered the port.", "Tax rates for 2023."])
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    sims = v @ v.T
    assert sims[0, 1] > sims[0, 2] + 0.2


def test_batched_equals_one_by_one_in_the_callers_order(runtime_encoder):
    batched = runtime_encoder.encode(SAMPLES)  # encoded longest first inside, returned in the order given
    single = np.stack([runtime_encoder.encode([t])[0] for t in SAMPLES])
    assert np.allclose(batched, single, atol=1e-4)


@pytest.mark.parametrize("runtime", ["onnx-int8", "openvino"])
def test_texts_spread_over_threads_get_the_vectors_they_get_alone(tmp_path, runtime):
    """An ingest's texts are encoded by several threads (ONNX Runtime) or streams (OpenVINO) side by side:
    each row is still its own text's."""
    texts = [f"Passage {i}: the harbour dues rose to {i} shillings in {1800 + i}." for i in range(40)] + SAMPLES
    one = load_text_encoder(make_settings(tmp_path, encode_workers=1), runtime)
    many = load_text_encoder(make_settings(tmp_path, encode_workers=3), runtime)
    assert many.workers == 3
    assert np.array_equal(many.encode(texts), one.encode(texts))


@pytest.mark.parametrize("runtime", ["onnx", "openvino"])
def test_a_short_text_runs_as_its_own_tokens(tmp_path, runtime):
    """The packaged tokenizer.json pads every text to 128 tokens; a query of a few words must not pay for
    a passage's length."""
    encoder = load_text_encoder(make_settings(tmp_path), runtime)
    assert len(encoder.tokenizer.encode("Harbour dues in 1820?").ids) <= 16


def test_callers_on_several_threads_each_get_their_own_vectors(tmp_path):
    """The server encodes queries from several threads at once: no caller gets another's vector."""
    from concurrent.futures import ThreadPoolExecutor

    encoder = load_text_encoder(make_settings(tmp_path, encode_workers=2), "openvino")
    texts = [f"Query {i}: what were the harbour dues at Port {i} in {1800 + i}?" for i in range(24)] + SAMPLES
    alone = encoder.encode(texts)
    with ThreadPoolExecutor(6) as pool:
        singles = list(pool.map(lambda text: encoder.encode([text], query=True)[0], texts))
        groups = list(pool.map(encoder.encode, [texts[k::3] for k in range(3)]))
    assert np.array_equal(np.stack(singles), alone)
    for k, group in enumerate(groups):
        assert np.array_equal(group, alone[k::3])


def test_openvino_records_its_precision_and_its_two_precisions_mix(tmp_path):
    """A collection built in bfloat16 may be searched where the processor has only float32: the recorded
    runtime is the same, the precision is in the record, and the two precisions' vectors agree."""
    from pagesight.index.encoders import MINILM
    from pagesight.index.openvino_text import OpenVinoTextEncoder, bfloat16_native

    exports = make_settings(tmp_path).model_dir() / "onnx"  # the run's: the graph is exported once
    half = OpenVinoTextEncoder(Path(packaged_minilm()), MINILM, exports, precision="bf16")
    full = OpenVinoTextEncoder(Path(packaged_minilm()), MINILM, exports, precision="f32")
    assert half.spec == full.spec and half.spec.runtime == "openvino"
    assert full.spec.artifact.endswith("/f32")
    assert half.spec.artifact.endswith("/bf16") or not bfloat16_native()
    cosine = (half.encode(SAMPLES) * full.encode(SAMPLES)).sum(axis=1)
    assert cosine.min() >= 0.999, cosine


def test_empty_input_gives_an_empty_matrix(runtime_encoder):
    assert runtime_encoder.encode([]).shape == (0, 384)


def test_the_export_is_cached_and_the_same_bytes_each_time(tmp_path):
    settings = make_settings(tmp_path / "data", models_dir=tmp_path / "models")
    first = load_text_encoder(settings, "onnx")
    exported = [f for f in (tmp_path / "models" / "onnx").iterdir() if f.is_dir()]
    assert len(exported) == 1 and (exported[0] / "model.onnx").is_file() and (exported[0] / "model-int8.onnx").is_file()
    again = load_text_encoder(settings, "onnx")  # from the cache: the same file, the same recorded hash
    assert again.spec == first.spec and again.spec.artifact == first.spec.artifact


def test_two_first_uses_at_once_export_once_and_both_read_the_export(tmp_path):
    """Two processes (here threads, each with its own lock file handle, as processes have) needing the
    same export at once: one exports, the other waits for it and finds it whole."""
    import threading

    from pagesight.index.onnx_text import export_once

    folder = tmp_path / "onnx" / "sha256-abc"
    exports, seen, looked = [], [], set()
    both_looked = threading.Barrier(2)

    def complete() -> bool:
        if threading.get_ident() not in looked:  # each caller's first look: both find it missing
            looked.add(threading.get_ident())
            both_looked.wait(timeout=30)
        return (folder / "model.onnx").is_file()

    def export():
        exports.append(threading.get_ident())
        scratch = folder.with_name("scratch")
        scratch.mkdir(parents=True)
        (scratch / "model.onnx").write_text("graph")
        scratch.rename(folder)

    def use():
        export_once(folder, complete, export)
        seen.append((folder / "model.onnx").read_text())

    callers = [threading.Thread(target=use) for _ in range(2)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert len(exports) == 1 and seen == ["graph", "graph"]


def test_a_collection_is_queried_with_the_runtime_it_records(tmp_path):
    auto = make_settings(tmp_path)
    assert text_runtime(auto) == default_text_runtime() == "openvino"  # a dependency: always there
    assert text_runtime(auto, recorded="torch") == "torch"
    explicit = make_settings(tmp_path, text_runtime="onnx")
    assert text_runtime(explicit) == "onnx"
    with pytest.raises(SchemaMismatch, match="made with the torch runtime .* PAGESIGHT_TEXT_RUNTIME=onnx cannot"):
        text_runtime(explicit, recorded="torch")


def test_new_collections_fall_back_to_onnx_runtime_where_openvino_cannot_run(monkeypatch):
    import openvino

    from pagesight.index.openvino_text import _core, openvino_available

    class NoCpu:
        available_devices: list[str] = []

    monkeypatch.setattr(openvino, "Core", NoCpu)
    for cached in (_core, openvino_available):  # asked once a process: ask again, without a CPU plugin
        cached.cache_clear()
    try:
        assert default_text_runtime() == "onnx"
    finally:
        for cached in (_core, openvino_available):
            cached.cache_clear()


def test_every_encoder_records_its_revision_the_same_way(tmp_path):
    """A folder's revision is a hash of its weights, whichever encoder reads it; other weights, another hash."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "model.safetensors").write_bytes(b"weights one")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "model.safetensors").write_bytes(b"weights two")
    assert revision_of(tmp_path / "a").startswith("sha256:")
    assert revision_of(tmp_path / "a") == revision_of(str(tmp_path / "a")) != revision_of(tmp_path / "b")
    assert revision_of("no/such-model-anywhere") == "unknown"


def test_a_model_that_is_not_on_disk_fails_fast_with_a_hint(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hint = "not on disk .*`hf download sentence-transformers/some-model-that-is-not-here`"
    with pytest.raises(ModelUnavailable, match=hint):
        SentenceTransformerEncoder("sentence-transformers/some-model-that-is-not-here")
