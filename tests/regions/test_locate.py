"""Point -> grid: the index, `locate_point`, its freshness, the API and `gezhi locate`.

The `world` tree: grids A (lng 120.0-120.25) and B (120.25-120.5) in village A (lat 32.0-32.5),
grid C the whole of village B (120.5-121.0, lat 32.0-32.5); townships and the county reach
up to lat 33.0, so the northern half of the county lies in no grid.
"""

from __future__ import annotations

import csv
import datetime as dt
from io import StringIO

import numpy as np
import pytest
import shapely
import shapely.affinity
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from gezhi.lib.geo import wgs84_to_bd09, wgs84_to_gcj02
from gezhi.regions import geoindex
from gezhi.regions.geoindex import (
    GridIndex,
    PolygonIndex,
    build_index,
    first_covering,
    forget_index,
    get_index,
    locate_point,
)
from gezhi.regions.models import BoundaryVersion, Region
from gezhi.regions.services import bump_boundary_version, region_update
from tests.conftest import make_region, square

A, B, C = "320612001001001", "320612001001002", "320612101001001"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def codes(regions) -> list[str]:
    return [r.code for r in regions]


def batch(lng: float, lat: float) -> str | None:
    index = get_index()
    grids, _regions = index.locate_many([lng], [lat])
    return index.grids.codes[grids[0]] if grids[0] >= 0 else None


# --- the index on its own (no database) ----------------------------------------------------


def unit_squares(n: int) -> list[tuple[str, shapely.Polygon]]:
    """An n x n board of unit squares: every inner edge and vertex is shared exactly."""
    return [
        (f"{(n * n - k):015d}", shapely.box(i, j, i + 1, j + 1))
        for k, (i, j) in enumerate((i, j) for i in range(n) for j in range(n))
    ]


def test_shared_edges_and_vertices_go_to_the_smallest_code():
    index = GridIndex(unit_squares(3))
    by_box = {tuple(g.bounds): code for code, g in unit_squares(3)}
    left, right = by_box[(0.0, 0.0, 1.0, 1.0)], by_box[(1.0, 0.0, 2.0, 1.0)]
    assert index.locate(1.0, 0.5) == min(left, right)
    centre = [by_box[b] for b in [(0, 0, 1, 1), (1, 0, 2, 1), (0, 1, 1, 2), (1, 1, 2, 2)]]
    assert index.locate(1.0, 1.0) == min(centre)
    assert index.locate(0.0, 0.0) == by_box[(0.0, 0.0, 1.0, 1.0)]  # outer corner: closed
    assert index.locate(3.0, 3.0) == by_box[(2.0, 2.0, 3.0, 3.0)]
    assert index.locate(3.0000001, 1.0) is None
    assert index.locate(float("nan"), 1.0) is None


def test_overlaps_holes_and_multipolygons_follow_the_same_rule():
    ring = shapely.box(0, 0, 4, 4).difference(shapely.box(1, 1, 3, 3))
    islands = shapely.MultiPolygon([shapely.box(1.5, 1.5, 2, 2), shapely.box(5, 5, 6, 6)])
    overlap = shapely.box(3, 3, 5, 5)
    index = GridIndex([("3", ring), ("2", islands), ("1", overlap)])
    assert index.locate(2.5, 2.5) is None  # in the hole
    assert index.locate(1.75, 1.75) == "2"  # an island in the hole
    assert index.locate(5.5, 5.5) == "2"
    assert index.locate(3.5, 3.5) == "1"  # ring and overlap: smaller code
    assert index.locate(0.5, 0.5) == "3"
    assert index.locate(4.5, 4.5) == "1"


def test_an_empty_index_answers_none():
    index = GridIndex([])
    assert index.locate(120.0, 32.0) is None
    assert index.locate_many([120.0], [32.0]).tolist() == [-1]


coordinate = st.one_of(
    st.sampled_from([0.0, 0.5, 1.0, 1.25, 2.0, 3.0, 4.0, 5.0, 6.0]),
    st.floats(min_value=-0.5, max_value=6.5, allow_nan=False),
)


