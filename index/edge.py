"""The embedded backend: one Qdrant Edge shard per collection, in-process (Qdrant's own Rust engine)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np

from pagesight.core.errors import StoreError, StoreLocked
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

__all__ = ["EdgeStore"]

log = logging.getLogger(__name__)

_SCROLL_BATCH = 256


class EdgeStore(Store):
    def __init__(self, folder: Path, name: str):
        super().__init__(folder, name)
        self._shard = None
        self._shard_dir = folder / "shard"
        self._manifest = folder / "collection.json"
        self.schema = self._load_schema()
        if self.schema is not None:
            self._shard = self._load()
        self.recover()

    def _load_schema(self) -> CollectionSchema | None:
        if not self._manifest.exists():
            return None
        return CollectionSchema.from_json(json.loads(self._manifest.read_text())["schema"])

    def _load(self):
        from qdrant_edge import EdgeShard

        try:
            return EdgeShard.load(str(self._shard_dir))
        except Exception as e:  # qdrant_edge raises a bare Exception with the engine's message
            if "WouldBlock" in str(e) or "lock" in str(e).lower():
                raise StoreLocked(
                    f"collection {self.name!r} at {self.folder} is open in another process (a running "
                    "`pagesight serve` or ingest). Stop that process, or send requests to it with --server URL.",
                ) from None
            raise StoreError(f"collection {self.name!r} at {self.folder} cannot be opened: {e}") from e

    def _create(self, schema: CollectionSchema) -> None:
        from qdrant_edge import (
            Distance,
            EdgeConfig,
            EdgeShard,
            EdgeSparseVectorParams,
            EdgeVectorParams,
            HnswIndexConfig,
            Modifier,
            MultiVectorComparator,
            MultiVectorConfig,
            PayloadSchemaType,
            UpdateOperation,
        )

        vectors = {}
        if schema.text:
            vectors[TEXT_VECTOR] = EdgeVectorParams(size=schema.text.dim, distance=Distance.Cosine)
        if schema.image:
            vectors[IMAGE_VECTOR] = EdgeVectorParams(size=schema.image.dim, distance=Distance.Cosine)
        if schema.page:
            storage = schema.page_storage
            maxsim = MultiVectorConfig(comparator=MultiVectorComparator.MaxSim)
            # No HNSW graph over the page multi-vectors (m=0): they are scored exactly, by a full
            # scan or after a first pass; a graph over ~1,000 vectors a page costs minutes to build.
            vectors[PAGE_VECTOR] = EdgeVectorParams(
                size=schema.page.dim, distance=Distance.Dot, multivector_config=maxsim, on_disk=True,
                datatype=_datatype(storage.datatype), quantization_config=_quantization(storage.quantization),
                hnsw_config=HnswIndexConfig(m=0, ef_construct=100, full_scan_threshold=10_000),
            )
            if storage.pooling != "none":
                # Kept in memory with an HNSW graph (MaxSim between companions): the first pass.
                # 32 centroids a page are 16 KB; the graph takes minutes to build at 10,000 pages.
                vectors[PAGE_POOLED] = EdgeVectorParams(size=schema.page.dim, distance=Distance.Dot,
                                                        multivector_config=maxsim)
        sparse = {}
        if schema.sparse:
            sparse[SPARSE_VECTOR] = EdgeSparseVectorParams(modifier=Modifier.Idf)
        if not vectors:
            raise StoreError("a collection needs at least one dense encoder")
        if self._shard_dir.exists() and any(self._shard_dir.iterdir()):
            raise StoreError(f"{self._shard_dir} holds a shard but no collection.json; move it away to start afresh")
        config = EdgeConfig(vectors=vectors, sparse_vectors=sparse or None, on_disk_payload=True)
        self._shard = EdgeShard.create(str(self._shard_dir), config)
        for name in KEYWORD_FIELDS:
            self._shard.update(UpdateOperation.create_field_index(name, PayloadSchemaType.Keyword))
        for name in INTEGER_FIELDS:
            self._shard.update(UpdateOperation.create_field_index(name, PayloadSchemaType.Integer))
        self._shard.flush()
        # The manifest appears last, by rename: a shard without one is a creation that did not finish.
        tmp = self._manifest.with_suffix(".tmp")
        tmp.write_text(json.dumps({"name": self.name, "schema": schema.to_json()}, indent=2))
        os.replace(tmp, self._manifest)

    def _upsert(self, points: list[Point]) -> None:
        from qdrant_edge import Point as EdgePoint
        from qdrant_edge import UpdateOperation

        # Batches keep one update's memory bounded (a ColQwen2 page is ~0.5 MB of vectors).
        for start in range(0, len(points), 64):
            batch = [
                EdgePoint(id=p.id, vector={k: _vector(v) for k, v in p.vectors.items()}, payload=p.payload)
                for p in points[start:start + 64]
            ]
            self._shard.update(UpdateOperation.upsert_points(batch))

    def _set_state(self, doc_id: str, state: str) -> None:
        from qdrant_edge import UpdateOperation

        # One operation in the write-ahead log: after a crash it is replayed whole or not at all.
        self._shard.update(UpdateOperation.set_payload_by_filter(_filter(doc_id=doc_id), {"state": state}))
        self._shard.flush()

    def _delete(self, *, doc_id: str | None = None, state: str | None = None,
                written_before: int | None = None) -> None:
        from qdrant_edge import UpdateOperation

        if self._shard is None:
            return
        if doc_id is None and state is None:
            raise ValueError("refusing to delete without a condition")
        flt = _filter(doc_id=doc_id, state=state)
        if written_before is not None:
            from qdrant_edge import FieldCondition, Filter, RangeFloat

            flt = Filter(must=[*flt.must, FieldCondition(key="written_at", range=RangeFloat(lt=written_before))])
        self._shard.update(UpdateOperation.delete_points_by_filter(flt))
        self._shard.flush()

    def _scroll(self, *, kind: str, page: int | None = None, state: str = LIVE, doc_id: str | None = None,
                source: str | None = None) -> list[dict]:
        from qdrant_edge import ScrollRequest

        flt = _filter(kind=kind, page=page, state=state, doc_id=doc_id, source=source)
        out, offset = [], None
        while True:
            records, offset = self._shard.scroll(
                ScrollRequest(offset=offset, limit=_SCROLL_BATCH, filter=flt, with_payload=True, with_vector=False)
            )
            out.extend(r.payload for r in records)
            if offset is None:
                return out

    def _search_dense(self, vector: np.ndarray, using: str, limit: int, kinds: tuple[str, ...],
                      flt: SearchFilter) -> list[tuple[float, dict]]:
        from qdrant_edge import Query, QueryRequest

        hits = self._shard.query(QueryRequest(
            limit=limit, query=Query.Nearest(_vector(vector), using=using),
            filter=_search_filter(flt, kinds), with_payload=True,
        ))
        return [(h.score, h.payload) for h in hits]

    def _search_pages(self, query: np.ndarray, limit: int, first_pass: str, candidates: int,
                      flt: SearchFilter) -> list[tuple[float, dict]]:
        from qdrant_edge import Prefetch, QuantizationSearchParams, Query, QueryRequest, SearchParams

        live = _search_filter(flt, ("page",))
        exact = SearchParams(quantization=QuantizationSearchParams(ignore=True))
        if first_pass == "pooled":
            request = QueryRequest(
                limit=limit, filter=live, with_payload=True, params=exact,
                prefetches=[Prefetch(limit=candidates, query=Query.Nearest(query, using=PAGE_POOLED), filter=live)],
                query=Query.Nearest(query, using=PAGE_VECTOR),
            )
        elif first_pass == "quantized":
            params = SearchParams(quantization=QuantizationSearchParams(rescore=True, oversampling=candidates / limit))
            request = QueryRequest(limit=limit, filter=live, with_payload=True, params=params,
                                   query=Query.Nearest(query, using=PAGE_VECTOR))
        else:
            request = QueryRequest(limit=limit, filter=live, with_payload=True, params=exact,
                                   query=Query.Nearest(query, using=PAGE_VECTOR))
        return [(h.score, h.payload) for h in self._shard.query(request)]

    def export_points(self, offset, limit: int, state: str = LIVE) -> tuple[list[Point], object]:
        from qdrant_edge import ScrollRequest

        records, offset = self._shard.scroll(ScrollRequest(offset=offset, limit=limit, filter=_filter(state=state),
                                                           with_payload=True, with_vector=True))
        return [Point(str(r.id), {k: held_vector(v) for k, v in r.vector.items()}, r.payload) for r in records], offset

    def existing_ids(self, ids: list[str]) -> set[str]:
        return {str(r.id) for r in self._shard.retrieve(ids, with_payload=False, with_vector=False)}

    def point_vectors(self, ids: list[str]) -> dict[str, dict]:
        return {str(r.id): {k: held_vector(v) for k, v in r.vector.items()}
                for r in self._shard.retrieve(ids, with_payload=False, with_vector=True)}

    def count_state(self, state: str) -> int:
        from qdrant_edge import CountRequest

        return 0 if self._shard is None else self._shard.count(CountRequest(exact=True, filter=_filter(state=state)))

    def set_all_state(self, old: str, new: str) -> None:
        from qdrant_edge import UpdateOperation

        self._shard.update(UpdateOperation.set_payload_by_filter(_filter(state=old), {"state": new}))
        self._shard.flush()

    def optimize(self) -> None:
        if self._shard is not None:
            self._shard.optimize()

    def count(self) -> int:
        from qdrant_edge import CountRequest

        return 0 if self._shard is None else self._shard.count(CountRequest(exact=True))

    def close(self) -> None:
        if self._shard is not None:
            self._shard.flush()
            self._shard.close()
            self._shard = None


def _vector(v):
    """A dense array as float32, a sparse (indices, values) pair as Qdrant's SparseVector."""
    if isinstance(v, tuple):
        from qdrant_edge import SparseVector

        return SparseVector(indices=list(v[0]), values=list(v[1]))
    return np.asarray(v, dtype=np.float32)


