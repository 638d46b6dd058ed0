"""Ingestion with the tiny profile: every vector kind reaches the store, and encoders must match."""

import numpy as np
import pytest

from pagesight.core.errors import SchemaMismatch
from pagesight.index import load_encoders, open_store
from pagesight.index.profiles import Encoders
from pagesight.ingest.pipeline import Ingestor
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def tiny_settings(tmp_path_factory):
    return make_settings(tmp_path_factory.mktemp("tiny") / "data", profile="tiny", device="cpu", max_visual_tokens=256)


@pytest.fixture(scope="module")
def tiny_encoders(tiny_settings):
    return load_encoders(tiny_settings)


def test_the_tiny_profile_loads_every_encoder_kind(tiny_encoders):
    schema = tiny_encoders.schema
    assert tiny_encoders.profile == "tiny"
    assert (schema.text.dim, schema.image.dim, schema.page.dim) == (384, 16, 128)


def test_tiny_ingest_stores_page_multivectors_page_and_figure_image_vectors(tiny_settings, tiny_encoders, report):
    with open_store(tiny_settings) as store, Ingestor(store, tiny_encoders, tiny_settings) as ingestor:
        outcome = ingestor.ingest_file(report)
        assert outcome.status == "ingested"
        pages = store.pages(outcome.doc_id)
        n_figures = sum(len(p.figures) for p in pages)
        assert n_figures == 3
        kinds = {}
        records, _ = store._shard.scroll(_scroll_all())
        for r in records:
            kinds.setdefault(r.payload["kind"], []).append(r)
        assert len(kinds["page"]) == 6 and len(kinds["figure"]) == n_figures
        for r in kinds["page"]:
            assert {"page", "image"} <= set(r.vector)
            assert np.asarray(r.vector["page"]).shape[1] == 128
        assert all(set(r.vector) == {"image"} for r in kinds["figure"])

        # the store's MaxSim over what was ingested equals numpy on the encoder's own vectors
        from qdrant_edge import Query, QueryRequest

        query = tiny_encoders.page.encode_queries(["the bar chart of ships per quarter"])[0]  # (n_tokens, 128)
        hits = store._shard.query(QueryRequest(limit=6, query=Query.Nearest(query, using="page"), with_payload=True,
                                               with_vector=["page"]))
        assert len(hits) == 6
        for hit in hits:
            page_vectors = np.asarray(hit.vector["page"], dtype=np.float32)
            assert hit.score == pytest.approx(float((query @ page_vectors.T).max(axis=1).sum()), rel=1e-4)


def test_a_collection_refuses_encoders_it_was_not_built_with(tmp_path, text_encoder, tiny_encoders, report):
    settings = make_settings(tmp_path / "data")
    with open_store(settings) as store:
        Ingestor(store, Encoders("lite", text=text_encoder), settings).close()
    refusal = "built with image encoder no such encoder, but this profile uses .*tiny/clip"
    with open_store(settings) as store, pytest.raises(SchemaMismatch, match=refusal):
        Ingestor(store, tiny_encoders, settings)


def _scroll_all():
    from qdrant_edge import ScrollRequest

    return ScrollRequest(limit=1000, with_payload=True, with_vector=True)