@pytest.mark.parametrize("cells_per_polygon", [0.5, 8.0, 64.0])
def test_batch_single_and_brute_force_agree_on_an_irregular_tiling(cells_per_polygon):
    rng = np.random.default_rng(3)
    seeds = shapely.multipoints(rng.uniform(0, 6, (60, 2)))
    frame = shapely.box(0, 0, 6, 6)
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(seeds)), frame)
    items = [(f"{rng.integers(10**14, 10**15)}", g) for g in cells]
    items += [(code, g) for code, g in unit_squares(3)]  # overlapping the tiling, exact edges
    index = GridIndex(items, cells_per_polygon=cells_per_polygon)
    # Points on the Voronoi vertices (shared by three cells) as well as random and lattice ones.
    vertices = shapely.get_coordinates(cells)[:200]

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=50))
    def check(points):
        xs = np.array([p[0] for p in points] + list(vertices[:, 0]))
        ys = np.array([p[1] for p in points] + list(vertices[:, 1]))
        many = index.locate_many(xs, ys).tolist()
        single = [index.locate_index(x, y) for x, y in zip(xs, ys, strict=True)]
        reference = [index.reference(x, y) for x, y in zip(xs, ys, strict=True)]
        assert many == single == reference

    check()


def test_counties_far_apart_store_only_their_own_cells():
    # Two boards of squares 100 degrees apart, and a grid with an exclave next to each.
    near = [(f"1{i:03d}", g) for i, (_, g) in enumerate(unit_squares(10))]
    far = [("2" + code[1:], shapely.affinity.translate(g, 100, 60)) for code, g in near]
    exclave = shapely.MultiPolygon([shapely.box(10, 0, 11, 1), shapely.box(110, 60, 111, 61)])
    index = GridIndex([*near, *far, ("0999", exclave)])
    stats = index.polygons.stats
    assert stats["stored_cells"] < stats["lattice_cells"] / 5
    rng = np.random.default_rng(5)
    board = np.round(rng.uniform(-1, 12, (2000, 2)) * 4) / 4  # many on edges and corners
    xs = np.concatenate([board[:, 0], board[:, 0] + 100, [10.5, 110.5, 11.0, 110.0, 50.0]])
    ys = np.concatenate([board[:, 1], board[:, 1] + 60, [0.5, 60.5, 0.5, 60.5, 30.0]])
    many = index.locate_many(xs, ys).tolist()
    assert many == [index.locate_index(x, y) for x, y in zip(xs, ys, strict=True)]
    assert many == [index.reference(x, y) for x, y in zip(xs, ys, strict=True)]
    assert [index.codes[p] for p in many[-5:-1]] == ["0999", "0999", "0999", "0999"]
    assert many[-1] == -1  # between the boards


def test_first_covering_is_a_plain_loop():
    geoms = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
    assert first_covering(geoms, 1.0, 0.5) == 0
    assert first_covering(geoms[::-1], 1.0, 0.5) == 0
    assert first_covering(geoms, 5.0, 5.0) == -1
    assert PolygonIndex(geoms).locate(1.5, 0.5) == 1


# --- locate_point on the world tree ---------------------------------------------------------


@pytest.mark.parametrize(
    "lng, lat, grid",
    [(120.1, 32.2, A), (120.4, 32.3, B), (120.7, 32.1, C), (120.0, 32.0, A), (121.0, 32.5, C)],
)
def test_points_inside_grids(world, lng, lat, grid):
    result = locate_point(lng, lat)
    assert result.grid.code == grid
    assert result.containing is None
    assert codes(result.path) == [*Region.objects.get(code=grid).ancestor_codes()]
    assert batch(lng, lat) == grid


@pytest.mark.parametrize(
    "lng, lat, grid",
    [
        (120.25, 32.2, A),  # the edge A and B share
        (120.25, 32.0, A),  # a vertex of A and B
        (120.25, 32.5, A),
        (120.5, 32.3, B),  # the edge of B and C (different villages)
        (120.5, 32.5, B),
    ],
)
def test_shared_edges_go_to_the_smallest_code_in_both_paths(world, lng, lat, grid):
    assert locate_point(lng, lat).grid.code == grid
    assert batch(lng, lat) == grid
    assert get_index().grids.locate(lng, lat) == grid


