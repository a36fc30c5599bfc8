"""Creating and changing register records: houses, households, people, units, organisations.

Each service checks the input (`registry.validation`), the actor's scope (`registry.change` on
the record's grid and on any grid it moves to), the catalogue values of the record's grid,
writes, and audits with ID numbers and phones masked. A record's grid comes from an explicit
`grid` in `data`, else from its point (houses, units), else from the record it hangs on (a
person's house or household, a household's house, a unit's house, an organisation's unit).
Moves between grids are `GridMove` rows; followers move with their house.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gezhi.accounts.roles import Action
from gezhi.core.errors import DomainError, InvalidInput
from gezhi.lib.masking import mask_id_number
from gezhi.regions.models import Region
from gezhi.registry.choices import RecordKind, RelationToHead
from gezhi.registry.models import GridMove, GridPlaced, House, Household, Organisation, Person, Unit
from gezhi.registry.services.base import (
    R,
    audit_create,
    audit_update,
    cleaned_extra,
    field_label,
    grid_at,
    kind_of,
    lock,
    merge_extra,
    move,
    raise_issues,
    raw_snapshot,
    require_grid,
    require_record_action,
    resolve_grid,
    resolve_ref,
    resolve_region,
    visible,
)
from gezhi.registry.validation import (
    clean_house,
    clean_household,
    clean_organisation,
    clean_person,
    clean_unit,
    person_rules,
)

UNSET: Any = object()


# --- shared steps -----------------------------------------------------------------------------


def _check_unique(
    actor, model: type[GridPlaced], field: str, value: str, *, exclude: int | None = None
) -> None:
    """Refuse a second record with the same code; name the existing one if the actor sees it."""
    if not value:
        return
    existing = (
        model._default_manager.filter(**{field: value}).exclude(pk=exclude).select_related("grid")
    )
    other = existing.first()
    if other is None:
        return
    label = field_label(model, field)
    shown = mask_id_number(value) if field == "id_number" else value
    if visible(actor, other.grid_path):
        message = _("%(field)s %(value)s 已登记：%(record)s（%(grid)s），请修改该记录") % {
            "field": label,
            "value": shown,
            "record": other,
            "grid": other.grid.name,
        }
    else:
        message = _("%(field)s %(value)s 已在其他辖区登记，请联系其所在辖区") % {
            "field": label,
            "value": shown,
        }
    raise DomainError(message, field=field, code="duplicate")


def _save_new(record: GridPlaced, unique_field: str) -> None:
    """Insert, turning a lost race on a unique code into the same error as the check."""
    try:
        with transaction.atomic():
            record.save(force_insert=True)
    except IntegrityError:
        label = field_label(type(record), unique_field)
        raise DomainError(
            _("%(field)s已被他人同时登记，请刷新后重试") % {"field": label},
            field=unique_field,
            code="duplicate",
        ) from None


def _save_changes(record: GridPlaced, unique_field: str) -> None:
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        label = field_label(type(record), unique_field)
        raise DomainError(
            _("%(field)s已被他人同时登记，请刷新后重试") % {"field": label},
            field=unique_field,
            code="duplicate",
        ) from None


def _grid_from_point(values: dict[str, Any]) -> Region | None:
    lng, lat = values.get("lng"), values.get("lat")
    if lng is None or lat is None:
        return None
    grid = grid_at(lng, lat)
    if grid is None:
        raise InvalidInput(
            _("坐标（%(lng).6f, %(lat).6f）不在任何网格内，请指定所属网格")
            % {"lng": lng, "lat": lat},
            field="lng",
        )
    return grid


def _no_grid() -> InvalidInput:
    return InvalidInput(_("无法确定所属网格：请指定网格，或填写位置、所在房屋"), field="grid")


def _place(actor, record: GridPlaced, grid: Region, extra: dict | None) -> None:
    require_grid(actor, grid)
    record.grid, record.grid_path = grid, grid.path
    record.extra = merge_extra({}, cleaned_extra(kind_of(record), grid.path, extra, partial=False))


def _apply(record: GridPlaced, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(record, name, value)


def _finish_update(
    actor,
    record: R,
    *,
    before: dict,
    target: Region,
    extra: dict | None,
    unique_field: str,
    reason: str,
    move_reason: str,
) -> R:
    """Catalogue values, save, audit, and the move to `target` if it differs."""
    if target.pk != record.grid_id:
        require_grid(actor, target)
    if extra:
        changes = cleaned_extra(kind_of(record), target.path, extra, partial=True)
        record.extra = merge_extra(record.extra, changes)
    _save_changes(record, unique_field)
    audit_update(actor, record, before, reason)
    if target.pk != record.grid_id:
        move(actor, record, target, reason or move_reason)
    return record


def _point_changed(record: House | Unit, values: dict[str, Any]) -> bool:
    return ("lng" in values or "lat" in values) and (
        values.get("lng", record.lng) != record.lng or values.get("lat", record.lat) != record.lat
    )


def _pop(values: dict[str, Any], name: str) -> Any:
    return values.pop(name) if name in values else UNSET


# --- houses -----------------------------------------------------------------------------------


@transaction.atomic
def house_create(
    *, actor, data: dict[str, Any], extra: dict | None = None, reason: str = ""
) -> House:
    """Register a house; its grid is `data["grid"]` or the grid holding its point."""
    cleaned = clean_house(data)
    raise_issues(cleaned)
    values = dict(cleaned.data)
    grid_value = values.pop("grid", None)
    grid = resolve_grid(grid_value) if grid_value else _grid_from_point(values)
    if grid is None:
        raise _no_grid()
    _check_unique(actor, House, "code", values["code"])
    house = House(**values)
    _place(actor, house, grid, extra)
    _save_new(house, "code")
    audit_create(actor, house, reason)
    return house


@transaction.atomic
def house_update(
    *, actor, house: House, data: dict[str, Any], extra: dict | None = None, reason: str = ""
) -> House:
    """Change a house's fields; a new point in another grid moves it, with its occupants."""
    house = lock(house)
    require_record_action(actor, Action.REGISTRY_CHANGE, house)
    cleaned = clean_house(data, partial=True)
    raise_issues(cleaned)
    values = dict(cleaned.data)
    grid_value = _pop(values, "grid")
    if "code" in values:
        _check_unique(actor, House, "code", values["code"], exclude=house.pk)
    target = house.grid
    if grid_value not in (UNSET, None, ""):
        target = resolve_grid(grid_value)
    elif _point_changed(house, values):
        target = _grid_from_point(values) or house.grid
    before = raw_snapshot(house)
    _apply(house, values)
    return _finish_update(
        actor,
        house,
        before=before,
        target=target,
        extra=extra,
        unique_field="code",
        reason=reason,
        move_reason=_("位置变更"),
    )


