"""Migration from the embedded store to a server (qdrant-client's local mode, the same client
API): everything copied, nothing visible until the end, resumable, verified."""

import pytest
from qdrant_client import QdrantClient

from pagesight.api.pagesight import Models, PageSight
from pagesight.core.errors import StoreError
from pagesight.index import open_store
from pagesight.index.encoders import Bm25Encoder
from pagesight.index.migrate import migrate
from pagesight.index.profiles import Encoders
from pagesight.index.server import ClusterOptions, ServerStore
from tests import docs
from tests.conftest import make_settings

QUESTION = "How many ships did the keeper count?"


@pytest.fixture
def embedded(tmp_path, text_encoder, report):
    settings = make_settings(tmp_path / "data")
    encoders = Encoders("lite", text=text_encoder, sparse=Bm25Encoder())
    store = open_store(settings)
    with PageSight(settings=settings, models=Models(settings, encoders), store=store) as sight:
        sight.ingest([report, docs.simple_pdf(tmp_path / "memo.pdf", ["Memo: the lamp needs a new wick."])])
        yield store, encoders, settings


def search(store, encoders, settings, query: str, k: int):
    """The fused search over one store, as PageSight runs it."""
    return PageSight(settings=settings, models=Models(settings, encoders), store=store).search(query, k).hits


def server(tmp_path, settings, **cluster):
    return ServerStore(QdrantClient(path=str(tmp_path / "qdrant")), settings.collection_dir(), "default",
                       where="local mode", cluster=ClusterOptions(**cluster))


def test_everything_is_copied_verified_and_searches_the_same(embedded, tmp_path):
    source, encoders, settings = embedded
    target = server(tmp_path, settings, shard_number=2, replication_factor=1, on_disk_vectors=True)
    seen = []
    report = migrate(source, target, batch=4, on_progress=lambda done, total: seen.append((done, total)))
    assert report.ok, report.mismatches
    assert report.copied == report.points == source.count_state("live") == target.count_state("live") > 8
    assert report.verified_sample == min(32, report.points) and report.skipped == 0
    assert seen[-1] == (report.points, report.points) and len(seen) >= 2
    here = search(source, encoders, settings, QUESTION, 3)
    there = search(target, encoders, settings, QUESTION, 3)
    assert [(h.doc_id, h.page) for h in there] == [(h.doc_id, h.page) for h in here]
    assert there[0].image_path == here[0].image_path  # page images are shared, not copied
    assert {d.file_name for d in target.documents()} == {"report.pdf", "memo.pdf"}
    target.close()


def test_an_interrupted_migration_shows_nothing_and_resumes(embedded, tmp_path):
    source, encoders, settings = embedded
    target = server(tmp_path, settings)

    def stop_after_first_batch(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        migrate(source, target, batch=4, on_progress=stop_after_first_batch)
    assert target.count_state("migrating") == 4 and target.count_state("live") == 0
    assert search(target, encoders, settings, QUESTION, 3) == []  # nothing half-visible
    assert target.documents() == []

    report = migrate(source, target, batch=4)
    assert report.ok and report.skipped == 4 and report.copied == report.points - 4
    assert target.count_state("live") == report.points and target.count_state("migrating") == 0
    with pytest.raises(StoreError, match="already holds .* live points"):
        migrate(source, target)
    target.close()


def test_cluster_options_shape_the_new_collection(embedded, tmp_path):
    source, _, settings = embedded
    target = server(tmp_path, settings, on_disk_vectors=True)
    target.ensure_schema(source.schema)
    params = target.client.get_collection("default").config.params
    assert params.vectors["text"].on_disk is True and params.vectors["text"].size == 384
    target.close()


def test_cluster_options_on_a_real_server(embedded, tmp_path):
    import os
    import uuid

    url = os.environ.get("PAGESIGHT_TEST_QDRANT_URL")
    if not url:
        pytest.skip("no real Qdrant server (set PAGESIGHT_TEST_QDRANT_URL to run this against one)")
    source, _, settings = embedded
    client = QdrantClient(url=url, api_key=os.environ.get("PAGESIGHT_TEST_QDRANT_API_KEY"))
    name = f"pagesight-test-{uuid.uuid4().hex[:12]}"
    target = ServerStore(client, settings.collection_dir(), name, where=url,
                         cluster=ClusterOptions(shard_number=2, replication_factor=1, write_consistency_factor=1))
    try:
        assert migrate(source, target).ok
        params = client.get_collection(name).config.params
        assert (params.shard_number, params.replication_factor) == (2, 1)
    finally:
        client.delete_collection(name)
