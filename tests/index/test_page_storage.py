"""Storage options for page multi-vectors: float16, scalar or binary quantization, pooled companions.

The cheap paths must agree with exact MaxSim on the top results. The pages are clustered synthetic
multi-vectors (topics plus noise) and each query is made of noisy copies of some of one page's
tokens, so that rankings have structure, as real ones do, and are not decided by uniform noise.
"""

import numpy as np
import pytest

from pagesight.core.types import Document, Page
from pagesight.index.edge import EdgeStore
from pagesight.index.encoders import EncoderSpec
from pagesight.index.points import DocumentVectors
from pagesight.index.pooling import cluster_pool, maxsim, mean_pool, pool_page, token_pool
from pagesight.index.server import ServerStore
from pagesight.index.store import CollectionSchema, PageStorage, now

DIM, TOKENS, PAGES, QUERIES = 128, 48, 240, 30


def unit_rows(m: np.ndarray) -> np.ndarray:
    return (m / np.linalg.norm(m, axis=-1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def corpus():
    return make_corpus()


def make_corpus():
    rng = np.random.default_rng(42)
    topics = unit_rows(rng.normal(size=(40, DIM)))
    pages = []
    for _ in range(PAGES):
        own = rng.choice(len(topics), size=3, replace=False)  # a page is about a few topics
        mix = topics[rng.choice(own, size=TOKENS)]  # each token near one of them
        pages.append(unit_rows(mix + 0.7 / np.sqrt(DIM) * rng.normal(size=(TOKENS, DIM))))  # noise norm 0.7
    queries, targets = [], []
    for _ in range(QUERIES):
        target = int(rng.integers(PAGES))
        picked = pages[target][rng.choice(TOKENS, size=8, replace=False)]
        queries.append(unit_rows(picked + 0.5 / np.sqrt(DIM) * rng.normal(size=picked.shape)))
        targets.append(target)
    return pages, queries, targets


def fill(store, pages, storage: PageStorage):
    """Each page a document of its own, written one by one as ingests write them (a write is flushed to
    disk: 13 ms each here)."""
    store.ensure_schema(CollectionSchema(page=EncoderSpec("test/pages", "1", DIM), page_storage=storage))
    for i, multi in enumerate(pages):
        doc_id = f"d{i:04d}"
        staging = store.images.new_staging(doc_id)
        staging.mkdir(parents=True)
        page = Page(number=1, width=100, height=100, image_width=10, image_height=10, image="p.png",
                    thumbnail="t.jpg")
        vectors = DocumentVectors(page_multi={1: multi})
        if (pooled := pool_page(multi, storage)) is not None:
            vectors.page_pooled[1] = pooled
        doc = Document(id=doc_id, file_name=f"{doc_id}.pdf", source=f"/{doc_id}.pdf", media_type="application/pdf",
                       pages=1, ingested_at=now())
        store.add_document(doc, [page], vectors, staging)
    store.optimize()


def fill_as_one_document(store, pages, storage: PageStorage):
    """The pages as the pages of one document: one write, where `fill` makes as many as there are pages."""
    store.ensure_schema(CollectionSchema(page=EncoderSpec("test/pages", "1", DIM), page_storage=storage))
    staging = store.images.new_staging("d")
    staging.mkdir(parents=True)
    vectors = DocumentVectors()
    for number, multi in enumerate(pages, start=1):
        vectors.page_multi[number] = multi
        if (pooled := pool_page(multi, storage)) is not None:
            vectors.page_pooled[number] = pooled
    listed = [Page(number=n, width=100, height=100, image_width=10, image_height=10, image="p.png", thumbnail="t.jpg")
              for n in range(1, len(pages) + 1)]
    doc = Document(id="d", file_name="d.pdf", source="/d.pdf", media_type="application/pdf", pages=len(pages),
                   ingested_at=now())
    store.add_document(doc, listed, vectors, staging)
    store.optimize()


def ranked(scored) -> list[int]:
    """Page indexes (0-based) of search results."""
    return [s.payload["page"] - 1 for s in scored]


STORAGES = {
    "float32, mean-pooled": PageStorage("float32", "none", "mean"),
    "float32, 8 cluster centroids": PageStorage("float32", "none", "clusters", pool_rows=8),
    "float16, token-pooled": PageStorage("float16", "none", "tokens", 4),
    "float32, scalar int8": PageStorage("float32", "scalar", "none"),
    "float32, binary": PageStorage("float32", "binary", "none"),
}


@pytest.fixture(params=["edge", "server"])
def backend(request, tmp_path):
    if request.param == "edge":
        return lambda: EdgeStore(tmp_path / "c", "c")
    from qdrant_client import QdrantClient

    return lambda: ServerStore(QdrantClient(path=str(tmp_path / "q")), tmp_path / "c", "c", where="local mode")


@pytest.mark.parametrize("name", list(STORAGES))
def test_cheap_first_passes_agree_with_exact_maxsim(backend, corpus, name):
    pages, queries, targets = corpus
    storage = STORAGES[name]
    first_pass = "pooled" if storage.pooling != "none" else "quantized"
    with backend() as store:
        fill_as_one_document(store, pages, storage)
        same_top5, target_found = 0, 0
        for query, target in zip(queries, targets, strict=True):
            exact = ranked(store.search_pages(query, 5))
            cheap = ranked(store.search_pages(query, 5, first_pass=first_pass, candidates=30))
            reference = sorted(range(PAGES), key=lambda i: -maxsim(query, pages[i]))[:5]
            if storage.datatype == "float32":
                assert exact == reference  # the store's exact path is exact
            same_top5 += set(cheap) == set(exact)
            target_found += target == cheap[0]
    assert same_top5 / QUERIES >= 0.9, (name, same_top5)
    assert target_found / QUERIES >= 0.9, (name, target_found)


def test_pooling_functions():
    rng = np.random.default_rng(0)
    page = unit_rows(rng.normal(size=(60, DIM)))
    mean = mean_pool(page)
    assert mean.shape == (DIM,) and np.isclose(np.linalg.norm(mean), 1)
    pooled = token_pool(page, 4)
    assert pooled.shape[1] == DIM and pooled.shape[0] <= 15
    assert pool_page(page, PageStorage(pooling="none")) is None
    assert pool_page(page, PageStorage(pooling="mean")).shape == (1, DIM)
    assert pool_page(page, PageStorage(pooling="clusters", pool_rows=5)).shape == (5, DIM)
    assert maxsim(page[:3], page) == pytest.approx(3.0, abs=1e-5)  # each query row finds itself


def test_cluster_pool_finds_each_topic_of_a_page():
    rng = np.random.default_rng(1)
    topics = unit_rows(rng.normal(size=(4, DIM)))
    sizes = (40, 30, 6, 4)  # two large topics, two small ones the mean would drown
    page = unit_rows(np.concatenate([t + 0.3 / np.sqrt(DIM) * rng.normal(size=(n, DIM))
                                     for t, n in zip(topics, sizes, strict=True)]))
    centroids = cluster_pool(page, 4)
    assert centroids.shape == (4, DIM)
    assert np.allclose(np.linalg.norm(centroids, axis=1), 1, atol=1e-5)
    # each topic, small ones included, has a centroid close to it; the mean is far from the small ones
    assert (topics @ centroids.T).max(axis=1).min() > 0.95
    assert (topics[2:] @ mean_pool(page)).max() < 0.5
    assert np.array_equal(cluster_pool(page, 4), centroids)  # deterministic
    assert np.array_equal(cluster_pool(page[:3], 4), page[:3])  # fewer tokens than rows: the tokens


def test_asking_for_a_first_pass_the_collection_lacks_is_an_error(tmp_path, corpus):
    with EdgeStore(tmp_path / "c", "c") as store:
        fill(store, corpus[0][:3], PageStorage("float32", "none", "none"))
        with pytest.raises(ValueError, match="no pooled page vectors"):
            store.search_pages(corpus[1][0], 3, first_pass="pooled")
        with pytest.raises(ValueError, match="keeps no quantized page vectors"):
            store.search_pages(corpus[1][0], 3, first_pass="quantized")
