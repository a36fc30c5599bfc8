"""Reads of the registers, always through the user's scope.

A record's scope is its grid's path (`grid_path`): a grid worker sees their grid, a township
manager their township. A record outside scope is answered like a missing one (`NotFound`).
Search and the list filters live here so that the pages and the API find the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Case, Model, Q, QuerySet, When
from django.utils.translation import gettext as _

from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import user_scope
from gezhi.core.errors import NotFound
from gezhi.regions.choices import Level
from gezhi.regions.models import Region
from gezhi.registry.catalogue import fields_within, path_prefixes
from gezhi.registry.choices import RecordKind, RelationToHead
from gezhi.registry.models import CatalogueField, House, Household, Organisation, Person, Unit

KIND_MODELS: dict[str, type[Model]] = {
    RecordKind.PERSON: Person,
    RecordKind.HOUSEHOLD: Household,
    RecordKind.HOUSE: House,
    RecordKind.UNIT: Unit,
    RecordKind.ORGANISATION: Organisation,
}
MODEL_KINDS: dict[type[Model], str] = {model: kind for kind, model in KIND_MODELS.items()}

# What a list row shows besides the record itself: one join each, never a query per row.
LIST_RELATED: dict[type[Model], tuple[str, ...]] = {
    Person: ("grid", "household", "house"),
    Household: ("grid", "house", "head"),
    House: ("grid",),
    Unit: ("grid", "house"),
    Organisation: ("grid", "unit", "region"),
}

ID_NUMBER_RE = re.compile(r"\d{17}[\dXx]")
# Last digits of an ID number (the check character may be X) or of a phone number.
DIGITS_RE = re.compile(r"\d{3,18}|\d{3,17}[Xx]")
MOBILE_RE = re.compile(r"1\d{10}")


def records_for_user(user, model: type[Model], action: str = Action.REGISTRY_VIEW) -> QuerySet:
    """Records of `model` whose grid lies in the user's scope for `action`."""
    return model._default_manager.filter(user_scope(user, action).q("grid_path"))


def record_list(user, model: type[Model]) -> QuerySet:
    """Records the user may see, with what a list row shows joined in."""
    return records_for_user(user, model).select_related(*LIST_RELATED[model])


