"""Redrawing grids, on the scale of a village: Tongzhou went from 1030 grids to 1024.

A village of 10 grids (5 × 2 squares) with a worker each and records placed in them becomes 9
grids in one operation that moves a boundary (3 -> 2), splits one grid (1 -> 2) and merges two
(2 -> 1). What is covered:

- the redraw itself: old grids retired with `valid_to` (not deleted), new grids in force from
  the effective day, the links old -> new with area shares, the new grids covering exactly the
  old area, every old grid mapped, workers and memberships carried over, audit entries, the
  boundary version bumped;
- re-homing: a hook registered for the test is called once inside the transaction with the
  redraw, the old and new grids and a `locate` function; it moves rows of a real table (a
  test-only model whose table the test creates: no app has records with points yet) through
  `rehome_points`, and afterwards no row is left on a retired grid, each sits in the new grid
  that contains its point, points on a shared edge go to the smaller code, rows without a
  point or with a point outside every new grid go to the new grid that took most of their old
  grid, and the counts are in the audit entry; the point-to-grid index (`locate_point`)
  agrees with where every row was put;
- refusals: a new grid that is invalid, a gap, an overlap, a reused code, an out-of-scope or
  unauthorised actor, a hook that fails: each leaves nothing written;
- the API: POST and GET /api/v1/redraws/ with the same rules.
"""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.test.utils import isolate_apps
from django.utils import timezone
from rest_framework.test import APIClient

from gezhi.accounts.choices import Role
from gezhi.accounts.models import Membership
from gezhi.core.audit import audit_verify
from gezhi.core.errors import DomainError, InvalidInput, NotFound
from gezhi.core.models import AuditEntry
from gezhi.regions.geoindex import locate_point
from gezhi.regions.geometry import area_km2, parse_boundary
from gezhi.regions.models import BoundaryVersion, GridAssignment, Redraw, RedrawLink, Region
from gezhi.regions.rehome import GridLocator, register_rehome, rehome_points, unregister_rehome
from gezhi.regions.services import grid_assign_worker, redraw_grids
from tests.conftest import make_region, make_user, square

VILLAGE = "320612101002"
ROW1 = (32.5, 32.75)
ROW2 = (32.75, 33.0)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def code(n: int) -> str:
    return f"{VILLAGE}{n:03d}"


def cell(n: int) -> dict:
    """Old grid n (1-10): row 1 holds 1-5 west to east, row 2 holds 6-10."""
    column = (n - 1) % 5
    lat0, lat1 = ROW1 if n <= 5 else ROW2
    return square(120.5 + 0.1 * column, lat0, 120.6 + 0.1 * column, lat1)


# 6 old grids -> 5 new ones, so the village goes from 10 grids to 9.
OLD = [1, 2, 3, 6, 7, 8]
NEW = {
    11: square(120.5, *ROW1[:1], 120.65, ROW1[1]),  # grid 1 and the west half of 2
    12: square(120.65, ROW1[0], 120.8, ROW1[1]),  # the east half of 2 and grid 3
    13: square(120.5, 32.75, 120.6, 32.875),  # grid 6 split: south half
    14: square(120.5, 32.875, 120.6, 33.0),  # and north half
    15: square(120.6, ROW2[0], 120.8, ROW2[1]),  # grids 7 and 8 merged
}


def new_specs(**changes) -> list[dict]:
    specs = [{"code": code(n), "name": f"新{n}网格", "boundary": b} for n, b in NEW.items()]
    for n, boundary in changes.items():
        specs[list(NEW).index(int(n.lstrip("g")))]["boundary"] = boundary
    return specs


@pytest.fixture
def village(world):
    village = make_region(
        VILLAGE, "石港二村", "village", world.township_b, square(120.5, 32.5, 121.0, 33.0)
    )
    grids = {
        n: make_region(code(n), f"二村{n}网格", "grid", village, cell(n)) for n in range(1, 11)
    }
    workers = {}
    for n, grid in grids.items():
        workers[n] = make_user(f"w{n}")
        grid_assign_worker(actor=None, grid=grid, worker=workers[n])
    return {"village": village, "grids": grids, "workers": workers}


# --- a table of records with points (test-only) ---------------------------------------------


