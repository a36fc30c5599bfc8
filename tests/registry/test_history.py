"""A record's readable history: creation, changes (labels, old -> new, masked), moves, imports."""

from __future__ import annotations

import pytest

from gezhi.core.audit import audit_record
from gezhi.core.models import AuditEntry
from gezhi.lib.codes import id_check_char
from gezhi.registry.choices import FieldType, RecordKind
from gezhi.registry.history import ids_in_ranges, record_history
from gezhi.registry.models import House, Person
from gezhi.registry.services import (
    catalogue_field_create,
    house_create,
    house_update,
    household_create,
    household_update,
    id_ranges,
    person_create,
    person_update,
    personal_data_reveal,
    record_import_audit,
    record_move,
)

ID_1 = "32061219800101001" + id_check_char("32061219800101001")


@pytest.fixture
def house(world):
    return house_create(
        actor=world.township_manager,
        data={"code": "H1", "address": "金东路1号", "lng": 120.1, "lat": 32.2},
    )


def test_creation_update_and_move_read_as_history(world, house):
    person = person_create(
        actor=world.worker_a,
        data={"name": "张三", "house": "H1", "phone": "13800001111", "marital_status": "未婚"},
    )
    person_update(
        actor=world.worker_a,
        person=person,
        data={"phone": "13900002222", "marital_status": "已婚", "tags": "独居老人"},
        reason="入户核实",
    )
    record_move(actor=world.township_manager, record=person, to_grid=world.grid_b, reason="搬迁")

    moved, updated, created = record_history(person)
    assert [e.action for e in (moved, updated, created)] == ["move", "update", "create"]
    assert created.title == "登记" and created.actor == "worker_a"
    assert {c.label: c.new for c in created.changes}["姓名"] == "张三"

    assert updated.reason == "入户核实"
    changes = {c.label: (c.old, c.new) for c in updated.changes}
    assert changes == {
        "联系电话": ("138****1111", "139****2222"),
        "婚姻状况": ("未婚", "已婚"),
        "人群标签": ("", "独居老人"),
    }

    assert moved.title == "迁移网格" and moved.reason == "搬迁"
    assert moved.actor == "township_manager"
    [change] = moved.changes
    assert (change.label, change.old, change.new) == (
        "所属网格",
        "金东一网格（320612001001001）",
        "金东二网格（320612001001002）",
    )
    # The move is told once: by its GridMove, not again by its audit entry.
    assert AuditEntry.objects.filter(action="person.move").count() == 1


def test_history_never_shows_full_id_or_phone(world, house):
    person = person_create(
        actor=world.worker_a, data={"name": "张三", "house": "H1", "id_number": ID_1}
    )
    text = repr(record_history(person))
    assert ID_1 not in text
    assert f"{ID_1[:6]}********{ID_1[-4:]}" in text


def test_reveals_are_left_out_unless_asked(world, house):
    person = person_create(
        actor=world.worker_a, data={"name": "张三", "house": "H1", "id_number": ID_1}
    )
    personal_data_reveal(actor=world.worker_a, record=person, field="id_number", reason="核对")
    assert [e.action for e in record_history(person)] == ["create"]
    reveal = record_history(person, include_reveals=True)[0]
    assert reveal.action == "reveal" and reveal.reason == "核对"
    assert reveal.changes[0].label == "公民身份号码"


def test_sensitive_tags_hidden_from_those_who_may_not_reveal(world, house):
    person = person_create(actor=world.worker_a, data={"name": "张三", "house": "H1"})
    person_update(actor=world.worker_a, person=person, data={"tags": "独居老人、社区矫正对象"})
    update = record_history(person, user=world.worker_a)[0]
    assert update.changes[0].new == "独居老人、社区矫正对象"
    update = record_history(person, user=world.clerk)[0]
    assert update.changes[0].new == "独居老人"


