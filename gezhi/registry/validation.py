"""Checking and normalising one register record's fields (GB/T 31000, GB 11643, GB 32100).

Pure functions: no queries, no writes. Each `clean_<kind>(raw)` takes a dict of raw values
(strings from a form or a spreadsheet cell, or typed values from the API) keyed by model field
name and returns a `Cleaned`: the values in their stored form, and the issues found. An issue
is an error (the record cannot be saved as given) or a warning (saved, but worth a look: an
ID number whose area code is not a known division).

References to other records (`grid`, `house`, `household`, `unit`, `region`) are passed
through as given (a code, a primary key or a model instance, text stripped); the services
resolve them. Keys that are not fields of the record are ignored: catalogue values are checked
separately with `gezhi.registry.catalogue.clean_extra` once the record's grid is known.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from gezhi.lib.codes import IdNumber, credit_code_error, mobile_error, parse_id_number
from gezhi.lib.ethnicity import ethnicity_code
from gezhi.lib.geo import Crs, in_wgs84_range, to_wgs84
from gezhi.registry.catalogue import FALSE_WORDS, TRUE_WORDS
from gezhi.registry.choices import PersonTag, PopulationType, Sex
from gezhi.registry.models import House, Household, Organisation, Person, Unit

ERROR = "error"
WARNING = "warning"

# Fields holding ID numbers and phone numbers: checked here, masked on display.
ID_NUMBER_FIELDS = frozenset({"id_number", "owner_id_number", "legal_representative_id_number"})
PHONE_FIELDS = frozenset({"phone", "owner_phone", "security_officer_phone"})
REFERENCE_FIELDS = frozenset({"grid", "house", "household", "unit", "region", "head"})

# A landline: area code 0XX or 0XXX, 7-8 digits, an optional extension; or a service number.
LANDLINE_RE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?")
SERVICE_NUMBER_RE = re.compile(r"(400|800)-?\d{3}-?\d{4}|\d{5}")
# 2026-01-31, 2026/1/31, 2026.1.31 and 2026年1月31日 (年 月 日 written as escapes: data, not text).
DATE_RE = re.compile(r"(\d{4})\s*[-/.\u5e74]\s*(\d{1,2})\s*[-/.\u6708]\s*(\d{1,2})\s*\u65e5?")
TAG_SEPARATORS = re.compile(r"[,，、;；|/\s]+")

# Sex as GB/T 2261.1 codes it and forms abbreviate it, beside the choice codes and labels
# (男, 女, 未知).
SEX_ALIASES = {
    "m": Sex.MALE,
    "1": Sex.MALE,
    "f": Sex.FEMALE,
    "2": Sex.FEMALE,
    "0": Sex.UNKNOWN,
    "9": Sex.UNKNOWN,
}


@dataclass(frozen=True)
class FieldIssue:
    """One problem with one field: which field, the value as given, and what is wrong."""

    field: str
    value: Any
    message: str
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


@dataclass
class Cleaned:
    """A record's values in stored form (`data`: model field -> value) and the issues found."""

    data: dict[str, Any] = field(default_factory=dict)
    issues: list[FieldIssue] = field(default_factory=list)

    @property
    def errors(self) -> list[FieldIssue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[FieldIssue]:
        return [i for i in self.issues if i.severity == WARNING]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not any(i.severity == ERROR for i in self.issues)

    def error(self, name: str, value: Any, message: str) -> None:
        self.issues.append(FieldIssue(name, value, message, ERROR))

    def warn(self, name: str, value: Any, message: str) -> None:
        self.issues.append(FieldIssue(name, value, message, WARNING))


class Invalid(ValueError):
    """Raised by a field cleaner; the message names the field and the value."""


def _label(model: type[models.Model], name: str) -> str:
    try:
        return str(getattr(model._meta.get_field(name), "verbose_name", name))
    except Exception:  # a pseudo-field such as crs
        return name


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def as_text(value: Any) -> str:
    """A cell as text: 301.0 from a spreadsheet reads "301"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- choices by code or label ---------------------------------------------------------------

_CHOICE_MAPS: dict[type, dict[str, str]] = {}


def _choice_map(choices: type[models.TextChoices]) -> dict[str, str]:
    """Lower-cased code, Chinese label and English label -> code."""
    mapping = _CHOICE_MAPS.get(choices)
    if mapping is None:
        mapping = {}
        for language in ("en", "zh-hans"):
            with translation.override(language):
                for member in choices:
                    mapping[str(member.label).strip().lower()] = member.value
        for member in choices:
            mapping[member.value.lower()] = member.value
        _CHOICE_MAPS[choices] = mapping
    return mapping


def choice_value(choices: type[models.TextChoices], value: Any) -> str | None:
    """The code of a choice given by its code or its label (Chinese or English); None if not."""
    return _choice_map(choices).get(as_text(value).lower())


def _choice_labels(choices: type[models.TextChoices]) -> str:
    return "、".join(str(member.label) for member in choices)


# --- field cleaners: (label, raw) -> value or raise Invalid ----------------------------------


def clean_text(label: str, value: Any, max_length: int | None) -> str:
    text = as_text(value)
    if max_length and len(text) > max_length:
        raise Invalid(
            _("%(field)s不能超过 %(max)d 个字符（“%(value)s”有 %(length)d 个）")
            % {"field": label, "max": max_length, "value": text[:40], "length": len(text)}
        )
    return text


def clean_choice(label: str, value: Any, choices: type[models.TextChoices]) -> str:
    code = choice_value(choices, value)
    if code is None:
        raise Invalid(
            _("%(field)s“%(value)s”不是可选值（%(options)s）")
            % {"field": label, "value": as_text(value), "options": _choice_labels(choices)}
        )
    return code


def clean_sex(label: str, value: Any) -> str:
    text = as_text(value).lower()
    code = SEX_ALIASES.get(text) or choice_value(Sex, text)
    if code is None:
        raise Invalid(
            _("%(field)s“%(value)s”不是可选值（%(options)s）")
            % {"field": label, "value": as_text(value), "options": _choice_labels(Sex)}
        )
    return code


def clean_date(label: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise Invalid(
            _("%(field)s应为日期（如 2026-01-31），而不是“%(value)s”")
            % {"field": label, "value": value}
        )
    text = value.strip()
    match = DATE_RE.fullmatch(text)
    if match:
        parts = match.groups()
    elif re.fullmatch(r"\d{8}", text):
        parts = (text[:4], text[4:6], text[6:])
    else:
        # "2026-01-31 00:00:00", as a spreadsheet's text export gives a date cell.
        head = text.split(" ", 1)[0].split("T", 1)[0]
        match = DATE_RE.fullmatch(head)
        if not match:
            raise Invalid(
                _("%(field)s应为日期（如 2026-01-31），而不是“%(value)s”")
                % {"field": label, "value": text}
            )
        parts = match.groups()
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise Invalid(
            _("%(field)s“%(value)s”不是存在的日期") % {"field": label, "value": text}
        ) from None


def clean_decimal(label: str, value: Any) -> Decimal:
    if isinstance(value, bool):
        raise Invalid(_("%(field)s应为数值") % {"field": label})
    try:
        number = Decimal(as_text(value).replace(",", ""))
    except InvalidOperation:
        raise Invalid(
            _("%(field)s应为数值，而不是“%(value)s”") % {"field": label, "value": value}
        ) from None
    if not number.is_finite():
        raise Invalid(_("%(field)s应为数值") % {"field": label})
    if number < 0:
        raise Invalid(_("%(field)s不能为负数：%(value)s") % {"field": label, "value": value})
    return number.quantize(Decimal("0.01"))


def clean_count(label: str, value: Any) -> int:
    number = clean_decimal(label, value)
    if number != number.to_integral_value():
        raise Invalid(_("%(field)s应为整数：%(value)s") % {"field": label, "value": value})
    return int(number)


def clean_float(label: str, value: Any) -> float:
    if isinstance(value, bool):
        raise Invalid(_("%(field)s应为数值") % {"field": label})
    try:
        number = float(as_text(value))
    except ValueError:
        raise Invalid(
            _("%(field)s应为数值，而不是“%(value)s”") % {"field": label, "value": value}
        ) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise Invalid(_("%(field)s应为数值") % {"field": label})
    return number


def clean_bool(label: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = as_text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise Invalid(
        _("%(field)s应为“是”或“否”，而不是“%(value)s”") % {"field": label, "value": value}
    )


def clean_phone(label: str, value: Any) -> str:
    """A mobile (spaces and +86 dropped) or a landline such as 0513-12345678."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = re.sub(r"[\s()（）]", "", str(value))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    if mobile_error(text) is None:
        return text
    if LANDLINE_RE.fullmatch(text) or SERVICE_NUMBER_RE.fullmatch(text):
        return text
    raise Invalid(
        _("%(field)s“%(value)s”不是有效的电话号码（手机 11 位，或固定电话如 0513-12345678）")
        % {"field": label, "value": value}
    )


def clean_credit_code(label: str, value: Any) -> str:
    text = as_text(value).upper()
    error = credit_code_error(text)
    if error:
        raise Invalid(error)  # the message names the code already
    return text


def clean_ethnicity(label: str, value: Any) -> str:
    code = ethnicity_code(as_text(value))
    if code is None:
        raise Invalid(
            _("%(field)s“%(value)s”不是 GB/T 3304 中的民族（如“汉族”或代码“01”）")
            % {"field": label, "value": value}
        )
    return code


def clean_region_code(label: str, value: Any) -> str:
    text = as_text(value)
    if not re.fullmatch(r"\d{6}(\d{3}){0,2}", text):
        raise Invalid(
            _("%(field)s“%(value)s”应为 6、9 或 12 位区划代码") % {"field": label, "value": value}
        )
    return text


def clean_tags(label: str, value: Any) -> list[str]:
    """Tags from a list or text such as "独居老人、低保对象" -> PersonTag codes, in order."""
    items = value if isinstance(value, (list, tuple, set)) else TAG_SEPARATORS.split(str(value))
    tags: list[str] = []
    unknown: list[str] = []
    for item in items:
        text = as_text(item)
        if not text:
            continue
        code = choice_value(PersonTag, text)
        if code is None:
            unknown.append(text)
        elif code not in tags:
            tags.append(code)
    if unknown:
        raise Invalid(
            _("%(field)s中的“%(value)s”不是可用的标签（%(options)s）")
            % {"field": label, "value": "、".join(unknown), "options": _choice_labels(PersonTag)}
        )
    return tags


def clean_reference(label: str, value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


# --- per-kind plans -------------------------------------------------------------------------

Cleaner = Callable[[str, Any], Any]

_PLANS: dict[type[models.Model], dict[str, tuple[Any, Cleaner, Any]]] = {}

SPECIAL_CLEANERS: dict[str, Cleaner] = {
    "sex": clean_sex,
    "ethnicity": clean_ethnicity,
    "credit_code": clean_credit_code,
    "registered_region_code": clean_region_code,
    "tags": clean_tags,
    "lng": clean_float,
    "lat": clean_float,
    **{name: clean_phone for name in PHONE_FIELDS},
}


def _cleaner_for(model_field: models.Field) -> Cleaner:
    name = model_field.name
    if name in SPECIAL_CLEANERS:
        return SPECIAL_CLEANERS[name]
    if name in REFERENCE_FIELDS or model_field.is_relation:
        return clean_reference
    if isinstance(model_field, models.DateField):
        return clean_date
    if isinstance(model_field, models.DecimalField):
        return clean_decimal
    if isinstance(model_field, models.PositiveIntegerField):
        return clean_count
    if isinstance(model_field, models.FloatField):
        return clean_float
    if isinstance(model_field, models.BooleanField):
        return clean_bool
    if model_field.choices and isinstance(model_field, models.CharField):
        choices_class = _choices_class(model_field)
        if choices_class is not None:
            return lambda label, value: clean_choice(label, value, choices_class)
    max_length = getattr(model_field, "max_length", None)
    return lambda label, value: clean_text(label, value, max_length)


def _choices_class(model_field: models.Field) -> type[models.TextChoices] | None:
    from gezhi.registry import choices as registry_choices

    values = {value for value, _label in model_field.choices or ()}
    for candidate in vars(registry_choices).values():
        if (
            isinstance(candidate, type)
            and issubclass(candidate, models.TextChoices)
            and set(candidate.values) == values
        ):
            return candidate
    return None


# Fields set by the system, never from raw input.
SYSTEM_FIELDS = frozenset({"id", "grid_path", "extra", "created_at", "updated_at"})


def _plan(model: type[models.Model]) -> dict[str, tuple[Any, Cleaner, Any]]:
    """Field name -> (label, cleaner, empty value) for every field `model` takes from input."""
    plan = _PLANS.get(model)
    if plan is None:
        plan = {}
        for model_field in model._meta.get_fields():
            if not model_field.concrete or model_field.name in SYSTEM_FIELDS:
                continue
            if model_field.name in ID_NUMBER_FIELDS:
                continue  # checked by _clean_id_number, which may warn
            # The label stays lazy: messages are in the language of the request that reads them.
            plan[model_field.name] = (
                model_field.verbose_name,
                _cleaner_for(model_field),
                _empty_value(model, model_field.name),
            )
        _PLANS[model] = plan
    return plan


def _clean_fields(
    model: type[models.Model],
    raw: dict[str, Any],
    result: Cleaned,
    known_area_codes: Container[str] | None,
) -> dict[str, IdNumber]:
    """Clean every known field of `raw` into `result`; the parsed ID numbers by field."""
    plan = _plan(model)
    parsed: dict[str, IdNumber] = {}
    for name, value in raw.items():
        if name in ID_NUMBER_FIELDS:
            if hasattr(model, name):
                number = _clean_id_number(model, name, value, result, known_area_codes)
                if number is not None:
                    parsed[name] = number
            continue
        entry = plan.get(name)
        if entry is None:
            continue
        label, cleaner, empty = entry
        if is_blank(value):
            result.data[name] = list(empty) if isinstance(empty, list) else empty
            continue
        try:
            result.data[name] = cleaner(label, value)
        except Invalid as exc:
            result.error(name, value, str(exc))
    return parsed


def _empty_value(model: type[models.Model], name: str) -> Any:
    model_field = model._meta.get_field(name)
    if model_field.null or model_field.is_relation:
        return None
    if isinstance(model_field, models.JSONField):
        return []
    if isinstance(model_field, models.BooleanField):
        return False
    return ""


def _clean_id_number(
    model: type[models.Model],
    name: str,
    value: Any,
    result: Cleaned,
    known_area_codes: Container[str] | None,
) -> IdNumber | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        result.data[name] = ""
        return None
    try:
        parsed = parse_id_number(value)
    except ValueError as exc:
        result.error(name, value, f"{_label(model, name)}：{exc}")
        return None
    result.data[name] = parsed.value
    if known_area_codes is not None and parsed.area_code not in known_area_codes:
        result.warn(
            name,
            value,
            _("%(field)s %(value)s 的地区码 %(area)s 不在现行行政区划中（可能是旧代码）")
            % {"field": _label(model, name), "value": parsed.value, "area": parsed.area_code},
        )
    return parsed


def _require(model: type[models.Model], raw: dict, result: Cleaned, names: Iterable[str]) -> None:
    """Required fields: missing or empty is an error (unless already reported)."""
    reported = {i.field for i in result.issues}
    for name in names:
        if name in reported:
            continue
        if is_blank(result.data.get(name, raw.get(name))):
            result.error(
                name, raw.get(name), _("%(field)s为必填项") % {"field": _label(model, name)}
            )


def _clean_location(model: type[models.Model], raw: dict, result: Cleaned, crs: str | None) -> None:
    """Both coordinates or neither; in range; converted from GCJ-02 or BD-09 when asked."""
    if "lng" not in raw and "lat" not in raw:
        return
    lng, lat = result.data.get("lng"), result.data.get("lat")
    if any(i.field in ("lng", "lat") for i in result.issues):
        return
    if lng is None or lat is None:
        if lng is None and lat is None:
            return
        missing = "lat" if lat is None else "lng"
        result.error(
            missing,
            raw.get(missing),
            _("经度和纬度应同时填写或同时留空：缺少%(field)s") % {"field": _label(model, missing)},
        )
        return
    if not in_wgs84_range(lng, lat):
        result.error(
            "lng" if not -180 <= lng <= 180 else "lat",
            raw.get("lng") if not -180 <= lng <= 180 else raw.get("lat"),
            _("坐标超出范围：经度 %(lng)s（-180 至 180），纬度 %(lat)s（-90 至 90）")
            % {"lng": lng, "lat": lat},
        )
        return
    crs = crs or raw.get("crs") or Crs.WGS84
    try:
        result.data["lng"], result.data["lat"] = to_wgs84(lng, lat, str(crs).strip().lower())
    except ValueError:
        result.error(
            "crs",
            crs,
            _("坐标系“%(value)s”不可用（wgs84、gcj02 或 bd09）") % {"value": crs},
        )


# --- the kinds ------------------------------------------------------------------------------


def person_rules(data: dict[str, Any], *, parsed: IdNumber | None = None) -> list[FieldIssue]:
    """Rules across a person's fields, on the whole record (also after a partial update).

    Sex and birth date agree with the ID number; a floating person has an inflow reason and a
    residence type; an overseas person has a nationality and a document number.
    """
    issues: list[FieldIssue] = []
    id_number = data.get("id_number") or ""
    if id_number:
        if parsed is None or parsed.value != id_number:
            try:
                parsed = parse_id_number(id_number)
            except ValueError:
                parsed = None
        if parsed is not None:
            sex = data.get("sex")
            if sex and sex != Sex.UNKNOWN and sex != parsed.sex:
                issues.append(
                    FieldIssue(
                        "sex",
                        sex,
                        _("性别“%(sex)s”与身份证号 %(id)s 所示的“%(derived)s”不一致")
                        % {
                            "sex": Sex(sex).label,
                            "id": parsed.value,
                            "derived": Sex(parsed.sex).label,
                        },
                    )
                )
            birth = data.get("birth_date")
            if birth and birth != parsed.birth_date:
                issues.append(
                    FieldIssue(
                        "birth_date",
                        birth,
                        _("出生日期 %(date)s 与身份证号 %(id)s 所示的 %(derived)s 不一致")
                        % {
                            "date": birth.isoformat(),
                            "id": parsed.value,
                            "derived": parsed.birth_date.isoformat(),
                        },
                    )
                )
    birth = data.get("birth_date")
    if isinstance(birth, dt.date) and birth > dt.date.today():
        issues.append(
            FieldIssue(
                "birth_date",
                birth,
                _("出生日期 %(date)s 晚于今天") % {"date": birth.isoformat()},
            )
        )
    population_type = data.get("population_type") or PopulationType.REGISTERED
    needs: tuple[str, ...] = ()
    if population_type == PopulationType.FLOATING:
        needs = ("inflow_reason", "residence_type")
    elif population_type == PopulationType.OVERSEAS:
        needs = ("nationality", "document_number")
    for name in needs:
        if is_blank(data.get(name)):
            issues.append(
                FieldIssue(
                    name,
                    data.get(name),
                    _("%(type)s须填写%(field)s")
                    % {
                        "type": PopulationType(population_type).label,
                        "field": _label(Person, name),
                    },
                )
            )
    return issues


def clean_person(
    raw: dict[str, Any],
    *,
    partial: bool = False,
    known_area_codes: Container[str] | None = None,
) -> Cleaned:
    """A person's fields. Sex and birth date come from the ID number when there is one.

    `partial`: only the fields in `raw` are cleaned and nothing is required (an update); the
    services then check `person_rules` on the whole updated record.
    `known_area_codes`: 6-digit division codes; an ID number whose area code is not among
    them is a warning.
    """
    result = Cleaned()
    parsed = _clean_fields(Person, raw, result, known_area_codes).get("id_number")
    if parsed is not None:
        # Explicit sex and birth date must agree with the number, which then decides them.
        explicit = {
            "id_number": parsed.value,
            "sex": result.data.get("sex"),
            "birth_date": result.data.get("birth_date"),
        }
        result.issues.extend(person_rules(explicit, parsed=parsed))
        result.data["sex"] = parsed.sex
        result.data["birth_date"] = parsed.birth_date
    if not partial:
        _require(Person, raw, result, ("name",))
        result.data.setdefault("population_type", PopulationType.REGISTERED.value)
        result.data.setdefault("sex", Sex.UNKNOWN.value)
        reported = {i.field for i in result.issues}
        for issue in person_rules(result.data, parsed=parsed):
            if issue.field not in reported:
                result.issues.append(issue)
    elif "name" in raw:
        _require(Person, raw, result, ("name",))
    return result


def clean_house(
    raw: dict[str, Any],
    *,
    partial: bool = False,
    crs: str | None = None,
    known_area_codes: Container[str] | None = None,
) -> Cleaned:
    """A house's fields: code and address required, a point in range (converted to WGS-84
    from `crs` or raw["crs"]: gcj02 or bd09), area not negative, the owner's ID and phone."""
    result = Cleaned()
    _clean_fields(House, raw, result, known_area_codes)
    _clean_location(House, raw, result, crs)
    required = ("code", "address")
    _require(House, raw, result, required if not partial else [n for n in required if n in raw])
    return result


def clean_household(raw: dict[str, Any], *, partial: bool = False) -> Cleaned:
    """A household's fields: its number is required; its house is a reference."""
    result = Cleaned()
    _clean_fields(Household, raw, result, None)
    if not partial or "number" in raw:
        _require(Household, raw, result, ("number",))
    return result


def clean_unit(
    raw: dict[str, Any],
    *,
    partial: bool = False,
    crs: str | None = None,
    known_area_codes: Container[str] | None = None,
) -> Cleaned:
    """A unit's fields: name required, credit code (GB 32100) valid when given, a point."""
    result = Cleaned()
    _clean_fields(Unit, raw, result, known_area_codes)
    _clean_location(Unit, raw, result, crs)
    if not partial or "name" in raw:
        _require(Unit, raw, result, ("name",))
    return result


def clean_organisation(raw: dict[str, Any], *, partial: bool = False) -> Cleaned:
    """An organisation's fields: name and kind required, credit code valid when given."""
    result = Cleaned()
    _clean_fields(Organisation, raw, result, None)
    required = ("name", "kind")
    _require(
        Organisation, raw, result, required if not partial else [n for n in required if n in raw]
    )
    return result


CLEANERS: dict[str, Callable[..., Cleaned]] = {
    "person": clean_person,
    "house": clean_house,
    "household": clean_household,
    "unit": clean_unit,
    "organisation": clean_organisation,
}

__all__ = [
    "CLEANERS",
    "ERROR",
    "WARNING",
    "Cleaned",
    "FieldIssue",
    "choice_value",
    "clean_house",
    "clean_household",
    "clean_organisation",
    "clean_person",
    "clean_unit",
    "person_rules",
]