@pytest.fixture
def probe_model(db):
    with isolate_apps("gezhi.regions"):

        class Probe(models.Model):
            grid = models.ForeignKey(
                Region, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
            )
            lng = models.FloatField(null=True)
            lat = models.FloatField(null=True)

            class Meta:
                app_label = "regions"
                db_table = "test_rehome_probe"

            def __str__(self) -> str:
                return f"probe {self.pk}"

        with connection.cursor() as cursor:  # rolled back with the test's transaction
            cursor.execute(
                "CREATE TABLE test_rehome_probe (id integer PRIMARY KEY, grid_id bigint NOT NULL,"
                " lng double precision NULL, lat double precision NULL)"
            )
        yield Probe


def place_records(probe, grids) -> None:
    """A 4 × 4 lattice of points inside each old grid, plus awkward ones."""
    rows, pk = [], 0
    for grid in grids.values():
        x0, y0, x1, y1 = parse_boundary(grid.boundary).bounds
        for i in range(4):
            for j in range(4):
                pk += 1
                lng = x0 + (x1 - x0) * (i + 0.5) / 4
                lat = y0 + (y1 - y0) * (j + 0.5) / 4
                rows.append(probe(id=pk, grid=grid, lng=lng, lat=lat))
    rows += [
        # On the edge shared by new grids 11 and 12 (inside old grid 2): the smaller code.
        probe(id=1001, grid=grids[2], lng=120.65, lat=32.6),
        # No point: goes where most of its old grid went (the larger, southern half of 6).
        probe(id=1002, grid=grids[6], lng=None, lat=None),
        # A point far outside its grid (bad data): still never left on a retired grid.
        probe(id=1003, grid=grids[8], lng=100.0, lat=30.0),
    ]
    probe.objects.bulk_create(rows)


class HookLog:
    def __init__(self, probe):
        self.probe = probe
        self.calls = []

    def __call__(self, *, redraw, old_grids, new_grids, locate):
        self.calls.append(
            {
                "redraw": redraw.pk,
                "old": sorted(g.code for g in old_grids),
                "new": sorted(g.code for g in new_grids),
                "in_force": Region.objects.filter(pk__in=[g.pk for g in new_grids]).count(),
                "locate_edge": locate(120.65, 32.6).code,
                "locate_outside": locate(100.0, 30.0),
            }
        )
        return rehome_points(
            self.probe.objects.all(),
            grid_field="grid",
            lng_field="lng",
            lat_field="lat",
            old_grids=old_grids,
            new_grids=new_grids,
            locate=locate,
        )


@pytest.fixture
def hook(probe_model):
    log = HookLog(probe_model)
    register_rehome(log)
    yield log
    unregister_rehome(log)


def do_redraw(actor, village, **kwargs):
    kwargs.setdefault("new_grids", new_specs())
    kwargs.setdefault("workers", {code(15): village["workers"][8]})
    return redraw_grids(
        actor=actor,
        kind="replace",
        old_grids=[village["grids"][n] for n in OLD],
        note="2026 年网格优化",
        **kwargs,
    )


# --- the redraw --------------------------------------------------------------------------------


def test_ten_grids_become_nine(world, village, hook, probe_model):
    place_records(probe_model, village["grids"])
    version_before = BoundaryVersion.objects.get().version
    redraw = do_redraw(world.county_manager, village)

    today = timezone.localdate()
    in_force = Region.objects.active().grids().filter(parent=village["village"])
    assert in_force.count() == 9
    assert set(in_force.values_list("code", flat=True)) == {
        code(n) for n in (4, 5, 9, 10, 11, 12, 13, 14, 15)
    }
    # Old grids are retired, not deleted.
    for n in OLD:
        old = Region.objects.get(code=code(n))
        assert old.valid_to == today and not old.is_active
    assert Region.objects.grids().filter(parent=village["village"]).count() == 15
    for n in NEW:
        assert Region.objects.get(code=code(n)).valid_from == today

    links = {
        (link.old.code[-3:], link.new.code[-3:]): link.overlap_share
        for link in RedrawLink.objects.filter(redraw=redraw).select_related("old", "new")
    }
    assert links == pytest.approx(
        {
            ("001", "011"): 1.0,
            ("002", "011"): 0.5,
            ("002", "012"): 0.5,
            ("003", "012"): 1.0,
            # Halves in degrees of latitude: the southern one is a little larger on the sphere.
            ("006", "013"): pytest.approx(0.5, abs=1e-3),
            ("006", "014"): pytest.approx(0.5, abs=1e-3),
            ("007", "015"): 1.0,
            ("008", "015"): 1.0,
        },
        abs=1e-6,
    )
    assert {old for old, _ in links} == {f"{n:03d}" for n in OLD}
    # Shares of each old grid add up to the whole of it.
    for n in OLD:
        assert sum(s for (old, _), s in links.items() if old == f"{n:03d}") == pytest.approx(1)

    old_union = shapely.union_all([parse_boundary(cell(n)) for n in OLD])
    new_union = shapely.union_all(
        [parse_boundary(Region.objects.get(code=code(n)).boundary) for n in NEW]
    )
    assert area_km2(old_union.symmetric_difference(new_union)) < 1e-6
    assert BoundaryVersion.objects.get().version > version_before


