"""The data catalogue's management: define, change, deactivate (never delete) extra fields per
region, keys unique along a path, types fixed once values exist; totals per region."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from gezhi.core.errors import DomainError, InvalidInput, NotFound
from gezhi.core.models import AuditEntry
from gezhi.registry.catalogue import catalogue_totals, fields_for
from gezhi.registry.choices import FieldType, RecordKind
from gezhi.registry.models import CatalogueField
from gezhi.registry.services import (
    catalogue_field_activate,
    catalogue_field_create,
    catalogue_field_deactivate,
    catalogue_field_update,
    house_create,
    household_create,
    household_update,
)

HOUSEHOLD = RecordKind.HOUSEHOLD


def define(actor, region, key="yaks", type=FieldType.NUMBER, **kwargs):
    kwargs.setdefault("label", "牦牛")
    return catalogue_field_create(
        actor=actor, region=region, kind=HOUSEHOLD, key=key, type=type, **kwargs
    )


@pytest.fixture
def houses(world):
    for code, point in (("H1", (120.1, 32.2)), ("H2", (120.3, 32.2)), ("H3", (120.7, 32.2))):
        house_create(
            actor=None,
            data={"code": code, "address": f"{code}号", "lng": point[0], "lat": point[1]},
        )


def household(number, house, **extra):
    return household_create(actor=None, data={"number": number, "house": house}, extra=extra)


def test_define_a_field_for_a_subtree(world):
    field = define(world.county_manager, world.township_a, unit="头", help_text="存栏数")
    assert (field.region_path, field.unit, field.is_active) == (world.township_a.path, "头", True)
    assert fields_for(HOUSEHOLD, world.grid_a.path) == [field]
    assert fields_for(HOUSEHOLD, world.grid_c.path) == []
    [entry] = AuditEntry.objects.filter(action="catalogue.create")
    assert entry.after["key"] == "yaks" and entry.after["region"] == world.township_a.code


@pytest.mark.parametrize(
    ("who", "error"),
    [("worker_a", NotFound), ("clerk", PermissionDenied), ("outsider", NotFound)],
)
def test_only_region_managers_define_fields(world, who, error):
    # Worker A sees only their grid, not the township; the clerk sees it but may not manage.
    with pytest.raises(error):
        define(world.cast[who], world.township_a)
    assert not CatalogueField.objects.exists()


def test_no_fields_for_a_retired_region(world):
    import datetime as dt

    world.grid_a.valid_to = dt.date(2020, 1, 1)
    world.grid_a.save(update_fields=["valid_to"])
    with pytest.raises(InvalidInput) as exc:
        define(world.county_manager, world.grid_a)
    assert exc.value.field == "region"


def test_township_manager_cannot_define_for_another_township(world):
    with pytest.raises(NotFound):
        define(world.township_manager, world.township_b)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"key": "Yaks"}, "key"),
        ({"key": "1yaks"}, "key"),
        ({"key": "number"}, "key"),  # a household's own field
        ({"label": " "}, "label"),
        ({"type": "money"}, "type"),
        ({"type": FieldType.CHOICE}, "choices"),
        ({"type": FieldType.TEXT, "choices": ["a"]}, "choices"),
    ],
)
def test_bad_definitions(world, kwargs, field):
    with pytest.raises(InvalidInput) as exc:
        define(world.county_manager, world.county, **kwargs)
    assert exc.value.field == field


def test_key_unique_along_the_path(world):
    define(world.county_manager, world.township_a)
    # A descendant cannot redefine it, nor can an ancestor.
    with pytest.raises(DomainError) as exc:
        define(world.county_manager, world.village_a)
    assert "金沙街道" in exc.value.message
    with pytest.raises(DomainError):
        define(world.county_manager, world.county)
    # A sibling subtree can; so can another kind along the same path.
    define(world.county_manager, world.township_b)
    catalogue_field_create(
        actor=world.county_manager,
        region=world.village_a,
        kind=RecordKind.PERSON,
        key="yaks",
        label="个人牦牛",
        type=FieldType.NUMBER,
    )


def test_choices_from_text_and_values(world, houses):
    field = define(
        world.county_manager,
        world.county,
        key="pasture",
        label="草场类型",
        type=FieldType.CHOICE,
        choices="冬季草场、夏季草场，冬季草场",
    )
    assert field.choices == ["冬季草场", "夏季草场"]
    household("HH1", "H1", pasture="冬季草场")
    with pytest.raises(InvalidInput):
        household("HH2", "H1", pasture="秋季草场")


def test_type_change_refused_once_values_exist(world, houses):
    field = define(world.county_manager, world.county)
    catalogue_field_update(actor=world.county_manager, field=field, type=FieldType.TEXT)
    field.refresh_from_db()
    assert (field.type, field.unit) == (FieldType.TEXT, "")
    household("HH1", "H1", yaks="十头")
    with pytest.raises(DomainError) as exc:
        catalogue_field_update(actor=world.county_manager, field=field, type=FieldType.NUMBER)
    assert "1 条记录" in exc.value.message
    field.refresh_from_db()
    assert field.type == FieldType.TEXT


def test_option_in_use_cannot_be_dropped(world, houses):
    field = define(
        world.county_manager, world.county, key="pasture", type=FieldType.MULTI_CHOICE,
        choices=["冬季", "夏季", "秋季"],
    )  # fmt: skip
    household("HH1", "H1", pasture="冬季、夏季")
    with pytest.raises(DomainError) as exc:
        catalogue_field_update(actor=world.county_manager, field=field, choices=["冬季"])
    assert "夏季" in exc.value.message
    catalogue_field_update(
        actor=world.county_manager, field=field, choices=["冬季", "夏季", "春季"]
    )
    field.refresh_from_db()
    assert field.choices == ["冬季", "夏季", "春季"]


def test_update_audits_changed_attributes_only(world):
    field = define(world.county_manager, world.county)
    catalogue_field_update(
        actor=world.county_manager, field=field, label="牦牛存栏", required=True, reason="统计口径"
    )
    [entry] = AuditEntry.objects.filter(action="catalogue.update")
    assert entry.before == {"label": "牦牛", "required": False}
    assert entry.after == {"label": "牦牛存栏", "required": True}
    catalogue_field_update(actor=world.county_manager, field=field, label="牦牛存栏")
    assert AuditEntry.objects.filter(action="catalogue.update").count() == 1


def test_deactivate_keeps_values_and_reserves_the_key(world, houses):
    field = define(world.county_manager, world.county)
    record = household("HH1", "H1", yaks=4)
    catalogue_field_deactivate(actor=world.county_manager, field=field, reason="不再统计")
    assert CatalogueField.objects.filter(pk=field.pk, is_active=False).exists()
    assert fields_for(HOUSEHOLD, world.grid_a.path) == []
    record.refresh_from_db()
    assert record.extra == {"yaks": 4}
    # No longer accepted in new values, and the key cannot be defined anew below.
    with pytest.raises(InvalidInput):
        household_update(actor=None, household=record, data={}, extra={"yaks": 5})
    with pytest.raises(DomainError):
        define(world.county_manager, world.township_a)
    catalogue_field_activate(actor=world.county_manager, field=field)
    assert fields_for(HOUSEHOLD, world.grid_a.path) == [field]
    actions = list(
        AuditEntry.objects.filter(object_id=str(field.pk), object_type="registry.cataloguefield")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["catalogue.create", "catalogue.deactivate", "catalogue.activate"]


def test_fields_cannot_be_deleted_by_services():
    from gezhi.registry import services

    assert not [name for name in services.__all__ if "delete" in name]


# --- totals -----------------------------------------------------------------------------------


def test_totals_sum_count_and_by_choice_in_scope(world, houses):
    define(world.county_manager, world.county, unit="头")
    define(
        world.county_manager,
        world.county,
        key="pasture",
        label="草场",
        type=FieldType.MULTI_CHOICE,
        choices=["冬季", "夏季", "秋季"],
    )
    define(world.county_manager, world.county, key="herder", label="牧户", type=FieldType.BOOLEAN)
    household("HH1", "H1", yaks=10, pasture="冬季、夏季", herder="是")  # grid A
    household("HH2", "H1", yaks="2.5", pasture="冬季", herder="否")  # grid A
    household("HH3", "H2", yaks=7, herder=True)  # grid B
    household("HH4", "H3", yaks=100)  # grid C, township B
    household("HH5", "H1")  # no values

    county = catalogue_totals(
        user=world.county_manager, region=world.county, kind=HOUSEHOLD, key="yaks"
    )
    assert county == {"count": 4, "sum": 119.5, "by_choice": None}
    township = catalogue_totals(
        user=world.county_manager, region=world.township_a, kind=HOUSEHOLD, key="yaks"
    )
    assert (township["count"], township["sum"]) == (3, 19.5)
    # Worker A asking about the county sees only grid A's households.
    mine = catalogue_totals(user=world.worker_a, region=world.county, kind=HOUSEHOLD, key="yaks")
    assert (mine["count"], mine["sum"]) == (2, 12.5)
    nothing = catalogue_totals(user=world.outsider, region=world.county, kind=HOUSEHOLD, key="yaks")
    assert nothing == {"count": 0, "sum": 0, "by_choice": None}

    pasture = catalogue_totals(
        user=world.county_manager, region=world.county, kind=HOUSEHOLD, key="pasture"
    )
    assert pasture == {"count": 2, "sum": None, "by_choice": {"冬季": 2, "夏季": 1, "秋季": 0}}
    herder = catalogue_totals(
        user=world.county_manager, region=world.county, kind=HOUSEHOLD, key="herder"
    )
    assert herder["by_choice"] == {"true": 2, "false": 1}


def test_totals_of_an_unknown_field(world):
    with pytest.raises(NotFound):
        catalogue_totals(user=world.county_manager, region=world.county, kind=HOUSEHOLD, key="x")