def test_catalogue_values_in_history_use_label_and_unit(world, house):
    catalogue_field_create(
        actor=world.county_manager,
        region=world.county,
        kind=RecordKind.HOUSEHOLD,
        key="yaks",
        label="牦牛",
        type=FieldType.NUMBER,
        unit="头",
    )
    household = household_create(
        actor=world.worker_a, data={"number": "HH1", "house": "H1"}, extra={"yaks": 3}
    )
    household_update(actor=world.worker_a, household=household, data={}, extra={"yaks": 5})
    [change] = record_history(household)[0].changes
    assert (change.field, change.label, change.old, change.new) == (
        "extra.yaks",
        "牦牛",
        "3 头",
        "5 头",
    )


def test_moves_with_the_house_are_in_each_followers_history(world, house):
    person = person_create(actor=world.township_manager, data={"name": "张三", "house": "H1"})
    record_move(actor=world.township_manager, record=house, to_grid=world.grid_b, reason="纠错")
    [move, _create] = record_history(person)
    assert move.action == "move"
    assert move.reason == "随房屋“金东路1号”迁移：纠错"


def test_bulk_import_entries_name_the_records(world):
    # As an importer writes them: bulk inserts, then one entry for the file.
    houses = House.objects.bulk_create(
        [
            House(code=f"B{i}", address=f"路{i}号", grid=world.grid_a, grid_path=world.grid_a.path)
            for i in range(5)
        ]
    )
    pks = [h.pk for h in houses]
    record_import_audit(
        actor=world.county_manager,
        kind=RecordKind.HOUSE,
        source={"file": "houses.xlsx", "sha256": "ab" * 32, "rows": 5},
        created_ids=pks[:4],
        updated_ids=pks[4:],
    )
    entry = AuditEntry.objects.get(action="house.import")
    assert entry.after["created_ids"] == [[pks[0], pks[3]]]
    [imported] = record_history(houses[0])
    assert imported.action == "import"
    assert imported.title == "批量导入新增（houses.xlsx）"
    assert imported.actor == "county_manager"
    assert record_history(houses[4])[0].title == "批量导入更新（houses.xlsx）"
    assert record_history(houses[1])[0].title == "批量导入新增（houses.xlsx）"
    assert record_history(houses[3])[0].title == "批量导入新增（houses.xlsx）"
    # An update the import made through the update service is told once, by that service.
    house_update(
        actor=world.county_manager, house=houses[4], data={"room": "9"}, reason="导入 houses.xlsx"
    )
    [update] = record_history(houses[4])
    assert update.action == "update" and update.reason == "导入 houses.xlsx"
    # An import that changed nothing writes nothing.
    assert record_import_audit(actor=None, kind=RecordKind.HOUSE, source={"file": "x"}) is None


def test_other_records_histories_stay_apart(world, house):
    first = person_create(actor=world.worker_a, data={"name": "甲", "house": "H1"})
    second = person_create(actor=world.worker_a, data={"name": "乙", "house": "H1"})
    person_update(actor=world.worker_a, person=second, data={"name": "乙乙"})
    assert [e.action for e in record_history(first)] == ["create"]
    assert Person.objects.count() == 2


def test_id_ranges():
    assert id_ranges([7, 1, 2, 3, 3]) == [[1, 3], [7, 7]]
    assert id_ranges([]) == []
    assert ids_in_ranges([[1, 3], [7, 7]], 2) and ids_in_ranges([[1, 3], [7, 7]], 7)
    assert not ids_in_ranges([[1, 3], [7, 7]], 5)
    assert ids_in_ranges([4, 9], 9)


def test_household_history_names_the_people_import_that_set_its_head(world, house):
    household = household_create(actor=world.worker_a, data={"number": "HH1", "house": "H1"})
    other = household_create(actor=world.worker_a, data={"number": "HH2", "house": "H1"})
    audit_record(
        actor=world.worker_a,
        action="person.import",
        object_type="registry.person",
        object_repr="people.xlsx",
        after={
            "file": "people.xlsx",
            "created_ids": [[1, 3]],
            "household_heads_set": [[household.pk, household.pk]],
        },
    )
    heads, _create = record_history(household)
    assert heads.title == "批量导入设置户主（people.xlsx）"
    assert [e.action for e in record_history(other)] == ["create"]
