"""The data catalogue: which extra fields apply to a record, and checking their values.

A field defined at a region applies to every record of its kind whose grid lies in that
region's subtree. Values are stored in the record's `extra` as JSON: text and choices as
strings, multiple choices as a list of strings, numbers as numbers, dates as ISO strings,
yes/no as booleans.
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from gezhi.registry.choices import FieldType
from gezhi.registry.models import CatalogueField

TRUE_WORDS = {"是", "有", "true", "yes", "y", "1", "√", "✓"}
FALSE_WORDS = {"否", "无", "false", "no", "n", "0", "×", ""}


@dataclass(frozen=True)
class CatalogueError:
    """A catalogue value that does not fit its definition."""

    key: str
    label: str
    value: Any
    message: str


def path_prefixes(path: str) -> list[str]:
    """Every ancestor path of a materialised path, the path itself included."""
    codes = [c for c in path.strip("/").split("/") if c]
    return [f"/{'/'.join(codes[: i + 1])}/" for i in range(len(codes))]


def fields_for(kind: str, grid_path: str) -> list[CatalogueField]:
    """The active catalogue fields for records of `kind` lying at `grid_path`."""
    return list(
        CatalogueField.objects.filter(
            kind=kind, is_active=True, region_path__in=path_prefixes(grid_path)
        ).order_by("order", "id")
    )


def fields_within(kind: str, region_path: str) -> list[CatalogueField]:
    """Fields that apply anywhere in a subtree: defined above it, at it, or below it.

    Lists and exports of a region show these columns.
    """
    from django.db.models import Q

    return list(
        CatalogueField.objects.filter(
            Q(region_path__in=path_prefixes(region_path)) | Q(region_path__startswith=region_path),
            kind=kind,
            is_active=True,
        ).order_by("order", "id")
    )


def clean_value(field: CatalogueField, raw: Any) -> Any:
    """The stored form of `raw` for `field`, or raise ValueError with a message for the user.

    Empty input gives None (and is an error for a required field).
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []:
        if field.required:
            raise ValueError(_("%(label)s为必填项") % {"label": field.label})
        return None
    if field.type == FieldType.TEXT:
        return str(raw).strip()
    if field.type == FieldType.NUMBER:
        if isinstance(raw, bool):
            raise ValueError(_("%(label)s应为数值") % {"label": field.label})
        try:
            number = Decimal(str(raw).strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError(
                _("%(label)s应为数值，而不是“%(value)s”") % {"label": field.label, "value": raw}
            ) from None
        if not number.is_finite():
            raise ValueError(_("%(label)s应为数值") % {"label": field.label})
        return int(number) if number == number.to_integral_value() else float(number)
    if field.type == FieldType.DATE:
        if isinstance(raw, dt.datetime):
            return raw.date().isoformat()
        if isinstance(raw, dt.date):
            return raw.isoformat()
        text = str(raw).strip().replace("/", "-").replace(".", "-")
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(
                _("%(label)s应为日期（如 2026-01-31），而不是“%(value)s”")
                % {"label": field.label, "value": raw}
            ) from None
    if field.type == FieldType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(
            _("%(label)s应为“是”或“否”，而不是“%(value)s”") % {"label": field.label, "value": raw}
        )
    options = [str(o) for o in field.choices]
    if field.type == FieldType.CHOICE:
        text = str(raw).strip()
        if text not in options:
            raise ValueError(
                _("%(label)s的值“%(value)s”不在选项中（%(options)s）")
                % {"label": field.label, "value": text, "options": "、".join(options)}
            )
        return text
    if field.type == FieldType.MULTI_CHOICE:
        items = raw if isinstance(raw, (list, tuple)) else split_multi(str(raw))
        values = [str(i).strip() for i in items if str(i).strip()]
        unknown = [v for v in values if v not in options]
        if unknown:
            raise ValueError(
                _("%(label)s的值“%(value)s”不在选项中（%(options)s）")
                % {"label": field.label, "value": "、".join(unknown), "options": "、".join(options)}
            )
        return values
    raise ValueError(_("未知字段类型 %(type)s") % {"type": field.type})


def split_multi(text: str) -> list[str]:
    """Split a multiple-choice cell written with any of the usual separators."""
    for separator in ("，", "、", ";", "；", "|"):
        text = text.replace(separator, ",")
    return [part.strip() for part in text.split(",") if part.strip()]


def clean_extra(
    fields: list[CatalogueField], values: dict[str, Any], *, partial: bool = False
) -> tuple[dict[str, Any], list[CatalogueError]]:
    """Check `values` (key -> raw value) against `fields`.

    Returns the cleaned values (None values dropped) and the errors. Keys that are not in the
    catalogue are errors. With `partial`, missing required fields are not errors (an update
    that leaves them as they are).
    """
    by_key = {f.key: f for f in fields}
    cleaned: dict[str, Any] = {}
    errors: list[CatalogueError] = []
    for key, raw in values.items():
        field = by_key.get(key)
        if field is None:
            errors.append(
                CatalogueError(key, key, raw, _("数据目录中没有字段“%(key)s”") % {"key": key})
            )
            continue
        try:
            value = clean_value(field, raw)
        except ValueError as exc:
            errors.append(CatalogueError(key, field.label, raw, str(exc)))
            continue
        if value is not None:
            cleaned[key] = value
    if not partial:
        for field in fields:
            if field.required and field.key not in values:
                errors.append(
                    CatalogueError(
                        field.key,
                        field.label,
                        None,
                        _("%(label)s为必填项") % {"label": field.label},
                    )
                )
    return cleaned, errors


def display_value(field: CatalogueField, value: Any) -> str:
    """A stored value as the user reads it: 是/否, choices joined, numbers with the unit."""
    if value is None or value == "" or value == []:
        return ""
    if field.type == FieldType.BOOLEAN:
        return _("是") if value else _("否")
    if field.type == FieldType.MULTI_CHOICE:
        return "、".join(str(v) for v in value)
    if field.type == FieldType.NUMBER and field.unit:
        return f"{value} {field.unit}"
    return str(value)


# --- totals per region ------------------------------------------------------------------------


def field_at(kind: str, region_path: str, key: str) -> CatalogueField | None:
    """The field `key` of `kind` that applies in a region's subtree (defined above, at or below
    it; active or not, since deactivated fields keep their values)."""
    from django.db.models import Q

    return (
        CatalogueField.objects.filter(kind=kind, key=key)
        .filter(
            Q(region_path__in=path_prefixes(region_path)) | Q(region_path__startswith=region_path)
        )
        .order_by("region_path")
        .first()
    )


def catalogue_totals(*, user, region, kind: str, key: str) -> dict[str, Any]:
    """Totals of one catalogue field over the records of `region`'s subtree that `user` sees.

    `count`: records with a value; `sum`: for numbers (None otherwise); `by_choice`: for
    choices and multiple choices, the records per option (every option listed, unused ones 0);
    for yes/no, {"true": n, "false": m}.
    """
    from gezhi.accounts.roles import Action
    from gezhi.accounts.scoping import user_scope
    from gezhi.core.errors import NotFound
    from gezhi.registry.models import House, Household, Organisation, Person, Unit

    field = field_at(kind, region.path, key)
    if field is None:
        raise NotFound(_("数据目录中没有字段“%(key)s”") % {"key": key})
    model = {
        "person": Person,
        "household": Household,
        "house": House,
        "unit": Unit,
        "organisation": Organisation,
    }[kind]
    records = model._default_manager.filter(
        user_scope(user, Action.REGISTRY_VIEW).q("grid_path"),
        grid_path__startswith=region.path,
        extra__has_key=key,
    )
    count = 0
    total: Decimal = Decimal(0)
    by_choice: dict[str, int] | None = None
    if field.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        by_choice = {str(option): 0 for option in field.choices}
    elif field.type == FieldType.BOOLEAN:
        by_choice = {"true": 0, "false": 0}
    for value in records.values_list(f"extra__{key}", flat=True).iterator(chunk_size=2000):
        if value is None or value == "" or value == []:
            continue
        count += 1
        if field.type == FieldType.NUMBER and not isinstance(value, bool):
            # A value stored before the field's type was checked is not counted in the sum.
            with suppress(InvalidOperation):
                total += Decimal(str(value))
        elif by_choice is not None:
            if field.type == FieldType.BOOLEAN:
                by_choice["true" if value else "false"] += 1
            else:
                for option in value if isinstance(value, list) else [value]:
                    by_choice[str(option)] = by_choice.get(str(option), 0) + 1
    result: dict[str, Any] = {"count": count, "sum": None, "by_choice": by_choice}
    if field.type == FieldType.NUMBER:
        result["sum"] = int(total) if total == total.to_integral_value() else float(total)
    return result