def test_workers_are_carried_over(world, village, hook):
    do_redraw(world.county_manager, village)
    w = village["workers"]

    def primary(n):
        return GridAssignment.objects.current().get(grid__code=code(n), is_primary=True).worker

    # The old grid a new one took most from gives its primary; the caller chose grid 15's.
    assert primary(11) == w[1]
    assert primary(12) == w[3]
    assert primary(13) == primary(14) == w[6]
    assert primary(15) == w[8]
    # Untouched grids keep their workers; old grids have none left.
    assert primary(4) == w[4] and primary(9) == w[9]
    for n in OLD:
        assert not GridAssignment.objects.current().filter(grid__code=code(n)).exists()
        assert GridAssignment.objects.filter(grid__code=code(n), ended_at__isnull=False).exists()
    # Memberships (and so what each worker sees) follow.
    current = Membership.objects.current().filter(role=Role.GRID_WORKER)
    assert set(current.filter(user=w[6]).values_list("region__code", flat=True)) == {
        code(13),
        code(14),
    }
    assert not current.filter(user=w[2]).exists()
    assert not current.filter(user=w[7]).exists()


def test_tied_overlap_goes_to_the_smaller_code(world, village, hook):
    do_redraw(world.county_manager, village, workers={})
    primary = GridAssignment.objects.current().get(grid__code=code(15), is_primary=True)
    assert primary.worker == village["workers"][7]


def test_records_are_rehomed_and_none_is_orphaned(world, village, hook, probe_model):
    place_records(probe_model, village["grids"])
    redraw = do_redraw(world.county_manager, village)

    assert len(hook.calls) == 1
    call = hook.calls[0]
    assert call["redraw"] == redraw.pk
    assert call["old"] == [code(n) for n in OLD]
    assert call["new"] == [code(n) for n in NEW]
    assert call["in_force"] == 5  # the hook runs after the new grids exist
    assert call["locate_edge"] == code(11)
    assert call["locate_outside"] is None

    retired = Region.objects.filter(valid_to__isnull=False)
    assert not probe_model.objects.filter(grid__in=retired).exists()
    new_geoms = {code(n): parse_boundary(b) for n, b in NEW.items()}
    for row in probe_model.objects.select_related("grid"):
        if row.id >= 1000:
            continue
        point = shapely.Point(row.lng, row.lat)
        assert row.grid.is_active
        if row.grid.code in new_geoms:
            assert new_geoms[row.grid.code].contains(point)
        else:  # records of the untouched grids stay where they were
            assert int(row.grid.code[-3:]) not in OLD
    assert probe_model.objects.get(id=1001).grid.code == code(11)
    # The routing index (rebuilt after the redraw) sends every real point where it was put.
    for row in probe_model.objects.exclude(id__in=[1002, 1003]).select_related("grid"):
        assert locate_point(row.lng, row.lat).grid.code == row.grid.code
    assert probe_model.objects.get(id=1002).grid.code == code(13)
    assert probe_model.objects.get(id=1003).grid.code == code(15)

    entry = AuditEntry.objects.get(action="region.redraw", object_id=str(redraw.pk))
    counts = entry.after["rehome"][f"{HookLog.__module__}.{HookLog.__qualname__}"]
    assert counts == {"moved": 6 * 16 + 3, "by_point": 6 * 16 + 1, "outside": 1, "no_point": 1}


def test_audit_entries_are_written(world, village, hook):
    redraw = do_redraw(world.county_manager, village)
    entry = AuditEntry.objects.get(action="region.redraw", object_id=str(redraw.pk))
    assert entry.actor_id == world.county_manager.pk
    assert entry.after["old"] == [code(n) for n in OLD]
    assert entry.after["new"] == [code(n) for n in NEW]
    assert entry.after["workers"][code(15)] == "w8"
    assert len(entry.after["links"]) == 8
    assert AuditEntry.objects.filter(action="region.retire").count() == len(OLD)
    created = AuditEntry.objects.filter(action="region.create", object_repr__contains="新")
    assert created.count() == len(NEW)
    assert audit_verify().ok


