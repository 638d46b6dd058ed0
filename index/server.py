"""The server backend: a collection on a Qdrant server or cluster, through qdrant-client.

Tests run it against qdrant-client's local mode, which speaks the same client API. Page images
stay on local disk under the data directory; the schema is recorded in the collection's metadata,
so every machine that opens the collection sees what built it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pagesight.core.errors import StoreError
from pagesight.index.store import (
    IMAGE_VECTOR,
    INTEGER_FIELDS,
    KEYWORD_FIELDS,
    LIVE,
    PAGE_POOLED,
    PAGE_VECTOR,
    SPARSE_VECTOR,
    TEXT_VECTOR,
    CollectionSchema,
    Point,
    SearchFilter,
    Store,
    held_vector,
)

__all__ = ["ServerStore", "connect"]

log = logging.getLogger(__name__)

_SCROLL_BATCH = 256
_METADATA_KEY = "pagesight_schema"


def connect(url: str, api_key: str | None = None, timeout: float = 30.0):
    """A qdrant-client for a server URL; qdrant-client is imported only on this path."""
    try:
        from qdrant_client import QdrantClient
    except ImportError as e:
        raise StoreError("the Qdrant server backend needs qdrant-client: pip install qdrant-client") from e
    return QdrantClient(url=url, api_key=api_key, timeout=int(timeout))


@dataclass(frozen=True)
class ClusterOptions:
    """How a new collection is laid out on a Qdrant cluster (ignored by a single node beyond 1s)."""

    shard_number: int = 1
    replication_factor: int = 1
    write_consistency_factor: int = 1
    on_disk_vectors: bool = False

    @classmethod
    def from_settings(cls, settings) -> ClusterOptions:
        return cls(settings.qdrant_shard_number, settings.qdrant_replication_factor,
                   settings.qdrant_write_consistency_factor, settings.qdrant_on_disk_vectors)


class ServerStore(Store):
    stale_after_s = 6 * 3600  # other processes may be writing to the same collection

    def __init__(self, client, folder: Path, name: str, *, where: str = "the Qdrant server",
                 cluster: ClusterOptions | None = None):
        super().__init__(folder, name)
        self.client = client
        self._where = where
        self.cluster = cluster or ClusterOptions()
        try:
            self.schema = self._load_schema()
        except StoreError:
            raise
        except Exception as e:  # connection refused, bad API key, TLS...: qdrant-client raises many kinds
            raise StoreError(f"cannot open collection {name!r} on {where}: {e}") from e
        self.recover()

    def _load_schema(self) -> CollectionSchema | None:
        if not self.client.collection_exists(self.name):
            return None
        metadata = self.client.get_collection(self.name).config.metadata or {}
        if _METADATA_KEY not in metadata:
            raise StoreError(
                f"collection {self.name!r} on {self._where} was not made by PageSight (no schema in its "
                "metadata); choose another name with --collection"
            )
        return CollectionSchema.from_json(metadata[_METADATA_KEY])

    def _create(self, schema: CollectionSchema) -> None:
        from qdrant_client import models

        vectors = {}
        on_disk = self.cluster.on_disk_vectors
        if schema.text:
            vectors[TEXT_VECTOR] = models.VectorParams(size=schema.text.dim, distance=models.Distance.COSINE,
                                                       on_disk=on_disk)
        if schema.image:
            vectors[IMAGE_VECTOR] = models.VectorParams(size=schema.image.dim, distance=models.Distance.COSINE,
                                                        on_disk=on_disk)
        if schema.page:
            storage = schema.page_storage
            maxsim = models.MultiVectorConfig(comparator=models.MultiVectorComparator.MAX_SIM)
            # No HNSW graph over the page multi-vectors (m=0): they are scored exactly (see edge.py).
            vectors[PAGE_VECTOR] = models.VectorParams(
                size=schema.page.dim, distance=models.Distance.DOT, on_disk=True, multivector_config=maxsim,
                hnsw_config=models.HnswConfigDiff(m=0),
                datatype=models.Datatype.FLOAT16 if storage.datatype == "float16" else models.Datatype.FLOAT32,
                quantization_config=_quantization(storage.quantization),
            )
            if storage.pooling != "none":
                vectors[PAGE_POOLED] = models.VectorParams(size=schema.page.dim, distance=models.Distance.DOT,
                                                           multivector_config=maxsim)
        if not vectors:
            raise StoreError("a collection needs at least one dense encoder")
        sparse = {SPARSE_VECTOR: models.SparseVectorParams(modifier=models.Modifier.IDF)} if schema.sparse else None
        self.client.create_collection(
            self.name, vectors_config=vectors, sparse_vectors_config=sparse, on_disk_payload=True,
            metadata={_METADATA_KEY: schema.to_json()}, shard_number=self.cluster.shard_number,
            replication_factor=self.cluster.replication_factor,
            write_consistency_factor=self.cluster.write_consistency_factor,
        )
        for field in KEYWORD_FIELDS:
            self.client.create_payload_index(self.name, field, models.PayloadSchemaType.KEYWORD)
        for field in INTEGER_FIELDS:
            self.client.create_payload_index(self.name, field, models.PayloadSchemaType.INTEGER)

    def _upsert(self, points: list[Point]) -> None:
        from qdrant_client import models

        for start in range(0, len(points), 64):
            batch = [
                models.PointStruct(id=p.id, payload=p.payload, vector={k: _vector(v) for k, v in p.vectors.items()})
                for p in points[start:start + 64]
            ]
            self.client.upsert(self.name, batch, wait=True)

    def export_points(self, offset, limit: int, state: str = LIVE) -> tuple[list[Point], object]:
        records, offset = self.client.scroll(self.name, scroll_filter=_filter(state=state), limit=limit, offset=offset,
                                             with_payload=True, with_vectors=True)
        return [Point(str(r.id), {k: held_vector(v) for k, v in (r.vector or {}).items()}, r.payload)
                for r in records], offset

    def existing_ids(self, ids: list[str]) -> set[str]:
        return {str(r.id) for r in self.client.retrieve(self.name, ids, with_payload=False, with_vectors=False)}

    def point_vectors(self, ids: list[str]) -> dict[str, dict]:
        return {str(r.id): {k: held_vector(v) for k, v in (r.vector or {}).items()}
                for r in self.client.retrieve(self.name, ids, with_payload=False, with_vectors=True)}

    def count_state(self, state: str) -> int:
        if self.schema is None:
            return 0
        return self.client.count(self.name, count_filter=_filter(state=state), exact=True).count

    def set_all_state(self, old: str, new: str) -> None:
        self.client.set_payload(self.name, {"state": new}, points=_filter(state=old), wait=True)

    def _set_state(self, doc_id: str, state: str) -> None:
        self.client.set_payload(self.name, {"state": state}, points=_filter(doc_id=doc_id), wait=True)

    def _delete(self, *, doc_id: str | None = None, state: str | None = None,
                written_before: int | None = None) -> None:
        from qdrant_client import models

        if self.schema is None:
            return
        if doc_id is None and state is None:
            raise ValueError("refusing to delete without a condition")
        flt = _filter(doc_id=doc_id, state=state)
        if written_before is not None:
            flt.must.append(models.FieldCondition(key="written_at", range=models.Range(lt=written_before)))
        selector = models.FilterSelector(filter=flt)
        self.client.delete(self.name, points_selector=selector, wait=True)

    def _scroll(self, *, kind: str, page: int | None = None, state: str = LIVE, doc_id: str | None = None,
                source: str | None = None) -> list[dict]:
        flt = _filter(kind=kind, page=page, state=state, doc_id=doc_id, source=source)
        out, offset = [], None
        while True:
            records, offset = self.client.scroll(
                self.name, scroll_filter=flt, limit=_SCROLL_BATCH, offset=offset, with_payload=True, with_vectors=False,
            )
            out.extend(r.payload for r in records)
            if offset is None:
                return out

    def _search_dense(self, vector: np.ndarray, using: str, limit: int, kinds: tuple[str, ...],
                      flt: SearchFilter) -> list[tuple[float, dict]]:
        response = self.client.query_points(
            self.name, query=_vector(vector), using=using,
            query_filter=_search_filter(flt, kinds), limit=limit, with_payload=True,
        )
        return [(p.score, p.payload) for p in response.points]

    def _search_pages(self, query: np.ndarray, limit: int, first_pass: str, candidates: int,
                      flt: SearchFilter) -> list[tuple[float, dict]]:
        from qdrant_client import models

        live = _search_filter(flt, ("page",))
        matrix = query.tolist()
        exact = models.SearchParams(quantization=models.QuantizationSearchParams(ignore=True))
        if first_pass == "pooled":
            prefetch = models.Prefetch(query=matrix, using=PAGE_POOLED, limit=candidates, filter=live)
            response = self.client.query_points(self.name, prefetch=prefetch, query=matrix, using=PAGE_VECTOR,
                                                query_filter=live, limit=limit, search_params=exact)
        elif first_pass == "quantized":
            params = models.SearchParams(quantization=models.QuantizationSearchParams(
                rescore=True, oversampling=candidates / limit))
            response = self.client.query_points(self.name, query=matrix, using=PAGE_VECTOR, query_filter=live,
                                                limit=limit, search_params=params)
        else:
            response = self.client.query_points(self.name, query=matrix, using=PAGE_VECTOR, query_filter=live,
                                                limit=limit, search_params=exact)
        return [(p.score, p.payload) for p in response.points]

    def count(self) -> int:
        return 0 if self.schema is None else self.client.count(self.name, exact=True).count

    def close(self) -> None:
        self.client.close()


def _vector(v):
    """A dense array as a list of floats, a sparse (indices, values) pair as a SparseVector."""
    if isinstance(v, tuple):
        from qdrant_client import models

        return models.SparseVector(indices=list(v[0]), values=list(v[1]))
    return np.asarray(v, dtype=np.float32).tolist()


def _quantization(kind: str):
    from qdrant_client import models

    if kind == "scalar":
        return models.ScalarQuantization(scalar=models.ScalarQuantizationConfig(
            type=models.ScalarType.INT8, quantile=0.99, always_ram=True))
    if kind == "binary":
        return models.BinaryQuantization(binary=models.BinaryQuantizationConfig(always_ram=True))
    return None


def _search_filter(flt: SearchFilter, kinds: tuple[str, ...]):
    """Live points of these kinds, restricted as `flt` says."""
    from qdrant_client import models

    must = [models.FieldCondition(key="state", match=models.MatchValue(value=LIVE)),
            models.FieldCondition(key="kind", match=models.MatchAny(any=list(kinds)))]
    if flt.doc_ids is not None:
        must.append(models.FieldCondition(key="doc_id", match=models.MatchAny(any=list(flt.doc_ids))))
    if flt.tags:
        must.append(models.FieldCondition(key="tags", match=models.MatchAny(any=list(flt.tags))))
    if flt.pages is not None:
        low, high = flt.pages
        must.append(models.FieldCondition(key="page", range=models.Range(gte=low, lte=high)))
    if flt.within is not None:
        must.append(models.Filter(should=[
            models.Filter(must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc)),
                                models.FieldCondition(key="page", match=models.MatchValue(value=page))])
            for doc, page in flt.within
        ]))
    return models.Filter(must=must)


def _filter(**equals):
    from qdrant_client import models

    return models.Filter(must=[
        models.FieldCondition(key=k, match=models.MatchValue(value=v)) for k, v in equals.items() if v is not None
    ])
