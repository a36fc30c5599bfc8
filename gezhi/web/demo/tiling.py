"""Cutting a polygon into pieces that tile it exactly: no gaps, no overlaps.

The demo subdivides real county boundaries into townships, villages and grids. Each level is
the Voronoi diagram of seed points scattered inside the parent (relaxed a little so the
pieces look like plausible administrative areas), clipped to the parent on a fixed
coordinate grid, so neighbouring pieces share their edges vertex for vertex. Detached bits
and slivers are merged into the neighbour they share the longest border with, so every
piece is one valid polygon wherever the parent's shape allows it.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

# Coordinates are snapped to 1e-7 degrees (about 1 cm), the precision the region tree stores.
GRID_SIZE = 1e-7


def snap(geom: BaseGeometry) -> BaseGeometry:
    """`geom` on the storage grid, as a valid polygon or multipolygon."""
    return polygonal(shapely.set_precision(geom, GRID_SIZE))


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygonal part of an overlay result (overlays may add stray lines and points)."""
    if isinstance(geom, (Polygon, MultiPolygon)):
        return geom
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, (Polygon, MultiPolygon))]
    polygons = [p for part in parts for p in shapely.get_parts(part) if not p.is_empty]
    if not polygons:
        return Polygon()
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def _aspect(polygon: BaseGeometry) -> float:
    """Metres per degree of longitude over metres per degree of latitude at the polygon."""
    return math.cos(math.radians(polygon.centroid.y))


def sample_points(polygon: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` random points inside `polygon` (rejection sampling in its bounding box)."""
    min_x, min_y, max_x, max_y = polygon.bounds
    shapely.prepare(polygon)
    found: list[np.ndarray] = []
    count = 0
    for _ in range(1000):
        xs = rng.uniform(min_x, max_x, 4 * n)
        ys = rng.uniform(min_y, max_y, 4 * n)
        inside = shapely.contains_xy(polygon, xs, ys)
        batch = np.column_stack((xs[inside], ys[inside]))
        found.append(batch)
        count += len(batch)
        if count >= n:
            break
    points = np.concatenate(found)[:n]
    if len(points) < n:
        raise ValueError("polygon too thin to place seed points in")
    return points


def _cells(points: np.ndarray, polygon: BaseGeometry) -> list[BaseGeometry]:
    """Voronoi cells of `points`, in input order, covering the polygon's bounding box.

    The diagram is built with longitude scaled by cos(latitude) so that cells are round on
    the ground rather than in degrees, then scaled back.
    """
    k = _aspect(polygon)
    scaled = shapely.multipoints(points * [k, 1.0])
    min_x, min_y, max_x, max_y = polygon.bounds
    extent = shapely.box(min_x * k, min_y, max_x * k, max_y).buffer(
        max((max_x - min_x) * k, max_y - min_y)
    )
    diagram = shapely.voronoi_polygons(scaled, extend_to=extent, ordered=True)
    cells = list(shapely.get_parts(diagram))
    return [shapely.transform(cell, lambda xy: xy / [k, 1.0]) for cell in cells]


def relax(points: np.ndarray, polygon: BaseGeometry, iterations: int = 2) -> np.ndarray:
    """Lloyd relaxation: move each point to the centre of its clipped cell, a few times."""
    for _ in range(iterations):
        moved = []
        for point, cell in zip(points, _cells(points, polygon), strict=True):
            piece = cell.intersection(polygon)
            if piece.is_empty:
                moved.append(point)
                continue
            centre = piece.point_on_surface() if piece.geom_type != "Polygon" else piece.centroid
            if not polygon.contains(centre):
                centre = piece.point_on_surface()
            moved.append((centre.x, centre.y))
        points = np.array(moved)
    return points


def partition(
    polygon: BaseGeometry,
    n: int,
    *,
    rng: np.random.Generator,
    min_share: float = 0.1,
) -> list[BaseGeometry]:
    """Cut `polygon` into about `n` pieces that tile it exactly, in reading order.

    Pieces smaller than `min_share` of the mean piece are merged into a neighbour, so the
    count may come out a little lower than `n`. The order is west to east within rows taken
    north to south, the order grid codes are numbered in (CJ/T 213).
    """
    polygon = snap(polygon)
    if n <= 1:
        return [polygon]
    points = relax(sample_points(polygon, n, rng), polygon)
    pieces = [
        polygonal(shapely.intersection(cell, polygon, grid_size=GRID_SIZE))
        for cell in _cells(points, polygon)
    ]
    pieces = _merge_fragments(pieces, points, min_share=min_share)
    return reading_order(pieces)


def _merge_fragments(
    pieces: list[BaseGeometry], points: np.ndarray, *, min_share: float
) -> list[BaseGeometry]:
    """Keep one polygon per piece (the part holding its seed); hand the rest to neighbours."""
    total = sum(p.area for p in pieces)
    kept: list[BaseGeometry] = []
    loose: list[BaseGeometry] = []
    for piece, (x, y) in zip(pieces, points, strict=True):
        parts = [p for p in shapely.get_parts(piece) if p.area > 0]
        if not parts:
            continue
        seed = shapely.Point(x, y)
        main = next((p for p in parts if p.covers(seed)), max(parts, key=lambda p: p.area))
        kept.append(main)
        loose.extend(p for p in parts if p is not main)
    threshold = min_share * total / max(len(kept), 1)
    small = [p for p in kept if p.area < threshold]
    kept = [p for p in kept if p.area >= threshold] or small[:1]
    loose.extend(p for p in small if p is not kept[0])
    # Largest first: a fragment that touches no kept piece yet may touch one that just grew.
    pending = sorted(loose, key=lambda p: p.area, reverse=True)
    while pending:
        remaining = []
        for fragment in pending:
            index = _longest_border(fragment, kept)
            if index is None:
                remaining.append(fragment)
                continue
            kept[index] = polygonal(shapely.union(kept[index], fragment, grid_size=GRID_SIZE))
        if len(remaining) == len(pending):
            # Islands that touch nothing: give each to the nearest piece.
            for fragment in remaining:
                index = min(range(len(kept)), key=lambda i: kept[i].distance(fragment))
                kept[index] = polygonal(shapely.union(kept[index], fragment, grid_size=GRID_SIZE))
            break
        pending = remaining
    return kept


def _longest_border(fragment: BaseGeometry, pieces: list[BaseGeometry]) -> int | None:
    """Index of the piece sharing the longest stretch of border with `fragment`, or None."""
    reach = fragment.buffer(GRID_SIZE * 10)
    best, best_length = None, 0.0
    for index, piece in enumerate(pieces):
        if not piece.intersects(reach):
            continue
        length = shapely.length(shapely.intersection(piece.boundary, reach))
        if length > best_length:
            best, best_length = index, length
    return best


def reading_order(pieces: list[BaseGeometry]) -> list[BaseGeometry]:
    """Pieces sorted in rows from north to south, west to east within a row."""
    if not pieces:
        return pieces
    labels = [p.point_on_surface() for p in pieces]
    union_bounds = shapely.total_bounds(pieces)
    height = union_bounds[3] - union_bounds[1]
    rows = max(1, round(math.sqrt(len(pieces))))
    row_height = height / rows or 1.0

    def key(i: int) -> tuple[int, float]:
        row = int((union_bounds[3] - labels[i].y) / row_height)
        return min(row, rows - 1), labels[i].x

    return [pieces[i] for i in sorted(range(len(pieces)), key=key)]