def test_split_and_merge_kinds(world, village):
    grids = village["grids"]
    split = redraw_grids(
        actor=world.admin,
        kind="split",
        old_grids=[grids[6]],
        new_grids=[
            {"code": code(13), "name": "南", "boundary": NEW[13]},
            {"code": code(14), "name": "北", "boundary": NEW[14]},
        ],
    )
    assert split.links.count() == 2
    merge = redraw_grids(
        actor=world.admin,
        kind="merge",
        old_grids=[grids[7], grids[8]],
        new_grids=[{"code": code(15), "name": "合", "boundary": NEW[15]}],
    )
    assert sorted(merge.links.values_list("old__code", flat=True)) == [code(7), code(8)]
    with pytest.raises(InvalidInput, match="拆分"):
        redraw_grids(
            actor=world.admin,
            kind="split",
            old_grids=[grids[4], grids[5]],
            new_grids=[
                {"code": code(16), "name": "x", "boundary": square(120.8, 32.5, 121, 32.75)}
            ],
        )


def test_effective_date_in_the_future(world, village):
    day = timezone.localdate() + dt.timedelta(days=30)
    redraw_grids(
        actor=world.admin,
        kind="merge",
        old_grids=[village["grids"][7], village["grids"][8]],
        new_grids=[{"code": code(15), "name": "合", "boundary": NEW[15]}],
        effective_on=day,
    )
    old = Region.objects.get(code=code(7))
    new = Region.objects.get(code=code(15))
    assert old.is_active and not new.is_active  # until the day comes
    assert Region.objects.active(on=day).filter(code=code(15)).exists()
    assert not Region.objects.active(on=day).filter(code=code(7)).exists()
    # The worker keeps the old grid until that day, and holds the new one from it.
    w7 = village["workers"][7]
    assert GridAssignment.objects.current().filter(grid=old, worker=w7).exists()
    later = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
    assert GridAssignment.objects.current(at=later).filter(grid=new, worker=w7).exists()
    assert not GridAssignment.objects.current(at=later).filter(grid=old).exists()


# --- refusals: nothing half-written --------------------------------------------------------------


def snapshot():
    return (
        Region.objects.count(),
        Region.objects.filter(valid_to__isnull=False).count(),
        Redraw.objects.count(),
        RedrawLink.objects.count(),
        GridAssignment.objects.filter(ended_at__isnull=True).count(),
        Membership.objects.current().count(),
        AuditEntry.objects.count(),
        BoundaryVersion.objects.get().version,
    )


def assert_refused(error, match, village, probe=None, **kwargs):
    before = snapshot()
    homes = list(probe.objects.values_list("id", "grid_id")) if probe else None
    with pytest.raises(error, match=match):
        do_redraw(kwargs.pop("actor"), village, **kwargs)
    assert snapshot() == before
    if probe:
        assert list(probe.objects.values_list("id", "grid_id")) == homes


def test_an_invalid_new_grid_rolls_everything_back(world, village, hook, probe_model):
    place_records(probe_model, village["grids"])
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[120.6, 32.75], [120.8, 33.0], [120.8, 32.75], [120.6, 33.0], [120.6, 32.75]]
        ],
    }
    assert_refused(
        InvalidInput,
        "015",
        village,
        probe_model,
        actor=world.admin,
        new_grids=new_specs(g15=bowtie),
    )
    assert hook.calls == []


def test_a_gap_is_refused_with_its_size(world, village):
    smaller = square(120.6, 32.75, 120.79, 33.0)  # leaves a strip of grid 8 uncovered
    with pytest.raises(InvalidInput, match=r"缺少约 \d+ 平方米（1\.6\d%）") as caught:
        do_redraw(world.admin, village, new_grids=new_specs(g15=smaller))
    assert caught.value.field == "new_grids"


def test_extra_area_is_refused(world, village):
    bigger = square(120.6, 32.75, 120.85, 33.0)  # reaches into grid 9
    assert_refused(
        InvalidInput, "多出约", village, actor=world.admin, new_grids=new_specs(g15=bigger)
    )