def test_a_point_in_no_grid_names_the_lowest_region_around_it(world):
    # North of the grids: in township A (and the county), in no village.
    result = locate_point(120.3, 32.8)
    assert result.grid is None
    assert result.containing == world.township_a
    assert codes(result.path) == ["320612", "320612001"]

    village = make_region(
        "320612101002", "石港二村", "village", world.township_b, square(120.5, 32.5, 121.0, 32.9)
    )
    result = locate_point(120.7, 32.7)
    assert result.grid is None and result.containing == village
    assert codes(result.path) == ["320612", "320612101", "320612101002"]

    # Shrink township B so its north edge leaves a strip that only the county covers.
    region_update(actor=None, region=world.township_b, boundary=square(120.5, 32.0, 121.0, 32.95))
    result = locate_point(120.7, 32.97)
    assert result.grid is None and result.containing == world.county
    assert codes(result.path) == ["320612"]
    # A point on the village's edge with the township: the deeper region wins.
    assert locate_point(120.7, 32.9).containing == village


def test_a_point_outside_everything(world):
    result = locate_point(100.0, 30.0)
    assert (result.grid, result.containing, result.path) == (None, None, [])
    grids, regions = get_index().locate_many([100.0], [30.0])
    assert (grids.tolist(), regions.tolist()) == ([-1], [-1])


def test_gcj02_and_bd09_input_is_converted_first(world):
    # 2 mm west of the A|B edge in WGS-84; the GCJ-02 and BD-09 numbers are hundreds of
    # metres east, inside B if they were taken for WGS-84.
    lng, lat = 120.2499, 32.2
    gcj = wgs84_to_gcj02(lng, lat)
    bd = wgs84_to_bd09(lng, lat)
    assert locate_point(*gcj).grid.code == B
    assert locate_point(*bd).grid.code == B
    for numbers, crs in [(gcj, "gcj02"), (bd, "bd09")]:
        result = locate_point(*numbers, crs=crs)
        assert result.grid.code == A
        assert result.lng_wgs84 == pytest.approx(lng, abs=1e-7)
        assert result.lat_wgs84 == pytest.approx(lat, abs=1e-7)


def test_index_follows_a_boundary_change_without_a_restart(world):
    before = get_index()
    assert locate_point(120.22, 32.2).grid.code == A
    region_update(actor=None, region=world.grid_a, boundary=square(120.0, 32.0, 120.2, 32.5))
    after = get_index()
    assert after is not before and after.version > before.version
    result = locate_point(120.22, 32.2)
    assert result.grid is None and result.containing == world.village_a
    assert get_index() is after  # no change since: the same index, no rebuild


def test_index_follows_a_change_made_by_another_process(world):
    index = get_index()
    assert locate_point(120.7, 32.1).grid.code == C
    # Another process retires grid C and bumps the version; this process only sees the counter.
    Region.objects.filter(pk=world.grid_c.pk).update(valid_to=timezone.localdate())
    assert get_index() is index  # nothing told this process yet
    bump_boundary_version()
    assert get_index() is not index
    result = locate_point(120.7, 32.1)
    assert result.grid is None and result.containing == world.village_b


def test_an_index_built_in_a_rolled_back_transaction_is_not_reused(world):
    get_index()
    version = BoundaryVersion.objects.get(pk=1).version
    with pytest.raises(RuntimeError), transaction.atomic():
        region_update(actor=None, region=world.grid_a, boundary=square(120.0, 32.0, 120.2, 32.5))
        assert locate_point(120.22, 32.2).grid is None
        raise RuntimeError("roll back")
    # A different change now takes the same version number the rolled back one had.
    region_update(actor=None, region=world.grid_b, boundary=square(120.3, 32.0, 120.5, 32.5))
    assert BoundaryVersion.objects.get(pk=1).version == version + 1
    assert locate_point(120.22, 32.2).grid.code == A
    assert locate_point(120.27, 32.2).grid is None


@pytest.fixture
def fresh_index():
    """No process index before or after: these tests commit, and the flush resets the counter."""
    forget_index()
    yield
    forget_index()


