"""Writes to the registers: grids from points and houses, scope, duplicates, moves, audit.

Places (tests/conftest.py): grid A is lng 120.0-120.25, grid B 120.25-120.5 (both in village
A, township A), grid C 120.5-121.0 (township B); all lat 32.0-32.5.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from gezhi.core.audit import audit_verify
from gezhi.core.errors import DomainError, InvalidInput, NotFound
from gezhi.core.models import AuditEntry
from gezhi.lib.codes import id_check_char
from gezhi.registry.choices import FieldType, RecordKind, RelationToHead
from gezhi.registry.models import GridMove, House, Person
from gezhi.registry.services import (
    catalogue_field_create,
    house_create,
    house_update,
    household_create,
    household_set_head,
    household_update,
    organisation_create,
    person_create,
    person_update,
    record_move,
    unit_create,
    unit_update,
)

IN_A = (120.1, 32.2)
IN_B = (120.3, 32.2)
IN_C = (120.7, 32.2)


def id_number(first17: str) -> str:
    return first17 + id_check_char(first17)


ID_1 = id_number("32061219800101001")  # male, 1980-01-01
ID_2 = id_number("32061219850505002")  # female, 1985-05-05


def make_house(actor, code="H1", point=IN_A, **data):
    return house_create(
        actor=actor,
        data={"code": code, "address": f"金东路{code}号", "lng": point[0], "lat": point[1], **data},
    )


def entries(record, action=None):
    qs = AuditEntry.objects.filter(object_type=record._meta.label_lower, object_id=str(record.pk))
    if action:
        qs = qs.filter(action=action)
    return list(qs.order_by("seq"))


# --- houses -----------------------------------------------------------------------------------


def test_house_grid_comes_from_its_point(world):
    house = make_house(world.worker_a)
    assert house.grid == world.grid_a
    assert house.grid_path == world.grid_a.path
    [entry] = entries(house, "house.create")
    assert entry.actor_id == world.worker_a.pk
    assert entry.after["code"] == "H1" and entry.after["grid"] == world.grid_a.code


def test_house_explicit_grid_wins_over_the_point(world):
    house = make_house(world.township_manager, point=IN_A, grid=world.grid_b.code)
    assert house.grid == world.grid_b


def test_house_point_in_gcj02_is_stored_in_wgs84(world):
    house = make_house(world.worker_a, crs="gcj02")
    assert house.lng != IN_A[0] and abs(house.lng - IN_A[0]) < 0.01


def test_house_without_grid_or_point_is_refused(world):
    with pytest.raises(InvalidInput) as exc:
        house_create(actor=world.admin, data={"code": "H9", "address": "某地"})
    assert exc.value.field == "grid"


def test_house_point_outside_every_grid_is_refused(world):
    with pytest.raises(InvalidInput) as exc:
        make_house(world.admin, point=(100.0, 30.0))
    assert "不在任何网格内" in exc.value.message


def test_invalid_fields_are_refused_with_every_error(world):
    with pytest.raises(InvalidInput) as exc:
        make_house(world.worker_a, area_m2="-1", owner_phone="138")
    assert "面积" in exc.value.message and "产权人电话" in exc.value.message
    assert not House.objects.exists()


def test_worker_cannot_place_a_house_in_another_grid(world):
    # Grid B is visible to nobody but its worker and managers: worker A gets a 404.
    with pytest.raises(NotFound):
        make_house(world.worker_a, point=IN_B)
    assert not House.objects.exists()


def test_clerk_sees_but_may_not_change(world):
    house = make_house(world.worker_a)
    with pytest.raises(PermissionDenied):
        house_update(actor=world.clerk, house=house, data={"address": "改"})
    with pytest.raises(PermissionDenied):
        make_house(world.clerk, code="H2")


def test_outsider_gets_not_found(world):
    house = make_house(world.worker_a)
    with pytest.raises(NotFound):
        house_update(actor=world.outsider, house=house, data={"address": "改"})
    with pytest.raises(NotFound):
        house_update(actor=world.worker_b, house=house, data={"address": "改"})


def test_duplicate_house_code_names_the_existing_house(world):
    make_house(world.worker_a)
    with pytest.raises(DomainError) as exc:
        make_house(world.township_manager, point=IN_B)
    assert "金东路H1号" in exc.value.message
    assert exc.value.field == "code"


def test_house_update_audits_only_changed_fields_masked(world):
    house = make_house(world.worker_a, owner_phone="13812345678", owner_name="王五")
    house_update(
        actor=world.worker_a,
        house=house,
        data={"owner_phone": "13912345679", "owner_name": "王五", "room": "301"},
        reason="核实",
    )
    [entry] = entries(house, "house.update")
    assert entry.before == {"owner_phone": "138****5678", "room": ""}
    assert entry.after == {"owner_phone": "139****5679", "room": "301"}
    assert entry.reason == "核实"
    assert "13912345679" not in str(entry.after)


def test_house_update_without_change_writes_no_entry(world):
    house = make_house(world.worker_a)
    house_update(actor=world.worker_a, house=house, data={"address": house.address})
    assert entries(house, "house.update") == []


def test_house_moving_point_moves_it_and_its_occupants(world):
    house = make_house(world.township_manager)
    household = household_create(
        actor=world.township_manager, data={"number": "HH1", "house": "H1"}
    )
    person = person_create(
        actor=world.township_manager, data={"name": "张三", "id_number": ID_1, "house": house}
    )
    lodger = person_create(actor=world.township_manager, data={"name": "李四", "household": "HH1"})
    house_update(actor=world.township_manager, house=house, data={"lng": IN_B[0], "lat": IN_B[1]})
    for record in (house, household, person, lodger):
        record.refresh_from_db()
        assert record.grid == world.grid_b, record
        assert record.grid_path == world.grid_b.path
    moves = GridMove.objects.order_by("id")
    assert [(m.kind, m.from_grid_id, m.to_grid_id) for m in moves] == [
        (RecordKind.HOUSE, world.grid_a.pk, world.grid_b.pk),
        (RecordKind.PERSON, world.grid_a.pk, world.grid_b.pk),
        (RecordKind.HOUSEHOLD, world.grid_a.pk, world.grid_b.pk),
        (RecordKind.PERSON, world.grid_a.pk, world.grid_b.pk),
    ]
    assert moves[0].reason == "位置变更"
    assert moves[1].reason.startswith("随房屋")
    assert audit_verify().ok


def test_worker_cannot_move_a_house_out_of_their_grid(world):
    house = make_house(world.worker_a)
    with pytest.raises(NotFound):
        house_update(actor=world.worker_a, house=house, data={"lng": IN_B[0], "lat": IN_B[1]})
    house.refresh_from_db()
    assert (house.grid, house.lng) == (world.grid_a, IN_A[0])


# --- people -----------------------------------------------------------------------------------


def test_person_takes_sex_and_birth_date_from_id_and_grid_from_house(world):
    make_house(world.worker_a)
    person = person_create(
        actor=world.worker_a,
        data={"name": "张三", "id_number": ID_1, "house": "H1", "phone": "13800001111"},
    )
    assert person.grid == world.grid_a
    assert (person.sex, person.birth_date) == ("male", dt.date(1980, 1, 1))
    assert person.current_address == "金东路H1号"
    [entry] = entries(person, "person.create")
    assert entry.after["id_number"] == f"{ID_1[:6]}********{ID_1[-4:]}"
    assert ID_1 not in str(entry.after) and "13800001111" not in str(entry.after)
    assert entry.after["phone"] == "138****1111"


def test_person_without_id_is_matched_later(world):
    make_house(world.worker_a)
    baby = person_create(actor=world.worker_a, data={"name": "小宝", "house": "H1"})
    assert baby.id_number == "" and baby.sex == "unknown"
    # A second person without an ID number is no duplicate.
    person_create(actor=world.worker_a, data={"name": "小二", "house": "H1"})
    person_update(actor=world.worker_a, person=baby, data={"id_number": ID_2}, reason="落户")
    baby.refresh_from_db()
    assert (baby.id_number, baby.sex, baby.birth_date) == (ID_2, "female", dt.date(1985, 5, 5))
    [entry] = entries(baby, "person.update")
    assert entry.before["id_number"] == ""
    assert entry.after["id_number"].startswith("320612********")


def test_duplicate_id_names_the_record_in_scope(world):
    make_house(world.worker_a)
    person_create(actor=world.worker_a, data={"name": "张三", "id_number": ID_1, "house": "H1"})
    with pytest.raises(DomainError) as exc:
        person_create(actor=world.worker_a, data={"name": "张叁", "id_number": ID_1, "house": "H1"})
    assert "张三" in exc.value.message and exc.value.field == "id_number"
    assert ID_1 not in exc.value.message


def test_duplicate_id_elsewhere_does_not_say_whose(world):
    make_house(world.worker_a)
    person_create(actor=world.worker_a, data={"name": "张三", "id_number": ID_1, "house": "H1"})
    make_house(world.worker_b, code="H2", point=IN_B)
    with pytest.raises(DomainError) as exc:
        person_create(actor=world.worker_b, data={"name": "张叁", "id_number": ID_1, "house": "H2"})
    assert "其他辖区" in exc.value.message and "张三" not in exc.value.message
    assert Person.objects.count() == 1


def test_giving_a_person_an_existing_id_is_refused(world):
    make_house(world.worker_a)
    person_create(actor=world.worker_a, data={"name": "张三", "id_number": ID_1, "house": "H1"})
    other = person_create(actor=world.worker_a, data={"name": "无证", "house": "H1"})
    with pytest.raises(DomainError):
        person_update(actor=world.worker_a, person=other, data={"id_number": ID_1})


def test_sex_conflicting_with_stored_id_is_refused(world):
    make_house(world.worker_a)
    person = person_create(
        actor=world.worker_a, data={"name": "张三", "id_number": ID_1, "house": "H1"}
    )
    with pytest.raises(InvalidInput) as exc:
        person_update(actor=world.worker_a, person=person, data={"sex": "女"})
    assert exc.value.field == "sex"


def test_floating_person_needs_reason_and_residence_type_on_update_too(world):
    make_house(world.worker_a)
    person = person_create(actor=world.worker_a, data={"name": "张三", "house": "H1"})
    with pytest.raises(InvalidInput) as exc:
        person_update(actor=world.worker_a, person=person, data={"population_type": "流动人口"})
    assert exc.value.field == "inflow_reason"
    person_update(
        actor=world.worker_a,
        person=person,
        data={"population_type": "流动人口", "inflow_reason": "务工", "residence_type": "租赁房屋"},
    )
    person.refresh_from_db()
    assert person.population_type == "floating"


def test_person_house_in_another_grid_moves_them(world):
    make_house(world.township_manager)
    make_house(world.township_manager, code="H2", point=IN_B)
    person = person_create(actor=world.township_manager, data={"name": "张三", "house": "H1"})
    person_update(actor=world.township_manager, person=person, data={"house": "H2"}, reason="搬家")
    person.refresh_from_db()
    assert person.grid == world.grid_b
    move = GridMove.objects.get(kind=RecordKind.PERSON, record_id=person.pk)
    assert move.reason == "搬家" and move.actor == world.township_manager


def test_house_out_of_sight_is_not_found_as_reference(world):
    make_house(world.worker_b, code="H2", point=IN_B)
    with pytest.raises(InvalidInput) as exc:
        person_create(actor=world.worker_a, data={"name": "张三", "house": "H2"})
    assert exc.value.field == "house"


# --- households -------------------------------------------------------------------------------


def test_household_head_and_members(world):
    make_house(world.worker_a)
    household = household_create(actor=world.worker_a, data={"number": "HH1", "house": "H1"})
    assert household.grid == world.grid_a and household.address == "金东路H1号"
    father = person_create(
        actor=world.worker_a,
        data={"name": "张父", "household": household, "relation_to_head": "户主"},
    )
    household.refresh_from_db()
    assert household.head == father
    son = person_create(
        actor=world.worker_a,
        data={"name": "张子", "household": household, "relation_to_head": "子女"},
    )
    with pytest.raises(InvalidInput):
        person_create(
            actor=world.worker_a,
            data={"name": "又一户主", "household": household, "relation_to_head": "head"},
        )
    household_set_head(actor=world.worker_a, household=household, person=son, reason="父亲去世")
    household.refresh_from_db()
    father.refresh_from_db()
    son.refresh_from_db()
    assert household.head == son
    assert son.relation_to_head == RelationToHead.HEAD
    assert father.relation_to_head == ""
    [entry] = entries(household, "household.update")[-1:]
    assert entry.reason == "父亲去世"
    assert entry.after == {"head": f"张子 #{son.pk}"}


def test_set_head_needs_a_member(world):
    make_house(world.worker_a)
    household = household_create(actor=world.worker_a, data={"number": "HH1", "house": "H1"})
    stranger = person_create(actor=world.worker_a, data={"name": "路人", "house": "H1"})
    with pytest.raises(InvalidInput):
        household_set_head(actor=world.worker_a, household=household, person=stranger)


def test_head_leaving_leaves_household_without_head(world):
    make_house(world.worker_a)
    first = household_create(actor=world.worker_a, data={"number": "HH1", "house": "H1"})
    household_create(actor=world.worker_a, data={"number": "HH2", "house": "H1"})
    head = person_create(
        actor=world.worker_a, data={"name": "户主", "household": "HH1", "relation_to_head": "户主"}
    )
    person_update(actor=world.worker_a, person=head, data={"household": "HH2"})
    first.refresh_from_db()
    head.refresh_from_db()
    assert first.head is None
    assert head.relation_to_head == ""


def test_household_moving_house_moves_members_without_house(world):
    make_house(world.township_manager)
    make_house(world.township_manager, code="H2", point=IN_B)
    household = household_create(
        actor=world.township_manager, data={"number": "HH1", "house": "H1"}
    )
    member = person_create(actor=world.township_manager, data={"name": "成员", "household": "HH1"})
    household_update(actor=world.township_manager, household=household, data={"house": "H2"})
    member.refresh_from_db()
    household.refresh_from_db()
    assert household.grid == member.grid == world.grid_b


# --- units and organisations ------------------------------------------------------------------


def credit_code(first17: str) -> str:
    from gezhi.lib.codes import credit_check_char

    return first17 + credit_check_char(first17)


def test_unit_by_point_and_organisation_by_unit(world):
    code = credit_code("91320612MA1MCGXX0")
    unit = unit_create(
        actor=world.worker_a,
        data={"name": "金沙超市", "credit_code": code.lower(), "lng": IN_A[0], "lat": IN_A[1]},
    )
    assert unit.credit_code == code and unit.grid == world.grid_a
    organisation = organisation_create(
        actor=world.worker_a, data={"name": "金沙超市党支部", "kind": "党组织", "unit": code}
    )
    assert organisation.grid == world.grid_a and organisation.unit == unit
    with pytest.raises(DomainError):
        unit_create(
            actor=world.worker_a,
            data={"name": "重复", "credit_code": code, "grid": world.grid_a.code},
        )


def test_unit_move_takes_its_organisations(world):
    unit = unit_create(
        actor=world.township_manager, data={"name": "厂", "lng": IN_A[0], "lat": IN_A[1]}
    )
    organisation = organisation_create(
        actor=world.township_manager, data={"name": "厂工会", "kind": "union", "unit": unit.pk}
    )
    unit_update(actor=world.township_manager, unit=unit, data={"lng": IN_B[0], "lat": IN_B[1]})
    organisation.refresh_from_db()
    assert organisation.grid == world.grid_b


def test_organisation_needs_a_grid(world):
    with pytest.raises(InvalidInput):
        organisation_create(
            actor=world.county_manager,
            data={"name": "社区志愿队", "kind": "volunteer", "region": world.village_a.code},
        )
    organisation = organisation_create(
        actor=world.county_manager,
        data={
            "name": "社区志愿队",
            "kind": "volunteer",
            "region": world.village_a.code,
            "grid": world.grid_a.code,
        },
    )
    assert organisation.region == world.village_a


# --- explicit moves ---------------------------------------------------------------------------


def test_record_move_writes_history_and_needs_a_reason(world):
    house = make_house(world.township_manager)
    with pytest.raises(InvalidInput):
        record_move(actor=world.township_manager, record=house, to_grid=world.grid_b, reason=" ")
    grid_move = record_move(
        actor=world.township_manager, record=house, to_grid=world.grid_b.code, reason="坐标有误"
    )
    house.refresh_from_db()
    assert house.grid == world.grid_b and house.grid_path == world.grid_b.path
    assert (grid_move.from_grid, grid_move.to_grid, grid_move.reason) == (
        world.grid_a,
        world.grid_b,
        "坐标有误",
    )
    [entry] = entries(house, "house.move")
    assert (entry.before, entry.after) == ({"grid": world.grid_a.code}, {"grid": world.grid_b.code})


def test_record_move_needs_change_on_both_grids(world):
    house = make_house(world.worker_a)
    with pytest.raises(NotFound):
        record_move(actor=world.worker_a, record=house, to_grid=world.grid_b, reason="搬迁")
    with pytest.raises(InvalidInput):
        record_move(actor=world.county_manager, record=house, to_grid=world.village_a, reason="x")
    with pytest.raises(InvalidInput):
        record_move(actor=world.county_manager, record=house, to_grid=world.grid_a, reason="x")


# --- catalogue values -------------------------------------------------------------------------


def test_catalogue_values_checked_against_the_grid(world):
    catalogue_field_create(
        actor=world.county_manager,
        region=world.township_a,
        kind=RecordKind.HOUSEHOLD,
        key="yaks",
        label="牦牛",
        type=FieldType.NUMBER,
        unit="头",
        required=True,
    )
    make_house(world.worker_a)
    with pytest.raises(InvalidInput) as exc:
        household_create(actor=world.worker_a, data={"number": "HH1", "house": "H1"})
    assert exc.value.field == "extra.yaks"
    household = household_create(
        actor=world.worker_a, data={"number": "HH1", "house": "H1"}, extra={"yaks": "12"}
    )
    assert household.extra == {"yaks": 12}
    with pytest.raises(InvalidInput):
        household_update(actor=world.worker_a, household=household, data={}, extra={"horses": 1})
    household_update(actor=world.worker_a, household=household, data={}, extra={"yaks": 15})
    household.refresh_from_db()
    assert household.extra == {"yaks": 15}
    [entry] = entries(household, "household.update")
    assert (entry.before, entry.after) == ({"extra": {"yaks": 12}}, {"extra": {"yaks": 15}})
    # Township B collects no yaks: its households need none.
    make_house(world.county_manager, code="H3", point=IN_C)
    household_create(actor=world.county_manager, data={"number": "HH3", "house": "H3"})


def test_every_write_keeps_the_chain_valid(world):
    make_house(world.worker_a)
    person_create(actor=world.worker_a, data={"name": "张三", "id_number": ID_1, "house": "H1"})
    assert audit_verify().ok


def test_references_by_primary_key_as_text_as_forms_send_them(world):
    house = make_house(world.worker_a, code="H-1")
    person = person_create(
        actor=world.worker_a,
        data={"name": "张三", "house": str(house.pk), "grid": str(world.grid_a.pk)},
    )
    assert person.house == house and person.grid == world.grid_a