def _datatype(name: str):
    from qdrant_edge import VectorStorageDatatype

    return {"float32": VectorStorageDatatype.Float32, "float16": VectorStorageDatatype.Float16}[name]


def _quantization(kind: str):
    from qdrant_edge import BinaryQuantizationConfig, ScalarQuantizationConfig, ScalarType

    if kind == "scalar":
        return ScalarQuantizationConfig(type=ScalarType.Int8, quantile=0.99)
    if kind == "binary":
        return BinaryQuantizationConfig()
    return None


def _search_filter(flt: SearchFilter, kinds: tuple[str, ...]):
    """Live points of these kinds, restricted as `flt` says."""
    from qdrant_edge import FieldCondition, Filter, MatchAny, MatchValue, RangeFloat

    must = [FieldCondition(key="state", match=MatchValue(LIVE)),
            FieldCondition(key="kind", match=MatchAny(list(kinds)))]
    if flt.doc_ids is not None:
        must.append(FieldCondition(key="doc_id", match=MatchAny(list(flt.doc_ids))))
    if flt.tags:
        must.append(FieldCondition(key="tags", match=MatchAny(list(flt.tags))))
    if flt.pages is not None:
        low, high = flt.pages
        must.append(FieldCondition(key="page", range=RangeFloat(gte=low, lte=high)))
    if flt.within is not None:
        must.append(Filter(should=[
            Filter(must=[FieldCondition(key="doc_id", match=MatchValue(doc)),
                         FieldCondition(key="page", match=MatchValue(page))]) for doc, page in flt.within
        ]))
    return Filter(must=must)


def _filter(**equals):
    """A must-filter of exact matches; None values are left out."""
    from qdrant_edge import FieldCondition, Filter, MatchValue

    return Filter(must=[FieldCondition(key=k, match=MatchValue(v)) for k, v in equals.items() if v is not None])