def small_tree() -> Region:
    county = make_region("320612", "通州区", "county", None, square(120.0, 32.0, 121.0, 33.0))
    township = make_region("320612001", "金沙街道", "township", county, square(120, 32, 121, 33))
    village = make_region("320612001001", "金东社区", "village", township, square(120, 32, 121, 33))
    return make_region(A, "金东一网格", "grid", village, square(120.0, 32.0, 120.5, 32.5))


@pytest.mark.django_db(transaction=True)
def test_committed_changes_share_their_index_and_rolled_back_ones_do_not(fresh_index):
    grid = small_tree()
    index = get_index()  # outside any transaction: the process's index
    assert geoindex._shared is index and index.grids.locate(120.4, 32.4) == A

    with pytest.raises(RuntimeError), transaction.atomic():
        region_update(actor=None, region=grid, boundary=square(120.0, 32.0, 120.3, 32.3))
        inside = get_index()
        assert inside is not index and inside.grids.locate(120.4, 32.4) is None
        raise RuntimeError("roll back")
    assert geoindex._shared is index
    assert get_index() is index  # the rolled back version number was never committed

    with transaction.atomic():
        region_update(actor=None, region=grid, boundary=square(120.0, 32.0, 120.3, 32.3))
        inside = get_index()
    assert geoindex._shared is inside  # shared once committed
    assert get_index() is inside and locate_point(120.4, 32.4).grid is None


def test_hooks_run_inside_a_test_transaction_share_nothing(
    world, fresh_index, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as hooks:
        get_index()
    assert hooks and geoindex._shared is None


def test_a_grid_retired_from_tomorrow_leaves_tomorrows_index(world):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    Region.objects.filter(pk=world.grid_c.pk).update(valid_to=tomorrow)
    version = BoundaryVersion.objects.get(pk=1).version
    assert build_index(version=version, day=timezone.localdate()).grids.locate(120.7, 32.1) == C
    assert build_index(version=version, day=tomorrow).grids.locate(120.7, 32.1) is None
    assert get_index().day == timezone.localdate()


def test_batch_single_and_brute_force_agree_on_the_world(world):
    index = get_index()
    grids = [Region.objects.get(code=code) for code in index.grids.codes]
    geoms = [shapely.geometry.shape(g.boundary) for g in grids]
    lattice = st.sampled_from([120.0, 120.25, 120.5, 121.0, 32.0, 32.5, 33.0])
    lng = st.one_of(lattice, st.floats(min_value=119.9, max_value=121.1, allow_nan=False))
    lat = st.one_of(lattice, st.floats(min_value=31.9, max_value=33.1, allow_nan=False))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.tuples(lng, lat), min_size=1, max_size=20))
    def check(points):
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        many, _regions = index.locate_many(xs, ys)
        single = [index.grids.locate_index(x, y) for x, y in points]
        brute = [first_covering(geoms, x, y) for x, y in points]
        assert many.tolist() == single == brute

    check()


# --- the API --------------------------------------------------------------------------------


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


URL = "/api/v1/regions/locate/"


def test_api_answers_the_grid_and_its_path(world):
    response = api(world.citizen).get(URL, {"lng": "120.25", "lat": "32.2"})
    assert response.status_code == 200
    body = response.json()
    assert body["grid"] == {"code": A, "name": "金东一网格", "level": "grid"}
    assert [r["code"] for r in body["path"]] == ["320612", "320612001", "320612001001", A]
    assert body["containing"] is None
    assert (body["lng_wgs84"], body["lat_wgs84"], body["crs"]) == (120.25, 32.2, "wgs84")
    # Only codes, names and levels: nothing else about a region leaves through this endpoint.
    assert all(set(r) == {"code", "name", "level"} for r in body["path"])


def test_api_point_in_no_grid(world):
    body = api(world.worker_b).get(URL, {"lng": 120.3, "lat": 32.8}).json()
    assert body["grid"] is None
    assert body["containing"]["code"] == "320612001"
    body = api(world.worker_b).get(URL, {"lng": 100, "lat": 30}).json()
    assert (body["grid"], body["containing"], body["path"]) == (None, None, [])