# --- households -------------------------------------------------------------------------------


@transaction.atomic
def household_create(
    *, actor, data: dict[str, Any], extra: dict | None = None, reason: str = ""
) -> Household:
    """Register a household; its grid is `data["grid"]` or its house's grid."""
    cleaned = clean_household(data)
    raise_issues(cleaned)
    values = dict(cleaned.data)
    grid_value = values.pop("grid", None)
    values.pop("head", None)  # set with household_set_head once the person is a member
    house = resolve_ref(actor, House, values.pop("house", None), "house")
    grid = resolve_grid(grid_value) if grid_value else (house.grid if house else None)
    if grid is None:
        raise _no_grid()
    _check_unique(actor, Household, "number", values["number"])
    household = Household(**values, house=house)
    if house and not household.address:
        household.address = house.address
    _place(actor, household, grid, extra)
    _save_new(household, "number")
    audit_create(actor, household, reason)
    return household


@transaction.atomic
def household_update(
    *,
    actor,
    household: Household,
    data: dict[str, Any],
    extra: dict | None = None,
    reason: str = "",
) -> Household:
    """Change a household's fields; a house in another grid moves it, with its members."""
    household = lock(household)
    require_record_action(actor, Action.REGISTRY_CHANGE, household)
    cleaned = clean_household(data, partial=True)
    raise_issues(cleaned)
    values = dict(cleaned.data)
    grid_value = _pop(values, "grid")
    values.pop("head", None)
    house = _pop(values, "house")
    if "number" in values:
        _check_unique(actor, Household, "number", values["number"], exclude=household.pk)
    target = household.grid
    if house is not UNSET:
        values["house"] = resolve_ref(actor, House, house, "house")
        if values["house"] is not None and values["house"].pk != household.house_id:
            target = values["house"].grid
    if grid_value not in (UNSET, None, ""):
        target = resolve_grid(grid_value)
    before = raw_snapshot(household)
    _apply(household, values)
    return _finish_update(
        actor,
        household,
        before=before,
        target=target,
        extra=extra,
        unique_field="number",
        reason=reason,
        move_reason=_("住址变更"),
    )


