"""The server backend: a collection on a Qdrant server or cluster, through qdrant-client. It
translates the descriptions of layout.py into qdrant-client calls and does nothing else.

Tests run it against qdrant-client's local mode, which speaks the same client API. Page images
stay on local disk under the data directory; the schema is recorded in the collection's metadata,
so every machine that opens the collection sees what built it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import StoreError
from .layout import (
    INTEGER_FIELDS,
    KEYWORD_FIELDS,
    AllOf,
    AnyOf,
    Condition,
    HasId,
    Match,
    MatchAny,
    Range,
    Search,
    VectorSpec,
)
from .points import Point
from .store import CollectionSchema, Record, Scored, Store, held_vector

__all__ = ["ClusterOptions", "ServerStore", "connect", "pagesight_collections"]

log = logging.getLogger(__name__)

_METADATA_KEY = "pagesight_schema"


def connect(url: str, api_key: str | None = None, timeout: float = 30.0):
    """A qdrant-client for a server URL; qdrant-client is imported only on this path."""
    try:
        from qdrant_client import QdrantClient
    except ImportError as e:
        raise StoreError("the Qdrant server backend needs qdrant-client: pip install qdrant-client") from e
    return QdrantClient(url=url, api_key=api_key, timeout=int(timeout))


def pagesight_collections(client) -> list[str]:
    """The server's collections that PageSight made (their metadata records a schema), sorted."""
    names = [c.name for c in client.get_collections().collections]
    return sorted(n for n in names if _METADATA_KEY in (client.get_collection(n).config.metadata or {}))


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
        self._vectors_on_disk = self.cluster.on_disk_vectors
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

    def _save_schema(self, schema: CollectionSchema) -> None:
        self.client.update_collection(self.name, metadata={_METADATA_KEY: schema.to_json()})

    def _create(self, dense: list[VectorSpec], sparse: list[str], schema: CollectionSchema) -> None:
        from qdrant_client import models

        if not dense:
            raise StoreError("a collection needs at least one dense encoder")
        self.client.create_collection(
            self.name, vectors_config={v.name: _vector_params(v) for v in dense},
            sparse_vectors_config={n: models.SparseVectorParams(modifier=models.Modifier.IDF) for n in sparse} or None,
            on_disk_payload=True, metadata={_METADATA_KEY: schema.to_json()},
            shard_number=self.cluster.shard_number, replication_factor=self.cluster.replication_factor,
            write_consistency_factor=self.cluster.write_consistency_factor,
        )
        for name in KEYWORD_FIELDS:
            self.client.create_payload_index(self.name, name, models.PayloadSchemaType.KEYWORD)
        for name in INTEGER_FIELDS:
            self.client.create_payload_index(self.name, name, models.PayloadSchemaType.INTEGER)

    def _upsert(self, points: list[Point]) -> None:
        from qdrant_client import models

        for start in range(0, len(points), 64):
            batch = [models.PointStruct(id=p.id, payload=p.payload,
                                        vector={k: _vector(v) for k, v in p.vectors.items()})
                     for p in points[start:start + 64]]
            self.client.upsert(self.name, batch, wait=True)

    def _set_payload(self, condition: Condition, values: dict) -> None:
        self.client.set_payload(self.name, values, points=_filter(condition), wait=True)

    def _delete(self, condition: Condition) -> None:
        from qdrant_client import models

        if self.schema is None:
            return
        self.client.delete(self.name, points_selector=models.FilterSelector(filter=_filter(condition)), wait=True)

    def _scroll(self, condition: Condition, *, offset=None, limit: int = 256, vectors: bool = False,
                fields: tuple[str, ...] | None = None) -> tuple[list[Record], object]:
        records, offset = self.client.scroll(self.name, scroll_filter=_filter(condition), limit=limit, offset=offset,
                                             with_payload=True if fields is None else list(fields),
                                             with_vectors=vectors)
        return [_record(r, vectors) for r in records], offset

    def _retrieve(self, ids: list[str], *, vectors: bool, payload: bool = False) -> list[Record]:
        return [_record(r, vectors) for r in self.client.retrieve(self.name, ids, with_payload=payload,
                                                                  with_vectors=vectors)]

    def _query(self, search: Search, *, payload: bool = True) -> list[Scored]:
        from qdrant_client import models

        prefetch = None
        if search.prefetch is not None:
            first = search.prefetch
            prefetch = models.Prefetch(query=_vector(first.vector), using=first.using, limit=first.limit,
                                       filter=_filter(first.filter))
        response = self.client.query_points(self.name, query=_vector(search.vector), using=search.using,
                                            prefetch=prefetch, query_filter=_filter(search.filter),
                                            limit=search.limit, with_payload=payload, search_params=_params(search))
        return [Scored(p.score, p.payload or {}, str(p.id)) for p in response.points]

    def _count(self, condition: Condition | None) -> int:
        return self.client.count(self.name, count_filter=_filter(condition) if condition else None, exact=True).count

    def close(self) -> None:
        self.client.close()