def test_overlapping_new_grids_are_refused(world, village):
    overlapping = square(120.5, 32.75, 120.6, 32.9)  # 13 reaches into 14
    assert_refused(
        InvalidInput,
        f"{code(13)} 与 {code(14)} 重叠",
        village,
        actor=world.admin,
        new_grids=new_specs(g13=overlapping),
    )


def test_a_small_digitising_slip_is_tolerated(world, village):
    # 10 m short of the edge on a 0.2° × 0.25° grid: well under 0.1% of the area.
    slip = square(120.6, 32.75, 120.8 - 0.0001, 33.0)
    do_redraw(world.admin, village, new_grids=new_specs(g15=slip))
    assert Region.objects.get(code=code(15)).is_active


def test_codes_must_be_new(world, village):
    specs = new_specs()
    specs[0]["code"] = code(4)  # an existing grid's code
    assert_refused(InvalidInput, "已被使用", village, actor=world.admin, new_grids=specs)
    specs[0]["code"] = "320612001001011"  # under another village
    assert_refused(InvalidInput, "011", village, actor=world.admin, new_grids=specs)


def test_retired_grids_cannot_be_redrawn_again(world, village):
    do_redraw(world.admin, village)
    with pytest.raises(DomainError, match="已停用"):
        do_redraw(world.admin, village, new_grids=new_specs())


def test_out_of_scope_actor_is_refused(world, village, hook):
    # Township A's manager cannot see township B's village: as if it did not exist.
    assert_refused(NotFound, "不存在", village, actor=world.township_manager)
    # A grid worker there sees their own grid but may not redraw it.
    assert_refused(PermissionDenied, "无权", village, actor=village["workers"][1])
    assert hook.calls == []


def test_a_failing_hook_rolls_the_redraw_back(world, village):
    def broken(**kwargs):
        raise RuntimeError("records could not be moved")

    register_rehome(broken)
    try:
        assert_refused(RuntimeError, "could not be moved", village, actor=world.admin)
    finally:
        unregister_rehome(broken)


def test_grid_locator_ties_and_misses(world, village):
    grids = list(village["grids"].values())
    locate = GridLocator(reversed(grids))
    assert locate(120.6, 32.6).code == code(1)  # on the edge of 1 and 2
    assert locate(120.6, 32.75).code == code(1)  # the corner of 1, 2, 6 and 7
    assert locate(120.55, 32.6).code == code(1)
    assert locate(121.5, 32.6) is None
    assert list(locate.locate_many([120.75, 121.5], [32.9, 32.6])) == [
        grids.index(village["grids"][8]),
        -1,
    ]


# --- the API ---------------------------------------------------------------------------------------


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def api_body(**changes):
    body = {
        "kind": "replace",
        "old_grids": [code(n) for n in OLD],
        "new_grids": new_specs(),
        "note": "按 API 调整",
        "workers": {code(15): "w8"},
    }
    body.update(changes)
    return body


def test_redraw_by_api(world, village):
    response = api(world.county_manager).post("/api/v1/redraws/", api_body(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["kind"] == "replace"
    assert data["old_grids"] == [code(n) for n in OLD]
    assert data["new_grids"] == [code(n) for n in NEW]
    assert len(data["links"]) == 8
    assert GridAssignment.objects.current().get(grid__code=code(15)).worker.username == "w8"

    listed = api(world.township_manager).get("/api/v1/redraws/").json()
    assert listed["count"] == 0  # township A saw none of it
    listed = api(village["workers"][1]).get("/api/v1/redraws/").json()
    assert [r["id"] for r in listed["results"]] == [data["id"]]
    detail = api(world.county_manager).get(f"/api/v1/redraws/{data['id']}/")
    assert detail.status_code == 200
    assert api(world.outsider).get(f"/api/v1/redraws/{data['id']}/").status_code == 404


@pytest.mark.parametrize(
    ("who", "status"), [("township_manager", 404), ("agent", 403), ("outsider", 404)]
)
def test_redraw_by_api_refused(world, village, who, status):
    response = api(world.cast[who]).post("/api/v1/redraws/", api_body(), format="json")
    assert response.status_code == status
    assert not Redraw.objects.exists()


def test_redraw_by_api_reports_the_bad_grid(world, village):
    specs = new_specs()
    specs[2]["boundary"] = {"type": "Point", "coordinates": [120.55, 32.8]}
    response = api(world.admin).post("/api/v1/redraws/", api_body(new_grids=specs), format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "new_grids[2].boundary"
    assert not Redraw.objects.exists()