@transaction.atomic
def household_set_head(
    *, actor, household: Household, person: Person, reason: str = ""
) -> Household:
    """Make a member the household's head; the former head's relation is left to fill in."""
    household = lock(household)
    require_record_action(actor, Action.REGISTRY_CHANGE, household)
    person = lock(person)
    require_record_action(actor, Action.REGISTRY_CHANGE, person)
    if person.household_id != household.pk:
        raise InvalidInput(
            _("%(person)s不是户 %(number)s 的成员")
            % {"person": person.name, "number": household.number},
            field="head",
        )
    if household.head_id == person.pk:
        return household
    if household.head_id:
        former = lock(Person.objects.get(pk=household.head_id))
        if former.household_id == household.pk and former.relation_to_head == RelationToHead.HEAD:
            before = raw_snapshot(former)
            former.relation_to_head = ""
            former.save(update_fields=["relation_to_head", "updated_at"])
            audit_update(actor, former, before, reason or _("更换户主"))
    before = raw_snapshot(household)
    household.head = person
    household.save(update_fields=["head", "updated_at"])
    audit_update(actor, household, before, reason or _("更换户主"))
    if person.relation_to_head != RelationToHead.HEAD:
        before = raw_snapshot(person)
        person.relation_to_head = RelationToHead.HEAD
        person.save(update_fields=["relation_to_head", "updated_at"])
        audit_update(actor, person, before, reason or _("更换户主"))
    return household


def _claim_head(actor, person: Person, reason: str) -> None:
    """A person recorded as the head of a household without one becomes its head."""
    household = person.household
    if household is None or person.relation_to_head != RelationToHead.HEAD:
        return
    if household.head_id is None:
        before = raw_snapshot(household)
        household.head = person
        household.save(update_fields=["head", "updated_at"])
        audit_update(actor, household, before, reason)
    elif household.head_id != person.pk:
        raise InvalidInput(
            _("户 %(number)s 已有户主%(head)s；请使用“更换户主”")
            % {"number": household.number, "head": getattr(household.head, "name", "")},
            field="relation_to_head",
        )


def _leave_household(actor, person: Person, household_id: int | None, reason: str) -> None:
    """A head leaving a household leaves it without a head (to be chosen)."""
    if household_id is None:
        return
    household = Household.objects.select_for_update().get(pk=household_id)
    if household.head_id == person.pk:
        before = raw_snapshot(household)
        household.head = None
        household.save(update_fields=["head", "updated_at"])
        audit_update(actor, household, before, reason or _("户主迁出"))


# --- people -----------------------------------------------------------------------------------


@transaction.atomic
def person_create(
    *, actor, data: dict[str, Any], extra: dict | None = None, reason: str = ""
) -> Person:
    """Register a person; the grid is `data["grid"]`, else their house's, else their household's.

    An ID number already registered is refused, naming the record when the actor sees it.
    """
    cleaned = clean_person(data)
    raise_issues(cleaned)
    values = dict(cleaned.data)
    grid_value = values.pop("grid", None)
    house = resolve_ref(actor, House, values.pop("house", None), "house")
    household = resolve_ref(actor, Household, values.pop("household", None), "household")
    if grid_value:
        grid = resolve_grid(grid_value)
    elif house is not None:
        grid = house.grid
    elif household is not None:
        grid = household.grid
    else:
        raise _no_grid()
    _check_unique(actor, Person, "id_number", values.get("id_number", ""))
    person = Person(**values, house=house, household=household)
    if house is not None and not person.current_address:
        person.current_address = house.address
    _place(actor, person, grid, extra)
    _save_new(person, "id_number")
    audit_create(actor, person, reason)
    _claim_head(actor, person, reason)
    return person


