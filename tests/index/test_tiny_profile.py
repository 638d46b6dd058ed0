"""Ingestion with the tiny profile: every vector kind reaches the store, and encoders must match."""


import pytest

from pagesight.api.pagesight import Models, PageSight
from pagesight.core.errors import SchemaMismatch
from pagesight.index import Indexer, load_encoders, open_store
from pagesight.index.profiles import Encoders
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
    with PageSight(settings=tiny_settings, models=Models(tiny_settings, tiny_encoders)) as sight:
        outcome = sight.ingest_file(report)
        assert outcome.status == "ingested"
        store = sight.store
        pages = store.pages(outcome.doc_id)
        n_figures = sum(len(p.figures) for p in pages)
        assert n_figures == 3
        points, _ = store.export_points(None, 1000)
        kinds = {}
        for point in points:
            kinds.setdefault(point.payload["kind"], []).append(point)
        assert len(kinds["page"]) == 6 and len(kinds["figure"]) == n_figures
        for point in kinds["page"]:
            assert {"page", "image"} <= set(point.vectors)
            assert point.vectors["page"].shape[1] == 128
        assert all(set(p.vectors) == {"image"} for p in kinds["figure"])

        # the store's MaxSim over what was ingested equals numpy on the encoder's own vectors
        query = tiny_encoders.page.encode_queries(["the bar chart of ships per quarter"])[0]  # (n_tokens, 128)
        found = store.search_pages(query, 6, first_pass="none")
        multi = {p.payload["page"]: p.vectors["page"] for p in kinds["page"]}
        assert len(found) == 6
        for score, payload, _ in found:
            assert score == pytest.approx(float((query @ multi[payload["page"]].T).max(axis=1).sum()), rel=1e-4)
        # and the fused search runs every channel of the profile
        result = sight.search("the bar chart of ships per quarter", 3)
        assert result.channels == ["visual", "figure", "text", "bm25"] and len(result.hits) == 3


def test_a_collection_refuses_encoders_it_was_not_built_with(tmp_path, text_encoder, tiny_encoders):
    settings = make_settings(tmp_path / "data")
    with open_store(settings) as store:
        Indexer(store, Encoders("lite", text=text_encoder), settings)
    refusal = "built with image encoder no such encoder, but this profile uses .*tiny/clip"
    with open_store(settings) as store, pytest.raises(SchemaMismatch, match=refusal):
        Indexer(store, tiny_encoders, settings)



def test_a_picture_is_embedded_by_the_page_encoder_and_clip_and_finds_its_page(tiny_settings, tiny_encoders,
                                                                               report):
    """The full profile's classes (tiny random weights here): a picture is embedded as a page is, and as an
    image by CLIP; a page's own image, asked as a picture, is that page for each channel alone (MaxSim of
    unit vectors with themselves, cosine 1), and the fused search runs them with BM25 over the words read in
    it (PAGESIGHT_PICTURE_WORD_CHANNELS)."""
    with PageSight(settings=tiny_settings, models=Models(tiny_settings, tiny_encoders)) as sight:
        if not sight.exists:
            sight.ingest_file(report)
        chart = sight.page_view("report.pdf", 4).image  # the bar chart: a caption, bars, no other words
        for channel in ("visual", "figure"):
            found = sight.search(image=chart, k=3, channels=[channel])
            assert found.channels == [channel] and (found.hits[0].file_name, found.hits[0].page) == ("report.pdf", 4)
        fused = sight.search(image=chart, k=3)
        assert fused.channels == ["visual", "figure", "bm25"] and fused.picture.matched  # its words by BM25
        assert fused.hits[0].page == 4
        photo = sight.page_view("report.pdf", 3).image  # a photograph with a caption; its words and itself
        assert sight.search(image=photo, k=3).hits[0].page == 3
