"""The lite text encoder: the packaged all-MiniLM-L6-v2, loaded offline."""

import numpy as np
import pytest

from pagesight.core.errors import ModelUnavailable
from pagesight.index.encoders import SentenceTransformerEncoder, packaged_minilm, revision_of


def test_packaged_minilm_loads_offline_and_records_what_it_is(text_encoder):
    spec = text_encoder.spec
    assert spec.name == "sentence-transformers/all-MiniLM-L6-v2"
    assert spec.revision == revision_of(packaged_minilm()) and spec.revision.startswith("sha256:")
    assert spec.dim == 384


def test_embeddings_are_normalised_float32_and_meaningful(text_encoder):
    v = text_encoder.encode(["The ship sailed into the harbour.", "A boat entered the port.", "Tax rates for 2023."])
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    sims = v @ v.T
    assert sims[0, 1] > sims[0, 2] + 0.2


def test_batched_equals_one_by_one(text_encoder):
    texts = ["first text", "a second, longer text about lighthouses", "third"]
    batched = text_encoder.encode(texts)
    single = np.stack([text_encoder.encode([t])[0] for t in texts])
    assert np.allclose(batched, single, atol=1e-5)


def test_every_encoder_records_its_revision_the_same_way(tmp_path):
    """A folder's revision is a hash of its weights, whichever encoder reads it; other weights, another hash."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "model.safetensors").write_bytes(b"weights one")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "model.safetensors").write_bytes(b"weights two")
    assert revision_of(tmp_path / "a").startswith("sha256:")
    assert revision_of(tmp_path / "a") == revision_of(str(tmp_path / "a")) != revision_of(tmp_path / "b")
    assert revision_of("no/such-model-anywhere") == "unknown"


def test_empty_input_gives_an_empty_matrix(text_encoder):
    assert text_encoder.encode([]).shape == (0, 384)


def test_a_model_that_is_not_on_disk_fails_fast_with_a_hint(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hint = "not on disk .*`hf download sentence-transformers/some-model-that-is-not-here`"
    with pytest.raises(ModelUnavailable, match=hint):
        SentenceTransformerEncoder("sentence-transformers/some-model-that-is-not-here")