def test_api_converts_gcj02(world):
    lng, lat = wgs84_to_gcj02(120.2499, 32.2)
    body = api(world.agent).get(URL, {"lng": lng, "lat": lat, "crs": "gcj02"}).json()
    assert body["grid"]["code"] == A
    assert body["crs"] == "gcj02"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"lat": 32.2}, "lng"),
        ({"lng": 120.1}, "lat"),
        ({"lng": "abc", "lat": 32.2}, "lng"),
        ({"lng": 120.1, "lat": "nan"}, "lat"),
        ({"lng": 200, "lat": 32.2}, "lng"),
        ({"lng": 120.1, "lat": -91}, "lat"),
        ({"lng": 120.1, "lat": 32.2, "crs": "utm"}, "crs"),
    ],
)
def test_api_rejects_bad_parameters_naming_them(world, params, field):
    response = api(world.citizen).get(URL, params)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_api_needs_a_login_and_is_in_the_schema(world):
    assert APIClient().get(URL, {"lng": 120.1, "lat": 32.2}).status_code in (401, 403)
    schema = api(world.admin).get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/regions/locate/" in schema["paths"]


# --- gezhi locate ---------------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command("locate", *args, stdout=out)
    return out.getvalue()


def test_cli_prints_the_grid_and_its_path(world):
    output = run("120.25", "32.2")
    assert f"{A} 金东一网格" in output
    assert "320612 通州区 / 320612001 金沙街道 / 320612001001 金东社区" in output


def test_cli_converts_bd09(world):
    output = run(*map(str, wgs84_to_bd09(120.2499, 32.2)), "--crs", "bd09")
    assert A in output and "WGS-84" in output


def test_cli_point_in_no_grid_names_the_region(world):
    output = run("120.3", "32.8")
    assert "不在任何网格内" in output and "320612001 金沙街道" in output


def test_cli_point_nowhere_exits_1(world):
    with pytest.raises(CommandError) as caught:
        run("100", "30")
    assert caught.value.returncode == 1


def test_cli_usage_errors_exit_2(world, tmp_path):
    with pytest.raises(CommandError) as caught:
        run("120.1")
    assert caught.value.returncode == 2
    with pytest.raises(CommandError) as caught:
        run("--csv", str(tmp_path / "in.csv"))
    assert caught.value.returncode == 2


def write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerows(rows)


def read_csv(path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_cli_csv_locates_every_row(world, tmp_path):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(
        source,
        [
            ["id", "lng", "lat"],
            ["1", "120.1", "32.2"],
            ["2", "120.25", "32.2"],
            ["3", "120.3", "32.8"],
            ["4", "100", "30"],
        ],
    )
    output = run("--csv", str(source), "-o", str(target))
    assert "共 4 行" in output
    rows = read_csv(target)
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"]
    assert [r["grid_code"] for r in rows] == [A, A, "", ""]
    assert rows[0]["grid_name"] == "金东一网格"
    assert [r["region_code"] for r in rows] == ["", "", "320612001", ""]
    assert all(r["error"] == "" for r in rows)


def test_cli_csv_marks_bad_rows_and_exits_1(world, tmp_path):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(
        source,
        [["lng", "lat", "note"], ["120.1", "abc", "x"], ["", "32.2", "y"], ["181", "32", "z"]]
        + [[*map(str, wgs84_to_gcj02(120.2499, 32.2)), "gcj"]],
    )
    with pytest.raises(CommandError) as caught:
        run("--csv", str(source), "-o", str(target), "--crs", "gcj02")
    assert caught.value.returncode == 1
    assert "坐标有误 3 行" in str(caught.value)
    rows = read_csv(target)
    assert [bool(r["error"]) for r in rows] == [True, True, True, False]
    assert "lat" in rows[0]["error"] and "lng" in rows[1]["error"]
    assert rows[3]["grid_code"] == A and rows[3]["note"] == "gcj"


def test_cli_csv_without_coordinate_columns_is_rejected(world, tmp_path):
    source = tmp_path / "in.csv"
    write_csv(source, [["x", "y"], ["120.1", "32.2"]])
    with pytest.raises(CommandError) as caught:
        run("--csv", str(source), "-o", str(tmp_path / "out.csv"))
    assert caught.value.returncode == 1
