"""Re-homing after a redraw: each app moves its records from the retired grids to the new ones.

An app registers a hook once, in its `AppConfig.ready()`:

    register_rehome(move_houses)

    def move_houses(*, redraw, old_grids, new_grids, locate):
        return rehome_points(House.objects.all(), grid_field="grid", lng_field="lng",
                             lat_field="lat", old_grids=old_grids, new_grids=new_grids)

`redraw_grids` calls every hook inside its own transaction, after the new grids exist and
before it commits: a hook that raises rolls the whole redraw back. What a hook returns (a dict
of counts) is written into the redraw's audit entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import shapely
from django.db.models import QuerySet

from gezhi.regions.geometry import area_km2, parse_boundary
from gezhi.regions.models import Region

RehomeHook = Callable[..., Mapping[str, Any] | None]

_HOOKS: list[RehomeHook] = []

# Rows are moved with one UPDATE per target grid, in chunks that stay under every database's
# limit on query parameters.
UPDATE_CHUNK = 900


def register_rehome(fn: RehomeHook) -> RehomeHook:
    """Add a re-home hook (once; registering the same function again changes nothing).

    Usable as a decorator. The hook is called with keyword arguments `redraw`, `old_grids`,
    `new_grids` and `locate` and may return a dict of counts for the audit log.
    """
    if fn not in _HOOKS:
        _HOOKS.append(fn)
    return fn


def unregister_rehome(fn: RehomeHook) -> None:
    """Remove a hook (tests register temporary ones)."""
    if fn in _HOOKS:
        _HOOKS.remove(fn)


def registered_hooks() -> list[RehomeHook]:
    return list(_HOOKS)


def hook_name(fn: RehomeHook) -> str:
    """`module.qualname` of a hook function, or of the class of a callable object."""
    qualname = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    return f"{getattr(fn, '__module__', None) or type(fn).__module__}.{qualname}"


def run_rehome(
    redraw, old_grids: Sequence[Region], new_grids: Sequence[Region], locate: GridLocator
) -> dict[str, dict]:
    """Call every registered hook in registration order; their results by hook name."""
    results: dict[str, dict] = {}
    for fn in list(_HOOKS):
        outcome = fn(redraw=redraw, old_grids=old_grids, new_grids=new_grids, locate=locate)
        results[hook_name(fn)] = dict(outcome) if outcome else {}
    return results


class GridLocator:
    """Point → grid among a fixed set of grids (the new grids of a redraw).

    A point on an edge shared by several grids goes to the one with the smallest code, so the
    answer never depends on the order the grids were given in. Callable: `locate(lng, lat)`.
    """

    def __init__(self, grids: Iterable[Region]):
        self.grids: list[Region] = sorted(grids, key=lambda g: g.code)
        self.geoms = [parse_boundary(g.boundary) for g in self.grids]
        for geom in self.geoms:
            shapely.prepare(geom)
        # Tree indices follow self.grids, which is sorted by code: the smallest index of a
        # match is the smallest code.
        self.tree = shapely.STRtree(self.geoms)

    def __call__(self, lng: float, lat: float) -> Region | None:
        hits = self.tree.query(shapely.Point(lng, lat), predicate="intersects")
        return self.grids[int(hits.min())] if len(hits) else None

    def locate_many(self, lngs: Sequence[float], lats: Sequence[float]) -> np.ndarray:
        """Index into `self.grids` for each point, or -1 where no grid contains it."""
        points = shapely.points(np.asarray(lngs, dtype=float), np.asarray(lats, dtype=float))
        found = np.full(len(points), len(self.grids), dtype=np.int64)
        if len(points):
            point_idx, grid_idx = self.tree.query(points, predicate="intersects")
            np.minimum.at(found, point_idx, grid_idx)
        found[found == len(self.grids)] = -1
        return found

    def largest_overlap(self, old_grid: Region) -> Region:
        """The grid that received the largest part of `old_grid` (smallest code on a tie)."""
        old = parse_boundary(old_grid.boundary)
        best, best_area = self.grids[0], -1.0
        for index in sorted(self.tree.query(old, predicate="intersects").tolist()):
            grid, geom = self.grids[index], self.geoms[index]
            # Rounded to the square metre: two halves of a grid are a tie, whatever the last
            # bits of floating point say, and the smaller code wins it.
            area = round(area_km2(geom.intersection(old)), 6)
            if area > best_area:
                best, best_area = grid, area
        return best


def rehome_points(
    queryset: QuerySet,
    *,
    grid_field: str,
    lng_field: str,
    lat_field: str,
    old_grids: Sequence[Region],
    new_grids: Sequence[Region],
    locate: GridLocator | None = None,
) -> dict[str, int]:
    """Move rows of `queryset` that sit in one of `old_grids` to the new grid holding their point.

    `grid_field` is a foreign key to Region; the point is (`lng_field`, `lat_field`). Only the
    new grids are searched. A row whose point lies in no new grid, or that has no point, goes
    to the new grid that took the largest part of its old grid, so no row is left on a retired
    grid. Returns the counts: moved (all rows), by_point, outside, no_point.
    """
    locator = locate or GridLocator(new_grids)
    fallback = {old.pk: locator.largest_overlap(old) for old in old_grids}
    rows = list(
        queryset.filter(**{f"{grid_field}__in": [g.pk for g in old_grids]}).values_list(
            "pk", f"{grid_field}_id", lng_field, lat_field
        )
    )
    with_point = [r for r in rows if r[2] is not None and r[3] is not None]
    found = locator.locate_many([r[2] for r in with_point], [r[3] for r in with_point])

    targets: dict[int, list] = {}
    by_point = outside = 0
    for row, index in zip(with_point, found, strict=True):
        if index >= 0:
            target = locator.grids[index]
            by_point += 1
        else:
            target = fallback[row[1]]
            outside += 1
        targets.setdefault(target.pk, []).append(row[0])
    no_point = 0
    for row in rows:
        if row[2] is None or row[3] is None:
            targets.setdefault(fallback[row[1]].pk, []).append(row[0])
            no_point += 1

    model = queryset.model
    for grid_pk, pks in targets.items():
        for start in range(0, len(pks), UPDATE_CHUNK):
            model._base_manager.filter(pk__in=pks[start : start + UPDATE_CHUNK]).update(
                **{f"{grid_field}_id": grid_pk}
            )
    return {"moved": len(rows), "by_point": by_point, "outside": outside, "no_point": no_point}