@transaction.atomic
def person_update(
    *, actor, person: Person, data: dict[str, Any], extra: dict | None = None, reason: str = ""
) -> Person:
    """Change a person's fields: an ID number may be added later (matched then); a new house
    in another grid moves them; leaving a household they headed leaves it without a head."""
    person = lock(person)
    require_record_action(actor, Action.REGISTRY_CHANGE, person)
    cleaned = clean_person(data, partial=True)
    raise_issues(cleaned)
    values = dict(cleaned.data)
    grid_value = _pop(values, "grid")
    house = _pop(values, "house")
    household = _pop(values, "household")
    if values.get("id_number"):
        _check_unique(actor, Person, "id_number", values["id_number"], exclude=person.pk)
    target = person.grid
    if household is not UNSET:
        values["household"] = resolve_ref(actor, Household, household, "household")
        joined = values["household"]
        # Without a house of their own, a person lives where their household does.
        without_house = person.house_id is None and house is UNSET
        if joined is not None and joined.pk != person.household_id and without_house:
            target = joined.grid
    if house is not UNSET:
        values["house"] = resolve_ref(actor, House, house, "house")
        if values["house"] is not None and values["house"].pk != person.house_id:
            target = values["house"].grid
    if grid_value not in (UNSET, None, ""):
        target = resolve_grid(grid_value)
    before = raw_snapshot(person)
    former_household = person.household_id
    _apply(person, values)
    merged = {f.name: getattr(person, f.attname) for f in Person._meta.concrete_fields}
    problems = person_rules(merged)
    if problems:
        raise InvalidInput("；".join(p.message for p in problems), field=problems[0].field)
    moved_out = person.household_id != former_household
    if (
        moved_out
        and person.relation_to_head == RelationToHead.HEAD
        and "relation_to_head" not in values
    ):
        person.relation_to_head = ""
    if moved_out or person.relation_to_head != RelationToHead.HEAD:
        _leave_household(actor, person, former_household, reason)
    _finish_update(
        actor,
        person,
        before=before,
        target=target,
        extra=extra,
        unique_field="id_number",
        reason=reason,
        move_reason=_("住址变更"),
    )
    _claim_head(actor, person, reason)
    return person


# --- units ------------------------------------------------------------------------------------


@transaction.atomic
def unit_create(
    *, actor, data: dict[str, Any], extra: dict | None = None, reason: str = ""
) -> Unit:
    """Register a unit; its grid is `data["grid"]`, else its point's, else its house's."""
    cleaned = clean_unit(data)
    raise_issues(cleaned)
    values = dict(cleaned.data)
    grid_value = values.pop("grid", None)
    house = resolve_ref(actor, House, values.pop("house", None), "house")
    grid = resolve_grid(grid_value) if grid_value else _grid_from_point(values)
    if grid is None and house is not None:
        grid = house.grid
    if grid is None:
        raise _no_grid()
    _check_unique(actor, Unit, "credit_code", values.get("credit_code", ""))
    unit = Unit(**values, house=house)
    if house is not None and not unit.address:
        unit.address = house.address
    _place(actor, unit, grid, extra)
    _save_new(unit, "credit_code")
    audit_create(actor, unit, reason)
    return unit


@transaction.atomic
def unit_update(
    *, actor, unit: Unit, data: dict[str, Any], extra: dict | None = None, reason: str = ""
) -> Unit:
    """Change a unit's fields; a new point (or, without one, a new house) may move it."""
    unit = lock(unit)
    require_record_action(actor, Action.REGISTRY_CHANGE, unit)
    cleaned = clean_unit(data, partial=True)
    raise_issues(cleaned)
    values = dict(cleaned.data)
    grid_value = _pop(values, "grid")
    house = _pop(values, "house")
    if values.get("credit_code"):
        _check_unique(actor, Unit, "credit_code", values["credit_code"], exclude=unit.pk)
    target = unit.grid
    if house is not UNSET:
        values["house"] = resolve_ref(actor, House, house, "house")
        new_house = values["house"]
        no_point = values.get("lng", unit.lng) is None
        if new_house is not None and new_house.pk != unit.house_id and no_point:
            target = new_house.grid
    if grid_value not in (UNSET, None, ""):
        target = resolve_grid(grid_value)
    elif _point_changed(unit, values):
        target = _grid_from_point(values) or target
    before = raw_snapshot(unit)
    _apply(unit, values)
    return _finish_update(
        actor,
        unit,
        before=before,
        target=target,
        extra=extra,
        unique_field="credit_code",
        reason=reason,
        move_reason=_("位置变更"),
    )


