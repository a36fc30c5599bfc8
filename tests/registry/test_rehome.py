"""Re-homing the registers after a redraw: no record is left on a retired grid.

Village A's two grids (A: lng 120.0-120.25, B: 120.25-120.5) are redrawn as three:
003 (120.0-120.2), 004 (120.2-120.35), 005 (120.35-120.5). Houses and units go by their point,
people and households with their house (or household), units without a point with their house,
organisations with their unit, and the rest to the new grid that took most of their old grid.
"""

from __future__ import annotations

import pytest

from gezhi.core.audit import audit_verify
from gezhi.core.models import AuditEntry
from gezhi.regions.models import Region
from gezhi.regions.services import redraw_grids
from gezhi.registry.choices import RecordKind
from gezhi.registry.history import record_history
from gezhi.registry.models import GridMove, House, Household, Organisation, Person, Unit
from gezhi.registry.services import (
    house_create,
    household_create,
    organisation_create,
    person_create,
    unit_create,
)
from tests.conftest import square

VILLAGE_A = "320612001001"
NEW = {
    "003": square(120.0, 32.0, 120.2, 32.5),
    "004": square(120.2, 32.0, 120.35, 32.5),
    "005": square(120.35, 32.0, 120.5, 32.5),
}


def house(code, point=None, grid=None):
    data = {"code": code, "address": f"{code}号"}
    if point:
        data.update(lng=point[0], lat=point[1])
    if grid:
        data["grid"] = grid.code
    return house_create(actor=None, data=data)


@pytest.fixture
def records(world):
    r = {
        "h1": house("H1", (120.1, 32.2)),  # A -> 003
        "h2": house("H2", (120.22, 32.2)),  # A -> 004
        "h3": house("H3", (120.4, 32.2)),  # B -> 005
        "h4": house("H4", grid=world.grid_a),  # no point: A's largest part went to 003
        "h5": house("H5", (120.7, 32.2)),  # grid C: untouched
    }
    r["hh"] = household_create(actor=None, data={"number": "HH1", "house": "H3"})
    r["p1"] = person_create(actor=None, data={"name": "住H2", "house": "H2"})
    r["p2"] = person_create(actor=None, data={"name": "户中人", "household": "HH1"})
    r["p3"] = person_create(actor=None, data={"name": "无住址", "grid": world.grid_b.code})
    r["p4"] = person_create(actor=None, data={"name": "住H5", "house": "H5"})
    r["u1"] = unit_create(actor=None, data={"name": "有坐标", "lng": 120.3, "lat": 32.1})
    r["u2"] = unit_create(actor=None, data={"name": "无坐标", "house": "H2"})
    r["o1"] = organisation_create(
        actor=None, data={"name": "支部", "kind": "party", "unit": r["u1"]}
    )
    # Data that disagrees with itself: a person on grid B whose house is on grid A.
    r["p5"] = person_create(
        actor=None, data={"name": "错位", "house": "H1", "grid": world.grid_b.code}
    )
    return r


def redraw(world):
    return redraw_grids(
        actor=world.county_manager,
        kind="replace",
        old_grids=[world.grid_a, world.grid_b],
        new_grids=[
            {"code": f"{VILLAGE_A}{n}", "name": f"金东{n}网格", "boundary": b}
            for n, b in NEW.items()
        ],
        note="网格优化",
    )


def grid(n: str) -> Region:
    return Region.objects.get(code=f"{VILLAGE_A}{n}")


def test_redraw_leaves_no_record_on_a_retired_grid(world, records):
    redraw(world)
    retired = [world.grid_a.pk, world.grid_b.pk]
    for model in (House, Household, Person, Unit, Organisation):
        assert not model.objects.filter(grid__in=retired).exists(), model
        for record in model.objects.select_related("grid"):
            assert record.grid_path == record.grid.path, record


def test_each_record_goes_where_it_belongs(world, records):
    redraw(world)
    expected = {
        "h1": "003", "h2": "004", "h3": "005", "h4": "003",
        "hh": "005", "p1": "004", "p2": "005", "p3": "005",
        "u1": "004", "u2": "004", "o1": "004", "p5": "003",
    }  # fmt: skip
    for name, n in expected.items():
        record = records[name]
        record.refresh_from_db()
        assert record.grid == grid(n), name
    for name in ("h5", "p4"):
        records[name].refresh_from_db()
        assert records[name].grid == world.grid_c


def test_moves_are_history_with_reason_and_actor(world, records):
    redraw(world)
    moves = GridMove.objects.all()
    assert moves.count() == 12
    assert {m.reason for m in moves} == {"网格调整"}
    assert {m.actor_id for m in moves} == {world.county_manager.pk}
    p1 = GridMove.objects.get(kind=RecordKind.PERSON, record_id=records["p1"].pk)
    assert (p1.from_grid, p1.to_grid) == (world.grid_a, grid("004"))
    [move, _create] = record_history(records["p1"])
    assert move.action == "move" and move.reason == "网格调整"
    assert move.changes[0].new == f"金东004网格（{VILLAGE_A}004）"


def test_redraw_audit_entry_has_the_counts(world, records):
    redraw(world)
    entry = AuditEntry.objects.get(action="region.redraw")
    counts = entry.after["rehome"]["gezhi.registry.services.rehome.rehome_registry"]
    assert counts == {"houses": 4, "units": 2, "households": 1, "people": 4, "organisations": 1}
    assert audit_verify().ok


def test_new_records_after_a_redraw_land_on_new_grids(world, records):
    redraw(world)
    assert house("H9", (120.3, 32.3)).grid == grid("004")


def test_redraw_without_records_is_fine(world):
    redraw(world)
    assert not GridMove.objects.exists()