def access_record(user, model: type[Model], pk, action: str = Action.REGISTRY_VIEW):
    """The record of `model` with `pk` if the user may do `action` on it; NotFound otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        pk = None
    record = None
    if pk is not None:
        record = records_for_user(user, model, action).select_related(*LIST_RELATED[model])
        record = record.filter(pk=pk).first()
    if record is None:
        raise NotFound(
            _("%(kind)s记录 %(pk)s 不存在") % {"kind": model._meta.verbose_name, "pk": pk or ""}
        )
    return record


# --- search ---------------------------------------------------------------------------------


def _digits_q(text: str, fields: tuple[str, ...]) -> Q:
    """Digits typed into the search box: a whole ID number, a whole mobile number, or the
    last digits of either (what a clerk reads off a masked value or hears on the phone)."""
    upper = text.upper()
    q = Q()
    for name in fields:
        if ID_NUMBER_RE.fullmatch(text) or MOBILE_RE.fullmatch(text):
            q |= Q(**{name: upper})
        else:
            q |= Q(**{f"{name}__endswith": upper})
    return q


def _text_q(text: str, fields: tuple[str, ...]) -> Q:
    q = Q()
    for name in fields:
        q |= Q(**{f"{name}__contains": text})
    return q


# kind -> (fields searched by words, fields searched by digits, fields matched by code)
SEARCH_FIELDS: dict[type[Model], tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    Person: (
        ("name", "former_name", "current_address", "registered_address", "house__address"),
        ("id_number", "phone"),
        ("document_number",),
    ),
    Household: (
        ("address", "house__address", "head__name"),
        ("head__id_number", "head__phone"),
        ("number",),
    ),
    House: (
        ("address", "owner_name"),
        ("owner_id_number", "owner_phone"),
        ("code",),
    ),
    Unit: (
        ("name", "address", "legal_representative"),
        ("phone", "legal_representative_id_number"),
        ("credit_code",),
    ),
    Organisation: (
        ("name", "address", "leader", "registering_authority"),
        ("phone",),
        ("credit_code", "registration_number"),
    ),
}


def search_records(queryset: QuerySet, text: str) -> QuerySet:
    """Rows of `queryset` matching what a user typed in the search box.

    Words match names and addresses anywhere (`金` finds 金卓玛); digits match a whole ID
    number or mobile number, or their last digits; a code matches exactly. Every space-separated
    word must match (`达日 卓玛`).
    """
    words_fields, digit_fields, code_fields = SEARCH_FIELDS[queryset.model]
    for word in text.split():
        q = _text_q(word, words_fields)
        if DIGITS_RE.fullmatch(word):
            q |= _digits_q(word, digit_fields)
        for name in code_fields:
            q |= Q(**{f"{name}__iexact": word})
        queryset = queryset.filter(q)
    return queryset


# --- filters on JSON values -----------------------------------------------------------------


def json_list_contains(field_name: str, value: str) -> Q:
    """Rows whose JSON list in `field_name` holds `value` (tags, multiple-choice values).

    PostgreSQL answers with its containment operator; SQLite has none, so the list's JSON
    text is searched for the quoted value, in both the escaped form Django stores and the
    plain one.
    """
    if connection.features.supports_json_field_contains:
        return Q(**{f"{field_name}__contains": [value]})
    escaped = json.dumps(value)
    plain = json.dumps(value, ensure_ascii=False)
    q = Q(**{f"{field_name}__icontains": escaped})
    if plain != escaped:
        q |= Q(**{f"{field_name}__icontains": plain})
    return q


def birth_date_bounds(
    *, age_min: int | None, age_max: int | None, today: dt.date | None = None
) -> Q:
    """People aged at least `age_min` and at most `age_max` (in whole years) today."""
    today = today or dt.date.today()
    q = Q()
    if age_min is not None:
        q &= Q(birth_date__lte=_years_before(today, age_min))
    if age_max is not None:
        q &= Q(birth_date__gt=_years_before(today, age_max + 1))
    return q


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


# --- the data catalogue as the user sees it ----------------------------------------------


def catalogue_fields_for_user(user, kind: str, region=None) -> list[CatalogueField]:
    """Catalogue fields of `kind` that apply anywhere in `region` (or in the user's scope).

    These are the extra columns and filters of a list; a field defined in a neighbouring
    township does not clutter this one's.
    """
    if region is not None:
        return fields_within(kind, region.path)
    scope = user_scope(user, Action.REGISTRY_VIEW)
    fields = CatalogueField.objects.filter(kind=kind, is_active=True)
    if not scope.everywhere:
        if not scope.paths:
            return []
        q = Q(region_path__in={p for path in scope.paths for p in path_prefixes(path)})
        for path in scope.paths:
            q |= Q(region_path__startswith=path)
        fields = fields.filter(q)
    return list(fields.order_by("order", "id"))


# --- places to filter by ---------------------------------------------------------------------


def filter_regions(user) -> QuerySet[Region]:
    """Regions above grid level in the user's scope, in tree order: the region filter's list."""
    scope = user_scope(user, Action.REGISTRY_VIEW)
    return (
        Region.objects.active()
        .filter(scope.q("path"))
        .exclude(level=Level.GRID)
        .order_by("path")
        .only("code", "name", "level", "depth", "path")
    )


def filter_grids(user, region: Region | None = None) -> QuerySet[Region]:
    """Grids in force in the user's scope (and under `region`): the grid filter's list."""
    grids = Region.objects.active().grids().filter(user_scope(user, Action.REGISTRY_VIEW).q("path"))
    if region is not None:
        grids = grids.filter(path__startswith=region.path)
    return grids.order_by("path").only("code", "name", "path")


# --- a person's whole picture ----------------------------------------------------------------


@dataclass
class PictureSection:
    """One part of a person's picture added by another app (cases, visits, calls...).

    `template` renders it on the person's page with `section` in its context; `items` is
    what it lists (its API form is `data`).
    """

    key: str
    title: str
    template: str
    items: list = field(default_factory=list)
    data: Any = None


# Each hook takes (user, person) and returns a section or None (nothing to show, or not
# allowed). Apps register theirs at start-up with `register_picture_section`.
PICTURE_SECTIONS: list[Callable[[Any, Person], PictureSection | None]] = []


def register_picture_section(hook: Callable[[Any, Person], PictureSection | None]):
    """Add a section to every person's picture (usable as a decorator)."""
    if hook not in PICTURE_SECTIONS:
        PICTURE_SECTIONS.append(hook)
    return hook


@dataclass
class PersonPicture:
    """Everything the registers know around one person, limited to the user's scope."""

    person: Person
    household: Household | None
    household_members: list[Person]
    house: House | None
    co_occupants: list[Person]
    units: list[Unit]
    sections: list[PictureSection]


def household_members(user, household: Household) -> QuerySet[Person]:
    """Members of a household that the user may see, the head first."""
    head_first = Case(When(relation_to_head=RelationToHead.HEAD, then=0), default=1)
    return (
        records_for_user(user, Person)
        .filter(household=household)
        .select_related("grid")
        .order_by(head_first, "birth_date", "id")
    )


def house_occupants(user, house: House) -> QuerySet[Person]:
    """People living in a house that the user may see."""
    return (
        records_for_user(user, Person)
        .filter(house=house)
        .select_related("grid", "household")
        .order_by("household__number", "birth_date", "id")
    )


def house_units(user, house: House) -> QuerySet[Unit]:
    """Units in a house that the user may see."""
    return records_for_user(user, Unit).filter(house=house).select_related("grid")


def unit_organisations(user, unit: Unit) -> QuerySet[Organisation]:
    """Organisations based at a unit that the user may see."""
    return records_for_user(user, Organisation).filter(unit=unit).select_related("grid", "region")


def house_households(user, house: House) -> QuerySet[Household]:
    return records_for_user(user, Household).filter(house=house).select_related("head")


def person_picture(user, person: Person) -> PersonPicture:
    """A person's household and its members, their house and the others living there, the
    units they represent in law (matched by ID number), and the sections other apps add."""
    household = None
    members: list[Person] = []
    if person.household_id:
        household = records_for_user(user, Household).filter(pk=person.household_id).first()
        if household is not None:
            members = [m for m in household_members(user, household) if m.pk != person.pk]
    house = None
    co_occupants: list[Person] = []
    if person.house_id:
        house = records_for_user(user, House).filter(pk=person.house_id).first()
        if house is not None:
            co_occupants = [p for p in house_occupants(user, house) if p.pk != person.pk]
    units: list[Unit] = []
    if person.id_number:
        units = list(
            records_for_user(user, Unit)
            .filter(legal_representative_id_number=person.id_number)
            .select_related("grid")
        )
    sections = [s for hook in PICTURE_SECTIONS if (s := hook(user, person)) is not None]
    return PersonPicture(
        person=person,
        household=household,
        household_members=members,
        house=house,
        co_occupants=co_occupants,
        units=units,
        sections=sections,
    )
