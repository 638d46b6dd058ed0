"""Copy a collection from one store to another (the embedded store to a Qdrant server or cluster),
in batches, resumable, and verified.

Points arrive on the target in a state readers never see ("migrating") and become live together
at the end, so a half-copied collection is never searchable. Running the copy again after an
interruption skips the points already there. Verification compares the number of live points
on both sides and the vectors and payloads of a sample of points. Page images are files under
the data directory, which both backends share: they do not move.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ..core.errors import StoreError
from .layout import LIVE
from .store import Store

__all__ = ["MIGRATING", "MigrationReport", "migrate"]

MIGRATING = "migrating"


@dataclass
class MigrationReport:
    points: int = 0  # live points in the source
    copied: int = 0
    skipped: int = 0  # already on the target (a resumed migration)
    verified_sample: int = 0
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def migrate(source: Store, target: Store, *, batch: int = 64, sample: int = 32,
            on_progress: Callable[[int, int], None] | None = None, seed: int = 0) -> MigrationReport:
    if source.schema is None:
        raise StoreError(f"collection {source.name!r} is empty: nothing to migrate")
    target.ensure_schema(source.schema)  # refuses a target built with other encoders
    report = MigrationReport(points=source.count_state(LIVE))
    if (already := target.count_state(LIVE)) and not target.count_state(MIGRATING):
        raise StoreError(f"collection {target.name!r} on the target already holds {already} live points (a finished "
                         "migration?); migrate into another collection (--collection) or delete that one first")
    offset, ids = None, []
    while True:
        points, offset = source.export_points(offset, batch)
        if points:
            ids.extend(p.id for p in points)
            have = target.existing_ids([p.id for p in points])
            todo = [replace(p, payload={**p.payload, "state": MIGRATING}) for p in points if p.id not in have]
            if todo:
                target.import_points(todo)
            report.copied += len(todo)
            report.skipped += len(points) - len(todo)
            if on_progress:
                on_progress(len(ids), report.points)
        if offset is None:
            break
    target.set_all_state(MIGRATING, LIVE)
    _verify(source, target, report, ids, sample, seed)
    return report


def _verify(source: Store, target: Store, report: MigrationReport, ids: list[str], sample: int, seed: int) -> None:
    live = target.count_state(LIVE)
    if live != report.points:
        report.mismatches.append(f"{report.points} live points in the source, {live} on the target")
    chosen = random.Random(seed).sample(ids, min(sample, len(ids)))
    there, here = target.point_vectors(chosen), source.point_vectors(chosen)
    for point_id in chosen:
        if point_id not in there:
            report.mismatches.append(f"point {point_id} is missing on the target")
            continue
        for name, vector in here[point_id].items():
            if not _same(vector, there[point_id].get(name)):
                report.mismatches.append(f"point {point_id}: vector {name!r} differs")
    report.verified_sample = len(chosen)


def _same(a, b) -> bool:
    if b is None:
        return False
    if isinstance(a, tuple):
        return list(a[0]) == list(b[0]) and np.allclose(a[1], b[1], atol=1e-6)
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.allclose(a, b, atol=2e-3)  # float16 storage rounds