def _record(r, vectors: bool) -> Record:
    held = {k: held_vector(v) for k, v in (r.vector or {}).items()} if vectors else None
    return Record(str(r.id), r.payload or {}, held)


def _vector(v):
    """A dense array as lists of floats, a sparse (indices, values) pair as a SparseVector."""
    if isinstance(v, tuple):
        from qdrant_client import models

        return models.SparseVector(indices=list(v[0]), values=list(v[1]))
    return np.asarray(v, dtype=np.float32).tolist()


def _vector_params(v: VectorSpec):
    from qdrant_client import models

    # Quantized copies stay in memory: they are what a first pass reads.
    quantization = {
        "scalar": models.ScalarQuantization(scalar=models.ScalarQuantizationConfig(
            type=models.ScalarType.INT8, quantile=0.99, always_ram=True)),
        "binary": models.BinaryQuantization(binary=models.BinaryQuantizationConfig(always_ram=True)),
    }.get(v.quantization)
    return models.VectorParams(
        size=v.size, distance=models.Distance.COSINE if v.distance == "cosine" else models.Distance.DOT,
        on_disk=v.on_disk,
        multivector_config=(models.MultiVectorConfig(comparator=models.MultiVectorComparator.MAX_SIM)
                            if v.multivector else None),
        datatype=models.Datatype.FLOAT16 if v.datatype == "float16" else models.Datatype.FLOAT32,
        quantization_config=quantization, hnsw_config=None if v.graph else models.HnswConfigDiff(m=0),
    )


def _params(search: Search):
    from qdrant_client import models

    if search.oversampling is not None:
        return models.SearchParams(quantization=models.QuantizationSearchParams(
            rescore=True, oversampling=search.oversampling))
    return models.SearchParams(quantization=models.QuantizationSearchParams(ignore=True)) if search.exact else None


def _filter(condition: Condition):
    """A condition of layout.py as a qdrant-client filter."""
    from qdrant_client import models

    found = _condition(condition)
    return found if isinstance(found, models.Filter) else models.Filter(must=[found])


def _condition(condition: Condition):
    from qdrant_client import models

    if isinstance(condition, AllOf):
        if not condition.conditions:
            raise ValueError("refusing an empty filter: every operation names what it applies to")
        return models.Filter(must=[_condition(c) for c in condition.conditions])
    if isinstance(condition, AnyOf):
        return models.Filter(should=[_condition(c) for c in condition.conditions])
    if isinstance(condition, Match):
        return models.FieldCondition(key=condition.key, match=models.MatchValue(value=condition.value))
    if isinstance(condition, MatchAny):
        return models.FieldCondition(key=condition.key, match=models.MatchAny(any=list(condition.values)))
    if isinstance(condition, Range):
        return models.FieldCondition(key=condition.key, range=models.Range(gte=condition.gte, lte=condition.lte,
                                                                           lt=condition.lt))
    if isinstance(condition, HasId):
        return models.HasIdCondition(has_id=list(condition.ids))
    raise TypeError(f"not a condition: {condition!r}")
