"""Point -> grid: an in-process spatial index of the active grids, kept fresh from the database.

The tie rule: a point belongs to the grid whose closed boundary covers it; when several do
(a point on an edge two grids share, a vertex several share, or overlapping grids), it goes to
the one with the smallest code. A point in no grid is answered with the lowest (deepest)
non-grid region whose boundary covers it, ties again to the smallest code.

The index is a uniform lattice of cells, stored in blocks only where polygons are. For every
cell we know either the polygon that wins everywhere in it (answered with no geometry test),
that no polygon touches it, or the short ordered list of polygons to test with prepared
geometries.
`PolygonIndex` is that structure for any ordered list of polygons; `GridIndex` orders grids by
code; `LocateIndex` holds both the grid and the region index built from the database, with
the boundary version it was built from. `get_index()` hands out the process's index and
rebuilds it when `BoundaryVersion` has moved (or the day has changed, since grids start and
retire by date), so a redraw in any process is seen by every process on its next call.

Django models are imported inside the functions that read the database, so `GridIndex` also
runs where Django is not set up (`bench/route.py`). See docs/locate.md.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from django.utils.translation import gettext as _
from numpy.typing import ArrayLike, NDArray
from shapely.geometry.base import BaseGeometry

from gezhi.core.errors import InvalidInput
from gezhi.lib.geo import Crs, in_wgs84_range, to_wgs84

if TYPE_CHECKING:
    from gezhi.regions.models import Region

IntArray = NDArray[np.intp]

# Lattice cells per polygon of median area. More cells answer more points without a geometry
# test but cost memory and build time; 8 keeps 50,000 grids at about 400,000 cells.
CELLS_PER_POLYGON = 8.0
# Cells are stored in square blocks of BLOCK x BLOCK, and only the blocks some polygon
# reaches: a deployment of counties far apart costs the cells of the counties, not of the
# whole rectangle around them.
_BLOCK_BITS = 4
_BLOCK = 1 << _BLOCK_BITS
# (polygon, cell) pairs classified per vectorised step while building, to bound memory.
_BUILD_CHUNK = 400_000

_EMPTY = -1  # cell code: no polygon reaches the cell

# The ufunc itself: for one point the public wrapper's argument handling costs twice the test.
_intersects_xy = getattr(shapely.lib, "intersects_xy", shapely.intersects_xy)


def first_covering(geoms: Iterable[BaseGeometry], x: float, y: float) -> int:
    """The reference answer: position of the first polygon whose closed set covers (x, y).

    A plain loop over every polygon; the index must agree with it everywhere.
    """
    for position, geom in enumerate(geoms):
        if shapely.intersects_xy(geom, x, y):
            return position
    return -1


class PolygonIndex:
    """Which polygon covers a point, for a fixed ordered list of polygons.

    When several polygons cover a point, the answer is the one that comes first in the list
    (callers order the list by their tie rule). Answers are positions in the list, -1 for none.

    Each lattice cell holds a code: a polygon position (that polygon wins everywhere in the
    cell, no test needed), -1 (no polygon reaches the cell), or -2 - k for list k: the
    polygons to test in order, then `fallback[k]` if none matches (the polygon that covers the
    rest of the cell, or -1).
    """

    def __init__(
        self, geoms: Sequence[BaseGeometry], *, cells_per_polygon: float = CELLS_PER_POLYGON
    ):
        self.geoms: NDArray[np.object_] = np.asarray(list(geoms), dtype=object)
        shapely.prepare(self.geoms)
        if len(self.geoms) == 0:
            self._set_lattice(0.0, 0.0, 0.0, 0.0, 1.0)
            self._store(np.zeros(0, np.int64), np.zeros(0, np.int32))
            self._set_lists(np.zeros(1, np.intp), np.zeros(0, np.intp), np.zeros(0, np.intp))
            return
        bounds = shapely.bounds(self.geoms)
        x0, y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        x1, y1 = float(bounds[:, 2].max()), float(bounds[:, 3].max())
        # Cell size from the typical (median) polygon, not from the extent: grids are small
        # and dense where they are, whatever lies between counties.
        areas = shapely.area(self.geoms)
        typical = float(np.median(areas[areas > 0])) if (areas > 0).any() else 0.0
        side = math.sqrt(typical / cells_per_polygon) if typical else 0.0
        # At most 2**30 cells (2**22 block entries, 16 MB) however wide the extent.
        width, height = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
        side = max(side, math.sqrt(width * height / (1 << 30)), max(width, height) / (1 << 24))
        self._set_lattice(x0, y0, x1, y1, side)
        self._build()

    # --- building -------------------------------------------------------------------------

    def _set_lattice(self, x0: float, y0: float, x1: float, y1: float, side: float) -> None:
        self.x0, self.y0, self.x1, self.y1 = x0, y0, x1, y1
        self.side = side
        self.inv_side = 1.0 / side
        self.nx = int((x1 - x0) * self.inv_side) + 1
        self.ny = int((y1 - y0) * self.inv_side) + 1
        # A point is assigned to a cell by rounding; the box a cell is classified with is
        # padded so every point assigned to it lies inside, whatever the rounding did.
        self.pad = side * 1e-6

    def _cell_range(
        self, lo: NDArray[np.float64], hi: NDArray[np.float64], origin: float, count: int
    ):
        first = np.floor((lo - self.pad - origin) * self.inv_side).astype(np.int64)
        last = np.floor((hi + self.pad - origin) * self.inv_side).astype(np.int64)
        return np.clip(first, 0, count - 1), np.clip(last, 0, count - 1)

    def _candidate_pairs(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(polygon, cell) for every cell under the bounding box of each polygon's parts."""
        parts, owner = shapely.get_parts(self.geoms, return_index=True)
        bounds = shapely.bounds(parts)
        ix0, ix1 = self._cell_range(bounds[:, 0], bounds[:, 2], self.x0, self.nx)
        iy0, iy1 = self._cell_range(bounds[:, 1], bounds[:, 3], self.y0, self.ny)
        widths = ix1 - ix0 + 1
        counts = widths * (iy1 - iy0 + 1)
        part = np.repeat(np.arange(len(parts)), counts)
        offset = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(
            np.cumsum(counts) - counts, counts
        )
        cell = (iy0[part] + offset // widths[part]) * self.nx + ix0[part] + offset % widths[part]
        poly = owner[part].astype(np.int64)
        if len(parts) > len(self.geoms):  # a multipolygon's parts may share cells
            unique = np.unique(poly * (self.nx * self.ny) + cell)
            poly, cell = unique // (self.nx * self.ny), unique % (self.nx * self.ny)
        return poly, cell

    def _build(self) -> None:
        pair_poly, pair_cell = self._candidate_pairs()
        kept_cell, kept_poly, kept_covers = [], [], []
        for lo in range(0, len(pair_poly), _BUILD_CHUNK):
            poly = pair_poly[lo : lo + _BUILD_CHUNK]
            cell = pair_cell[lo : lo + _BUILD_CHUNK]
            ix, iy = cell % self.nx, cell // self.nx
            boxes = shapely.box(
                self.x0 + ix * self.side - self.pad,
                self.y0 + iy * self.side - self.pad,
                self.x0 + (ix + 1) * self.side + self.pad,
                self.y0 + (iy + 1) * self.side + self.pad,
            )
            touches = shapely.intersects(self.geoms[poly], boxes)
            kept_cell.append(cell[touches])
            kept_poly.append(poly[touches])
            kept_covers.append(shapely.covers(self.geoms[poly[touches]], boxes[touches]))
        cell = np.concatenate(kept_cell)
        poly = np.concatenate(kept_poly)
        covers = np.concatenate(kept_covers)
        order = np.lexsort((poly, cell))
        cell, poly, covers = cell[order], poly[order], covers[order]

        # Within a cell, polygons after the first one that covers the whole cell never win.
        group_start = np.ones(len(cell), dtype=bool)
        group_start[1:] = cell[1:] != cell[:-1]
        covered_so_far = np.cumsum(covers)
        base = np.maximum.accumulate(np.where(group_start, covered_so_far - covers, 0))
        keep = (covered_so_far - covers - base) == 0
        cell, poly, covers, group_start = cell[keep], poly[keep], covers[keep], group_start[keep]

        cells = cell[group_start]
        codes = np.full(len(cells), _EMPTY, dtype=np.int32)
        # A cell whose first polygon covers it is answered without a test (and kept only
        # that polygon).
        whole = (group_start & covers)[group_start]
        codes[whole] = poly[group_start & covers]

        # The other cells: the polygons to test, in order, and the answer when none matches.
        tested = ~(group_start & covers)
        cell, poly, covers = cell[tested], poly[tested], covers[tested]
        starts = np.ones(len(cell), dtype=bool)
        starts[1:] = cell[1:] != cell[:-1]
        list_of_pair = np.cumsum(starts) - 1
        n_lists = int(starts.sum())
        fallback = np.full(n_lists, _EMPTY, dtype=np.intp)
        fallback[list_of_pair[covers]] = poly[covers]
        test_counts = np.bincount(list_of_pair[~covers], minlength=n_lists)
        ptr = np.zeros(n_lists + 1, dtype=np.intp)
        np.cumsum(test_counts, out=ptr[1:])
        codes[~whole] = -2 - np.arange(n_lists, dtype=np.int32)
        self._store(cells, codes)
        self._set_lists(ptr, poly[~covers].astype(np.intp), fallback)

    def _store(self, cells: NDArray[np.int64], codes: NDArray[np.int32]) -> None:
        """Put the codes of the reached cells into blocks; unreached blocks cost one entry."""
        self.bnx = (self.nx + _BLOCK - 1) >> _BLOCK_BITS
        bny = (self.ny + _BLOCK - 1) >> _BLOCK_BITS
        ix, iy = cells % self.nx, cells // self.nx
        block_key = (iy >> _BLOCK_BITS) * self.bnx + (ix >> _BLOCK_BITS)
        used, block_id = np.unique(block_key, return_inverse=True)
        self.blocks = np.full(self.bnx * bny, -1, dtype=np.int32)
        self.blocks[used] = np.arange(len(used), dtype=np.int32)
        self.cells = np.full(len(used) << (2 * _BLOCK_BITS), _EMPTY, dtype=np.int32)
        local = ((iy & (_BLOCK - 1)) << _BLOCK_BITS) + (ix & (_BLOCK - 1))
        self.cells[(block_id.astype(np.int64) << (2 * _BLOCK_BITS)) + local] = codes
        # Buffers for the single-point path: indexing them gives Python ints, fast.
        self._blocks_view: Sequence[int] = self.blocks.data  # type: ignore[assignment]
        self._cells_view: Sequence[int] = self.cells.data  # type: ignore[assignment]

    def _set_lists(self, ptr: IntArray, test_poly: IntArray, fallback: IntArray) -> None:
        self.ptr, self.test_poly, self.fallback = ptr, test_poly, fallback
        self._ptr: list[int] = ptr.tolist()
        self._test_poly: list[int] = test_poly.tolist()
        self._test_geom: list[BaseGeometry] = self.geoms[test_poly].tolist()
        self._fallback: list[int] = fallback.tolist()

    # --- queries --------------------------------------------------------------------------

    def locate(self, x: float, y: float) -> int:
        """Position of the polygon that covers (x, y) by the tie rule, or -1."""
        # Written out for speed: this is the per-request path.
        if not (self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1):
            return -1  # also NaN
        ix = math.floor((x - self.x0) * self.inv_side)
        iy = math.floor((y - self.y0) * self.inv_side)
        block = self._blocks_view[(iy >> _BLOCK_BITS) * self.bnx + (ix >> _BLOCK_BITS)]
        if block < 0:
            return -1
        code = self._cells_view[
            (block << (2 * _BLOCK_BITS))
            + ((iy & (_BLOCK - 1)) << _BLOCK_BITS)
            + (ix & (_BLOCK - 1))
        ]
        if code >= _EMPTY:
            return code
        k = -2 - code
        for j in range(self._ptr[k], self._ptr[k + 1]):
            if _intersects_xy(self._test_geom[j], x, y):
                return self._test_poly[j]
        return self._fallback[k]

    def locate_many(self, xs: ArrayLike, ys: ArrayLike) -> IntArray:
        """`locate` for arrays of points, vectorised; positions, -1 for none."""
        x = np.asarray(xs, dtype=np.float64).ravel()
        y = np.asarray(ys, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError("xs and ys must have the same length")
        if self.cells.size == 0:
            return np.full(len(x), _EMPTY, dtype=np.intp)
        inside = (x >= self.x0) & (x <= self.x1) & (y >= self.y0) & (y <= self.y1)
        ix = np.floor((np.where(inside, x, self.x0) - self.x0) * self.inv_side).astype(np.int64)
        iy = np.floor((np.where(inside, y, self.y0) - self.y0) * self.inv_side).astype(np.int64)
        block = self.blocks[(iy >> _BLOCK_BITS) * self.bnx + (ix >> _BLOCK_BITS)].astype(np.int64)
        inside &= block >= 0
        local = ((iy & (_BLOCK - 1)) << _BLOCK_BITS) + (ix & (_BLOCK - 1))
        code = self.cells[(np.maximum(block, 0) << (2 * _BLOCK_BITS)) + local].astype(np.intp)
        code[~inside] = _EMPTY
        result = np.where(code >= _EMPTY, code, _EMPTY)

        (todo,) = np.nonzero(code < _EMPTY)
        if len(todo) == 0:
            return result
        lists = -2 - code[todo]
        result[todo] = self.fallback[lists]
        first, counts = self.ptr[lists], self.ptr[lists + 1] - self.ptr[lists]
        pair_point = np.repeat(np.arange(len(todo), dtype=np.intp), counts)
        pair_rank = np.arange(len(pair_point), dtype=np.intp) - np.repeat(
            np.cumsum(counts) - counts, counts
        )
        pair_poly = self.test_poly[first[pair_point] + pair_rank]
        points = todo[pair_point]
        # Testing pair by polygon keeps each polygon's prepared structures in the CPU cache
        # (three times faster than in point order).
        by_poly = np.argsort(pair_poly)
        hit = np.empty(len(by_poly), dtype=bool)
        hit[by_poly] = shapely.intersects_xy(
            self.geoms[pair_poly[by_poly]], x[points[by_poly]], y[points[by_poly]]
        )
        # Pairs run point by point in list order, so a point's first hit is its answer.
        hit_point, hit_poly = pair_point[hit], pair_poly[hit]
        is_first = np.ones(len(hit_point), dtype=bool)
        is_first[1:] = hit_point[1:] != hit_point[:-1]
        result[todo[hit_point[is_first]]] = hit_poly[is_first]
        return result

    @property
    def stats(self) -> dict[str, int]:
        """Lattice size and how many cells need a geometry test (for the benchmark)."""
        reached = self.cells[self.cells != _EMPTY]
        return {
            "lattice_cells": self.nx * self.ny,
            "stored_cells": int(self.cells.size),
            "covered_cells": int((reached >= 0).sum()),
            "boundary_cells": int((reached < _EMPTY).sum()),
            "tests": int(self.test_poly.size),
        }

    def warm_up(self) -> None:
        """Build every prepared geometry's lazy point locator now, in this thread.

        GEOS builds those structures on first use and that first use is not thread-safe, so an
        index is warmed before it is shared between threads.
        """
        if len(self.geoms):
            bounds = shapely.bounds(self.geoms)
            shapely.intersects_xy(
                self.geoms, (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2
            )


class GridIndex:
    """Point -> grid for grids given as (code, geometry); ties go to the smallest code.

    Used by the application (built from the database) and by `bench/route.py` (built from
    polygons in memory) alike.
    """

    def __init__(
        self,
        items: Iterable[tuple[str, BaseGeometry]],
        *,
        cells_per_polygon: float = CELLS_PER_POLYGON,
    ):
        ordered = sorted(items, key=lambda item: item[0])
        self.codes: list[str] = [code for code, _geom in ordered]
        self.polygons = PolygonIndex(
            [geom for _code, geom in ordered], cells_per_polygon=cells_per_polygon
        )

    def __len__(self) -> int:
        return len(self.codes)

    def locate(self, lng: float, lat: float) -> str | None:
        """The code of the grid the WGS-84 point falls in, or None."""
        position = self.polygons.locate(lng, lat)
        return self.codes[position] if position >= 0 else None

    def locate_index(self, lng: float, lat: float) -> int:
        """Like `locate`, as a position in `codes` (-1 for none)."""
        return self.polygons.locate(lng, lat)

    def locate_many(self, lngs: ArrayLike, lats: ArrayLike) -> IntArray:
        """Positions in `codes` of the grids the points fall in, -1 where none."""
        return self.polygons.locate_many(lngs, lats)

    def reference(self, lng: float, lat: float) -> int:
        """The answer by brute force (a loop over every grid), for tests and the benchmark."""
        return first_covering(self.polygons.geoms, lng, lat)


# --- the application's index ------------------------------------------------------------


@dataclass(frozen=True)
class LocateIndex:
    """The grids and other regions in force on `day`, as of boundary version `version`."""

    version: int
    day: dt.date
    grids: GridIndex
    region_codes: list[str]  # non-grid regions, deepest first, then by code
    regions: PolygonIndex = field(repr=False)

    @property
    def key(self) -> tuple[int, dt.date]:
        return self.version, self.day

    def locate(self, lng: float, lat: float) -> tuple[str | None, str | None]:
        """(grid code, None) for a point in a grid, else (None, lowest region code or None)."""
        grid = self.grids.locate(lng, lat)
        if grid is not None:
            return grid, None
        position = self.regions.locate(lng, lat)
        return None, self.region_codes[position] if position >= 0 else None

    def locate_many(self, lngs: ArrayLike, lats: ArrayLike) -> tuple[IntArray, IntArray]:
        """Positions in `grids.codes`, and in `region_codes` for the points in no grid."""
        x = np.asarray(lngs, dtype=np.float64).ravel()
        y = np.asarray(lats, dtype=np.float64).ravel()
        grids = self.grids.locate_many(x, y)
        regions = np.full(len(x), -1, dtype=np.intp)
        missed = grids < 0
        if missed.any():
            regions[missed] = self.regions.locate_many(x[missed], y[missed])
        return grids, regions


def build_index(*, version: int, day: dt.date) -> LocateIndex:
    """Read every region in force on `day` that has a boundary, in one query, and index it."""
    from gezhi.regions.choices import Level
    from gezhi.regions.models import Region

    rows = list(
        Region.objects.active(day)
        .filter(boundary__isnull=False)
        .values_list("code", "level", "depth", "boundary")
    )
    geoms = shapely.from_geojson(
        [json.dumps(boundary) for *_, boundary in rows], on_invalid="ignore"
    )
    grids: list[tuple[str, BaseGeometry]] = []
    others: list[tuple[int, str, BaseGeometry]] = []
    for (code, level, depth, _boundary), geom in zip(rows, geoms, strict=True):
        if geom is None or geom.is_empty:
            continue
        if level == Level.GRID:
            grids.append((code, geom))
        else:
            others.append((depth, code, geom))
    others.sort(key=lambda item: (-item[0], item[1]))
    index = LocateIndex(
        version=version,
        day=day,
        grids=GridIndex(grids),
        region_codes=[code for _depth, code, _geom in others],
        regions=PolygonIndex([geom for *_, geom in others]),
    )
    index.grids.polygons.warm_up()
    index.regions.warm_up()
    return index


_lock = threading.Lock()
_shared: LocateIndex | None = None
# An index built inside a transaction, kept for that transaction only: (index, commit hook).
_local = threading.local()


def boundary_version() -> int:
    """The stored boundary version (0 before any boundary has been saved)."""
    from gezhi.regions.models import BoundaryVersion

    version = BoundaryVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return version or 0


def get_index() -> LocateIndex:
    """The index of the grids in force today, rebuilt if boundaries changed since it was built.

    One query (the boundary version) per call; a rebuild reads the regions in one more.
    """
    from django.db import transaction
    from django.utils import timezone

    key = (boundary_version(), timezone.localdate())
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        return _index_in_transaction(connection, key)
    return _shared_index(key)


def _shared_index(key: tuple[int, dt.date]) -> LocateIndex:
    global _shared
    index = _shared
    if index is not None and index.key == key:
        return index
    with _lock:
        index = _shared
        if index is None or index.key != key:
            index = build_index(version=key[0], day=key[1])
            _shared = index
    return index


class _ShareOnCommit:
    """Commit hook: the transaction that built `index` committed, so others may use it."""

    def __init__(self, index: LocateIndex, connection: Any):
        self.index = index
        self.connection = connection

    def __call__(self) -> None:
        global _shared
        # Django runs hooks after the outermost block has committed; a hook run while a block
        # is still open (tests executing captured hooks) is no commit, and shares nothing.
        if self.connection.in_atomic_block:
            return
        with _lock:
            if _shared is None or _shared.key <= self.index.key:
                _shared = self.index


def _index_in_transaction(connection: Any, key: tuple[int, dt.date]) -> LocateIndex:
    """Inside a transaction the regions read may not be committed: a redraw that re-homes
    records locates them in its own new grids. If that transaction rolls back, its version
    number is used again by the next change, so an index built from it must never be shared.
    It is kept for this transaction (while its commit hook is pending) and shared on commit.
    """
    shared = _shared
    if shared is not None and shared.key == key:
        return shared
    kept: tuple[LocateIndex, Callable[[], None]] | None = getattr(_local, "kept", None)
    if kept is not None:
        index, hook = kept
        # Django drops the hooks of a rolled back transaction or savepoint.
        pending = any(entry[1] is hook for entry in connection.run_on_commit)
        if pending and index.key == key:
            return index
    index = build_index(version=key[0], day=key[1])
    hook = _ShareOnCommit(index, connection)
    connection.on_commit(hook)
    _local.kept = (index, hook)
    return index


def forget_index() -> None:
    """Drop this process's index (the next `get_index` rebuilds it).

    Needed only where the version counter can repeat with different data: a database restored
    from a backup, or tests that flush the database between runs.
    """
    global _shared
    with _lock:
        _shared = None
    _local.__dict__.pop("kept", None)


# --- answers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocateResult:
    """Where a point lies: its grid, or else the lowest region with a boundary around it.

    `path` runs from the root of the tree down to the grid (or to `containing` when the point is
    in no grid); both are empty/None for a point outside every region with a boundary.
    """

    grid: Region | None
    path: list[Region]
    containing: Region | None
    lng_wgs84: float
    lat_wgs84: float


def parse_crs(value: str | None) -> Crs:
    """The coordinate system named by `value` (wgs84 by default); InvalidInput otherwise."""
    try:
        return Crs((value or Crs.WGS84).strip().lower())
    except ValueError:
        # Translators: the separator between the items of a list.
        choices = _("、").join(c.value for c in Crs)
        raise InvalidInput(
            _("不支持的坐标系 {value}，可选：{choices}").format(value=value, choices=choices),
            field="crs",
        ) from None


def check_point(lng: float, lat: float) -> None:
    """InvalidInput naming the parameter unless (lng, lat) is a finite WGS-84-range point."""
    if not math.isfinite(lng) or not -180 <= lng <= 180:
        raise InvalidInput(_("经度须在 -180 到 180 之间"), field="lng")
    if not math.isfinite(lat) or not -90 <= lat <= 90:
        raise InvalidInput(_("纬度须在 -90 到 90 之间"), field="lat")


def locate_point(lng: float, lat: float, crs: Crs | str = Crs.WGS84) -> LocateResult:
    """The grid (and its path) a point falls in, converting GCJ-02 or BD-09 input first."""
    from gezhi.regions.models import Region

    system = parse_crs(crs)
    check_point(lng, lat)
    x, y = to_wgs84(lng, lat, system)
    if not in_wgs84_range(x, y):
        raise InvalidInput(_("坐标转换后超出 WGS-84 范围"), field="lng")
    grid_code, region_code = get_index().locate(x, y)
    code = grid_code or region_code
    if code is None:
        return LocateResult(grid=None, path=[], containing=None, lng_wgs84=x, lat_wgs84=y)
    region = Region.objects.get(code=code)
    return LocateResult(
        grid=region if grid_code else None,
        path=[*region.ancestors(), region],
        containing=None if grid_code else region,
        lng_wgs84=x,
        lat_wgs84=y,
    )
