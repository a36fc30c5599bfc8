"""The demo deployment: real county boundaries tiled exactly, valid codes, a worker on every
grid, a user for every role, and seeding twice changes nothing."""

from __future__ import annotations

import io

import pytest
import shapely
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.test import Client
from shapely.geometry import shape

from gezhi.accounts.choices import Role
from gezhi.accounts.models import Membership, User
from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import user_scope
from gezhi.core.audit import audit_verify
from gezhi.core.models import AuditEntry
from gezhi.lib.codes import child_code_error, region_code_error
from gezhi.regions.choices import Level
from gezhi.regions.models import Department, GridAssignment, Region
from gezhi.web.demo.seed import DEMO_PASSWORD, SeedOptions, county_boundary, seed_demo

DARI, CHANGTAI = "632624", "350605"


def small(county: str) -> SeedOptions:
    """One county, two townships of two villages, two grids each: quick to seed."""
    return SeedOptions(
        counties=(county,),
        townships=2,
        villages_per_township=2,
        areas_per_village=2,
        grids_per_village=2,
    )


@pytest.fixture
def dari(db):
    return seed_demo(small(DARI))


def geom(region: Region):
    return shape(region.boundary)


@pytest.mark.parametrize("county_code", [DARI, CHANGTAI])
def test_grids_tile_the_real_county_without_gaps_or_overlaps(db, county_code):
    seed_demo(small(county_code))
    county = Region.objects.get(code=county_code)
    real = county_boundary(county_code)
    assert abs(geom(county).area - real.area) / real.area < 1e-6

    grids = [geom(g) for g in Region.objects.subtree(county).grids()]
    assert len(grids) >= 8
    assert all(g.is_valid and g.geom_type in ("Polygon", "MultiPolygon") for g in grids)
    union = shapely.union_all(grids)
    # No gaps: the grids cover the county (to 0.1 %); no overlaps: their areas add up to the
    # area of their union.
    assert geom(county).symmetric_difference(union).area / geom(county).area < 0.001
    assert (sum(g.area for g in grids) - union.area) / union.area < 1e-6


@pytest.mark.parametrize("county_code", [DARI, CHANGTAI])
def test_every_level_tiles_its_parent(db, county_code):
    seed_demo(small(county_code))
    county = Region.objects.get(code=county_code)
    parents = Region.objects.subtree(county).exclude(level=Level.GRID)
    for parent in parents:
        children = [geom(c) for c in parent.children.all()]
        assert children, f"{parent} has no children"
        union = shapely.union_all(children)
        assert geom(parent).symmetric_difference(union).area / geom(parent).area < 0.001, parent
        assert (sum(c.area for c in children) - union.area) / union.area < 1e-6, parent


def test_every_grid_lies_inside_its_village(dari):
    grids = Region.objects.filter(code__startswith=DARI).grids().select_related("parent")
    for grid in grids:
        village = grid.parent if grid.parent.level == Level.VILLAGE else grid.parent.parent
        assert village.level == Level.VILLAGE
        assert grid.code.startswith(village.code)
        outside = geom(grid).difference(geom(village)).area
        assert outside / geom(grid).area < 1e-6, grid


def test_dari_has_five_levels_and_changtai_four(db):
    seed_demo(small(DARI))
    seed_demo(small(CHANGTAI))
    dari_grid = Region.objects.filter(code__startswith=DARI).grids().first()
    changtai_grid = Region.objects.filter(code__startswith=CHANGTAI).grids().first()
    assert [a.level for a in dari_grid.ancestors()] == [
        Level.PROVINCE,
        Level.CITY,
        Level.COUNTY,
        Level.TOWNSHIP,
        Level.VILLAGE,
        Level.AREA,
    ]
    assert [a.level for a in changtai_grid.ancestors()][-2:] == [Level.TOWNSHIP, Level.VILLAGE]
    assert Region.objects.get(code="630000").name == "青海省"
    assert Region.objects.get(code="632600").name == "果洛藏族自治州"


def test_codes_follow_the_standards(dari):
    regions = Region.objects.select_related("parent")
    assert regions.count() > 20
    for region in regions:
        assert region_code_error(region.code, region.level) is None, region
        if region.parent is not None:
            assert child_code_error(region.code, region.parent.code, region.parent.level) is None
    township_digits = {r.code[6:] for r in regions.filter(level=Level.TOWNSHIP)}
    assert township_digits <= {f"{n:03d}" for n in range(1, 400)}


def test_every_grid_has_one_primary_worker_who_sees_it(dari):
    grids = list(Region.objects.grids())
    assert grids
    for grid in grids:
        current = GridAssignment.objects.current().filter(grid=grid, is_primary=True)
        assert current.count() == 1, grid
        worker = current.get().worker
        assert worker.username == f"gw{grid.code}"
        assert user_scope(worker, Action.REGION_VIEW).covers(grid.path)


def test_some_grids_have_a_history_of_workers(dari):
    ended = GridAssignment.objects.filter(ended_at__isnull=False)
    assert ended.exists()
    for assignment in ended:
        successor = GridAssignment.objects.current().get(grid=assignment.grid, is_primary=True)
        assert successor.worker_id != assignment.worker_id
        assert successor.started_at >= assignment.ended_at


def test_seeding_twice_adds_nothing(dari):
    def counts():
        return [
            m.objects.count()
            for m in (Region, User, Membership, GridAssignment, Department, AuditEntry)
        ]

    before = counts()
    again = seed_demo(small(DARI))
    assert again.already_seeded
    assert counts() == before
    assert audit_verify().ok


def test_every_role_has_a_user_who_can_log_in(dari):
    for role in Role:
        membership = Membership.objects.current().filter(role=role).select_related("user")
        assert membership.exists(), f"no demo user with role {role}"
        user = membership.first().user
        validate_password(DEMO_PASSWORD, user=user)
        client = Client()
        assert client.login(username=user.username, password=DEMO_PASSWORD), user.username
        assert client.get("/").status_code == 200


def test_departments_serve_their_county(dari):
    departments = Department.objects.filter(code__startswith=DARI)
    assert departments.count() >= 3
    county = Region.objects.get(code=DARI)
    for department in departments:
        assert list(department.serves.all()) == [county]
        staff = Membership.objects.current().filter(department=department)
        assert staff.filter(role=Role.DEPARTMENT_STAFF).exists()


def test_the_command_seeds_prints_the_logins_and_says_when_already_seeded(db):
    out = io.StringIO()
    args = ["--seed-only", "--county", CHANGTAI, "--townships", "1"]
    args += ["--villages-per-township", "1", "--grids-per-village", "2"]
    call_command("demo", *args, stdout=out)
    text = out.getvalue()
    assert "演示数据已生成" in text
    for username in ("admin", "security", "auditor", "changtai_manager", "citizen"):
        assert username in text
    assert DEMO_PASSWORD in text
    assert "gw350605" in text
    assert Region.objects.filter(code__startswith=CHANGTAI).grids().count() == 2

    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    assert "演示数据已存在" in out.getvalue()
    assert Region.objects.filter(code__startswith=CHANGTAI).grids().count() == 2
