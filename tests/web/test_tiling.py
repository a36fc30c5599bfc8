"""Cutting a polygon into pieces that tile it: exact, valid, repeatable."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from gezhi.web.demo.tiling import partition, reading_order

# An L-shaped outline with a lake in it: concave, so Voronoi cells cut it into bits.
L_SHAPE = Polygon(
    [(100, 30), (100.6, 30), (100.6, 30.2), (100.2, 30.2), (100.2, 30.8), (100, 30.8)],
    holes=[[(100.05, 30.05), (100.1, 30.05), (100.1, 30.1), (100.05, 30.1)]],
)


@pytest.mark.parametrize("n", [1, 2, 5, 12, 30])
def test_pieces_tile_the_polygon_exactly(n):
    pieces = partition(L_SHAPE, n, rng=np.random.default_rng(1))
    assert 1 <= len(pieces) <= n
    assert all(p.is_valid and not p.is_empty for p in pieces)
    union = shapely.union_all(pieces)
    assert L_SHAPE.symmetric_difference(union).area / L_SHAPE.area < 1e-6
    assert (sum(p.area for p in pieces) - union.area) / union.area < 1e-6


def test_pieces_are_single_polygons_and_none_is_a_sliver():
    pieces = partition(L_SHAPE, 12, rng=np.random.default_rng(7))
    assert all(p.geom_type == "Polygon" for p in pieces)
    mean = L_SHAPE.area / len(pieces)
    assert min(p.area for p in pieces) > 0.1 * mean


def test_same_seed_same_pieces():
    first = partition(L_SHAPE, 8, rng=np.random.default_rng(2026))
    second = partition(L_SHAPE, 8, rng=np.random.default_rng(2026))
    assert [p.wkb for p in first] == [p.wkb for p in second]


def test_reading_order_is_north_to_south_then_west_to_east():
    cells = [box(x, y, x + 1, y + 1) for y in (0, 1) for x in (1, 0)]
    ordered = reading_order(cells)
    assert [(p.bounds[0], p.bounds[1]) for p in ordered] == [(0, 1), (1, 1), (0, 0), (1, 0)]