# --- organisations ----------------------------------------------------------------------------


def _organisation_grid(unit: Unit | None, region: Region | None) -> Region | None:
    if unit is not None:
        return unit.grid
    if region is not None and region.is_grid:
        return region
    return None


@transaction.atomic
def organisation_create(
    *, actor, data: dict[str, Any], extra: dict | None = None, reason: str = ""
) -> Organisation:
    """Register an organisation; its grid is `data["grid"]`, else its unit's, else its region
    when that is a grid."""
    cleaned = clean_organisation(data)
    raise_issues(cleaned)
    values = dict(cleaned.data)
    grid_value = values.pop("grid", None)
    unit = resolve_ref(actor, Unit, values.pop("unit", None), "unit")
    region = resolve_region(actor, values.pop("region", None), "region")
    grid = resolve_grid(grid_value) if grid_value else _organisation_grid(unit, region)
    if grid is None:
        raise _no_grid()
    _check_unique(actor, Organisation, "credit_code", values.get("credit_code", ""))
    organisation = Organisation(**values, unit=unit, region=region)
    _place(actor, organisation, grid, extra)
    _save_new(organisation, "credit_code")
    audit_create(actor, organisation, reason)
    return organisation


@transaction.atomic
def organisation_update(
    *,
    actor,
    organisation: Organisation,
    data: dict[str, Any],
    extra: dict | None = None,
    reason: str = "",
) -> Organisation:
    """Change an organisation's fields; a new unit in another grid moves it."""
    organisation = lock(organisation)
    require_record_action(actor, Action.REGISTRY_CHANGE, organisation)
    cleaned = clean_organisation(data, partial=True)
    raise_issues(cleaned)
    values = dict(cleaned.data)
    grid_value = _pop(values, "grid")
    unit = _pop(values, "unit")
    region = _pop(values, "region")
    if values.get("credit_code"):
        _check_unique(
            actor, Organisation, "credit_code", values["credit_code"], exclude=organisation.pk
        )
    target = organisation.grid
    if region is not UNSET:
        values["region"] = resolve_region(actor, region, "region")
    if unit is not UNSET:
        values["unit"] = resolve_ref(actor, Unit, unit, "unit")
        if values["unit"] is not None and values["unit"].pk != organisation.unit_id:
            target = values["unit"].grid
    if grid_value not in (UNSET, None, ""):
        target = resolve_grid(grid_value)
    before = raw_snapshot(organisation)
    _apply(organisation, values)
    return _finish_update(
        actor,
        organisation,
        before=before,
        target=target,
        extra=extra,
        unique_field="credit_code",
        reason=reason,
        move_reason=_("所在单位变更"),
    )


# --- moves ------------------------------------------------------------------------------------


@transaction.atomic
def record_move(*, actor, record: GridPlaced, to_grid: Region | str, reason: str) -> GridMove:
    """Move a record to another grid (a correction, a move the point does not show).

    Needs `registry.change` on both grids and a reason; followers move along (a house's
    occupants and households, a household's members without a house, a unit's organisations).
    """
    record = lock(record)
    require_record_action(actor, Action.REGISTRY_CHANGE, record)
    if not (reason or "").strip():
        raise InvalidInput(_("请填写迁移原因"), field="reason")
    grid = resolve_grid(to_grid)
    require_grid(actor, grid)
    if grid.pk == record.grid_id:
        raise InvalidInput(
            _("%(record)s已在网格%(grid)s") % {"record": record, "grid": grid.name},
            field="to_grid",
        )
    grid_move = move(actor, record, grid, reason.strip())
    assert grid_move is not None
    return grid_move


KIND_SERVICES = {
    RecordKind.HOUSE: (house_create, house_update),
    RecordKind.HOUSEHOLD: (household_create, household_update),
    RecordKind.PERSON: (person_create, person_update),
    RecordKind.UNIT: (unit_create, unit_update),
    RecordKind.ORGANISATION: (organisation_create, organisation_update),
}
