"""The embedded backend: one Qdrant Edge shard per collection, in-process (Qdrant's own Rust engine).
It translates the descriptions of layout.py into qdrant-edge calls, and builds the shard's indexes
apart from the process that serves it.

Index builds. Qdrant Edge builds a shard's indexes only when asked, and holds the GIL while it does
(a 3,000-page build stopped every other thread of the process for 19 s). So `optimize` builds them
on a copy: it copies the flushed shard to `shard-<id>.building` (writes wait for it; searches go on
over the old shard), builds the copy's indexes in a child process, renames it `shard-<id>`, loads it,
then names it in collection.json (an atomic rename) and swaps it in under the lock, for the time of
a pointer swap. The old shard is deleted after. A crash at any point leaves collection.json naming a
whole shard, the old or the new one, with the same documents; whatever it does not name is a
leftover, deleted when the collection is next opened.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import numpy as np

from ..core.errors import StoreError, StoreLocked
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

__all__ = ["EdgeStore"]

log = logging.getLogger(__name__)


class EdgeStore(Store):
    def __init__(self, folder: Path, name: str):
        super().__init__(folder, name)
        self._shard = None
        self._shard_dir = folder / "shard"  # until an index build names another in the manifest
        self._manifest = folder / "collection.json"
        self._behind = folder / "indexes-behind"  # present while points were written since the last build
        self.schema = self._load_schema()
        if self.schema is not None:
            self._shard = self._load(self._shard_dir)
            self._remove_leftover_shards()
        self.recover()

    def _load_schema(self) -> CollectionSchema | None:
        if not self._manifest.exists():
            return None
        manifest = json.loads(self._manifest.read_text())
        self._shard_dir = self.folder / manifest.get("shard", "shard")
        return CollectionSchema.from_json(manifest["schema"])

    def _save_schema(self, schema: CollectionSchema, shard_dir: Path | None = None) -> None:
        # By rename: a reader sees the old manifest or the new one, never half of one.
        tmp = self._manifest.with_suffix(".tmp")
        tmp.write_text(json.dumps({"name": self.name, "schema": schema.to_json(),
                                   "shard": (shard_dir or self._shard_dir).name}, indent=2))
        os.replace(tmp, self._manifest)

    def _remove_leftover_shards(self) -> None:
        """Shards collection.json does not name: a build cut off before or after its swap."""
        for path in self.folder.glob("shard*"):
            if path.is_dir() and path != self._shard_dir:
                log.info("collection %r: removing %s, left by an index build that did not finish", self.name, path.name)
                shutil.rmtree(path, ignore_errors=True)

    def _load(self, folder: Path):
        from qdrant_edge import EdgeShard

        try:
            return EdgeShard.load(str(folder))
        except Exception as e:  # qdrant_edge raises a bare Exception with the engine's message
            if "WouldBlock" in str(e) or "lock" in str(e).lower():
                raise StoreLocked(
                    f"collection {self.name!r} at {self.folder} is open in another process (a running "
                    "`pagesight serve` or ingest). Stop that process, or send requests to the server: commands "
                    "and open_backend() find one running on this data folder by themselves, --server URL or "
                    "ServerClient(URL) name one.",
                ) from None
            raise StoreError(f"collection {self.name!r} at {self.folder} cannot be opened: {e}") from e

    def _create(self, dense: list[VectorSpec], sparse: list[str], schema: CollectionSchema) -> None:
        from qdrant_edge import (
            EdgeConfig,
            EdgeShard,
            EdgeSparseVectorParams,
            Modifier,
            PayloadSchemaType,
            UpdateOperation,
        )

        if not dense:
            raise StoreError("a collection needs at least one dense encoder")
        if self._shard_dir.exists() and any(self._shard_dir.iterdir()):
            raise StoreError(f"{self._shard_dir} holds a shard but no collection.json; move it away to start afresh")
        config = EdgeConfig(vectors={v.name: _vector_params(v) for v in dense},
                            sparse_vectors={n: EdgeSparseVectorParams(modifier=Modifier.Idf) for n in sparse} or None,
                            on_disk_payload=True)
        self._shard = EdgeShard.create(str(self._shard_dir), config)
        for name in KEYWORD_FIELDS:
            self._shard.update(UpdateOperation.create_field_index(name, PayloadSchemaType.Keyword))
        for name in INTEGER_FIELDS:
            self._shard.update(UpdateOperation.create_field_index(name, PayloadSchemaType.Integer))
        self._shard.flush()
        # The manifest appears last: a shard without one is a creation that did not finish.
        self._save_schema(schema)

    def _upsert(self, points: list[Point]) -> None:
        from qdrant_edge import Point as EdgePoint
        from qdrant_edge import UpdateOperation

        # Batches keep one update's memory bounded (a ColQwen2 page is ~0.5 MB of vectors).
        for start in range(0, len(points), 64):
            batch = [EdgePoint(id=p.id, vector={k: _vector(v) for k, v in p.vectors.items()}, payload=p.payload)
                     for p in points[start:start + 64]]
            self._shard.update(UpdateOperation.upsert_points(batch))

    def _set_payload(self, condition: Condition, values: dict) -> None:
        from qdrant_edge import UpdateOperation

        self._shard.update(UpdateOperation.set_payload_by_filter(_filter(condition), values))
        self._shard.flush()

    def _delete(self, condition: Condition) -> None:
        from qdrant_edge import UpdateOperation

        if self._shard is None:
            return
        self._shard.update(UpdateOperation.delete_points_by_filter(_filter(condition)))
        self._shard.flush()

    def _scroll(self, condition: Condition, *, offset=None, limit: int = 256, vectors: bool = False,
                fields: tuple[str, ...] | None = None) -> tuple[list[Record], object]:
        from qdrant_edge import PayloadSelector, ScrollRequest

        payload = True if fields is None else PayloadSelector.Include(list(fields))
        records, offset = self._shard.scroll(ScrollRequest(offset=offset, limit=limit, filter=_filter(condition),
                                                           with_payload=payload, with_vector=vectors))
        return [_record(r, vectors) for r in records], offset

    def _retrieve(self, ids: list[str], *, vectors: bool, payload: bool = False) -> list[Record]:
        return [_record(r, vectors) for r in self._shard.retrieve(ids, with_payload=payload, with_vector=vectors)]

    def _query(self, search: Search, *, payload: bool = True) -> list[Scored]:
        from qdrant_edge import QueryRequest

        request = QueryRequest(limit=search.limit, query=_nearest(search), filter=_filter(search.filter),
                               with_payload=payload, params=_params(search),
                               prefetches=[_prefetch(search.prefetch)] if search.prefetch else None)
        return [Scored(h.score, h.payload or {}, str(h.id)) for h in self._shard.query(request)]

    def _count(self, condition: Condition | None) -> int:
        from qdrant_edge import CountRequest

        if self._shard is None:
            return 0
        return self._shard.count(CountRequest(exact=True, filter=_filter(condition) if condition else None))

    def _changed(self) -> None:
        self._behind.touch()

    @property
    def unoptimised(self) -> bool:
        return self._behind.exists()

    def optimize(self, cancel: threading.Event | None = None) -> None:
        """Build the indexes on a copy in a child process and swap it in (see the module's text):
        searches go on meanwhile, writes wait. A failure, or `cancel` set, leaves the collection as it was."""
        with self.write_lock:
            with self.lock:
                if self._shard is None:
                    return
                self._shard.flush()
            fresh = self.folder / f"shard-{uuid.uuid4().hex[:12]}"
            building = fresh.with_name(fresh.name + ".building")
            shard = None
            try:
                shutil.copytree(self._shard_dir, building, copy_function=copy_keeping_holes)
                _build_indexes_apart(building, cancel)
                building.rename(fresh)
                shard = self._load(fresh)
                with self.lock:
                    if self._shard is None:  # closed while the child worked: the old shard stays named
                        raise StoreError(f"collection {self.name!r} was closed during its index build")
                    self._save_schema(self.schema, fresh)  # from here on, the new shard is the collection
                    old, old_dir = self._shard, self._shard_dir
                    self._shard, self._shard_dir = shard, fresh
                    self._behind.unlink(missing_ok=True)
            except BaseException:
                if shard is not None and self._shard is not shard:
                    shard.close()
                shutil.rmtree(building, ignore_errors=True)
                if self._shard_dir != fresh:
                    shutil.rmtree(fresh, ignore_errors=True)
                raise
            old.close()
            shutil.rmtree(old_dir, ignore_errors=True)

    def close(self) -> None:
        with self.lock:
            if self._shard is not None:
                self._shard.flush()
                self._shard.close()
                self._shard = None


# The child imports qdrant-edge alone (not PageSight, not torch), yields the cores to the server, and
# dies with its parent (Linux): a build left running by a killed server would write into a folder
# the next server removes as a leftover.
_BUILD = """
import ctypes, os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is the parent's to act on
if sys.platform == "linux":
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != int(sys.argv[2]):
        sys.exit("the process that asked for this build has gone")
from qdrant_edge import EdgeShard
os.nice(10)
shard = EdgeShard.load(sys.argv[1])
shard.optimize()
shard.flush()
shard.close()
"""


def _build_indexes_apart(folder: Path, cancel: threading.Event | None = None) -> None:
    """Build a shard's indexes in a child process: qdrant-edge holds the GIL of the process it runs in.
    `cancel` set: the child is stopped (StoreError), and the copy it built on is left to be removed."""
    child = subprocess.Popen([sys.executable, "-c", _BUILD, str(folder), str(os.getpid())], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    while True:
        try:
            _, stderr = child.communicate(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            if cancel is not None and cancel.is_set():
                child.kill()
                child.communicate()
                raise StoreError("the index build was cancelled; the collection stays as it was") from None
    if child.returncode != 0:
        last = (stderr.strip().splitlines() or [f"exit status {child.returncode}"])[-1]
        raise StoreError(f"building the indexes failed: {last}")


def copy_keeping_holes(source: str, target: str) -> None:
    """Copy a file as shutil.copy2 does, but leave its holes holes. qdrant-edge preallocates its
    write-ahead log and each vector file as 32 MB of holes, which cost no disk; a byte-for-byte copy
    writes them out as zeros (a one-page collection grew from 0.1 MB to 292 MB at its first build)."""
    if not hasattr(os, "SEEK_DATA"):  # a system that cannot tell holes: copied whole
        shutil.copy2(source, target)
        return
    with open(source, "rb") as src, open(target, "wb") as dst:
        size = os.fstat(src.fileno()).st_size
        position = 0
        while position < size:
            try:
                start = os.lseek(src.fileno(), position, os.SEEK_DATA)
            except OSError as e:
                if e.errno == errno.ENXIO:  # nothing but a hole from here to the end
                    break
                # a file system that cannot tell holes (EINVAL): copied whole
                src.seek(0)
                dst.seek(0)
                shutil.copyfileobj(src, dst)
                break
            end = os.lseek(src.fileno(), start, os.SEEK_HOLE)
            src.seek(start)
            dst.seek(start)
            while start < end and (chunk := src.read(min(end - start, 1 << 20))):
                dst.write(chunk)
                start += len(chunk)
            position = end
        dst.truncate(size)
    shutil.copystat(source, target)


def _record(r, vectors: bool) -> Record:
    return Record(str(r.id), r.payload or {}, {k: held_vector(v) for k, v in r.vector.items()} if vectors else None)


def _vector(v):
    """A dense array as float32, a sparse (indices, values) pair as Qdrant's SparseVector."""
    if isinstance(v, tuple):
        from qdrant_edge import SparseVector

        return SparseVector(indices=list(v[0]), values=list(v[1]))
    return np.asarray(v, dtype=np.float32)


def _vector_params(v: VectorSpec):
    from qdrant_edge import (
        BinaryQuantizationConfig,
        Distance,
        EdgeVectorParams,
        HnswIndexConfig,
        MultiVectorComparator,
        MultiVectorConfig,
        ScalarQuantizationConfig,
        ScalarType,
        VectorStorageDatatype,
    )

    quantization = {"scalar": ScalarQuantizationConfig(type=ScalarType.Int8, quantile=0.99),
                    "binary": BinaryQuantizationConfig()}.get(v.quantization)
    return EdgeVectorParams(
        size=v.size, distance=Distance.Cosine if v.distance == "cosine" else Distance.Dot, on_disk=v.on_disk,
        multivector_config=MultiVectorConfig(comparator=MultiVectorComparator.MaxSim) if v.multivector else None,
        datatype={"float32": VectorStorageDatatype.Float32, "float16": VectorStorageDatatype.Float16}[v.datatype],
        quantization_config=quantization,
        hnsw_config=None if v.graph else HnswIndexConfig(m=0, ef_construct=100, full_scan_threshold=10_000),
    )


def _nearest(search: Search):
    from qdrant_edge import Query

    return Query.Nearest(_vector(search.vector), using=search.using)


def _prefetch(search: Search):
    from qdrant_edge import Prefetch

    return Prefetch(limit=search.limit, query=_nearest(search), filter=_filter(search.filter))


def _params(search: Search):
    from qdrant_edge import QuantizationSearchParams, SearchParams

    if search.oversampling is not None:
        return SearchParams(quantization=QuantizationSearchParams(rescore=True, oversampling=search.oversampling))
    return SearchParams(quantization=QuantizationSearchParams(ignore=True)) if search.exact else None


def _filter(condition: Condition):
    """A condition of layout.py as a qdrant-edge filter."""
    from qdrant_edge import Filter

    found = _condition(condition)
    return found if isinstance(found, Filter) else Filter(must=[found])


def _condition(condition: Condition):
    from qdrant_edge import FieldCondition, Filter, HasIdCondition, MatchValue, RangeFloat
    from qdrant_edge import MatchAny as EdgeMatchAny

    if isinstance(condition, AllOf):
        if not condition.conditions:
            raise ValueError("refusing an empty filter: every operation names what it applies to")
        return Filter(must=[_condition(c) for c in condition.conditions])
    if isinstance(condition, AnyOf):
        return Filter(should=[_condition(c) for c in condition.conditions])
    if isinstance(condition, Match):
        return FieldCondition(key=condition.key, match=MatchValue(condition.value))
    if isinstance(condition, MatchAny):
        return FieldCondition(key=condition.key, match=EdgeMatchAny(list(condition.values)))
    if isinstance(condition, Range):
        return FieldCondition(key=condition.key, range=RangeFloat(gte=condition.gte, lte=condition.lte,
                                                                  lt=condition.lt))
    if isinstance(condition, HasId):
        return HasIdCondition(set(condition.ids))
    raise TypeError(f"not a condition: {condition!r}")
