"""The columns of each register kind's files: template, import and export share them.

A column is a model field, or a reference to another record by its code (`grid` by grid code,
`house` by house code, `household` by household number, `unit` by credit code, `region` by
region code). Headers are the Chinese labels; the English field names (and `grid_code`,
`house_code`...) are accepted as well, and so are the labels in the user's language. The data
catalogue adds one column per extra field, headed by its label.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from gezhi.registry.choices import PersonTag, RecordKind
from gezhi.registry.models import CatalogueField, House, Household, Organisation, Person, Unit

# References to other records, by the key a spreadsheet carries.
REFERENCES = ("grid", "house", "household", "unit", "region")
ID_NUMBER_COLUMNS = frozenset({"id_number", "owner_id_number", "legal_representative_id_number"})
EXTRA_PREFIX = "extra:"
# Header endings that mark a required column in hand-made templates: "姓名*".
REQUIRED_MARKS = ("*", "＊")


@dataclass(frozen=True)
class Column:
    """One column of a kind's file."""

    name: str  # key of the cleaned data: a model field, or one of REFERENCES, or "crs"
    label: Any  # the header (lazy, Chinese source)
    aliases: tuple[str, ...] = ()  # further names accepted in a header
    required: bool = False  # required for a new record
    text: bool = False  # codes, ID numbers, phones: text cells in templates, never numbers
    note: Any = ""  # how to fill it in
    choices: tuple[tuple[str, Any], ...] = ()  # (stored value, label)
    multiple: bool = False  # several choices in one cell, separated by 、
    export: str | None = ""  # the values() path to export ("" = name; None: not exported)

    @property
    def export_path(self) -> str | None:
        return None if self.export is None else (self.export or self.name)


@dataclass(frozen=True)
class Kind:
    """An importable kind: `gezhi import people` etc."""

    name: str  # the command's KIND
    record_kind: str  # RecordKind value (catalogue, audit actions)
    model: type[models.Model]
    columns: tuple[Column, ...]

    @property
    def title(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _field(model: type[models.Model], name: str, **options: Any) -> Column:
    """A column for a model field: its label and choices from the model."""
    model_field = model._meta.get_field(name)
    choices = tuple(getattr(model_field, "flatchoices", None) or ())
    options.setdefault("required", False)
    return Column(name, model_field.verbose_name, choices=choices, **options)


GRID = Column(
    "grid",
    _("网格代码"),
    aliases=("grid_code",),
    text=True,
    export="grid__code",
    note=_("15 位网格代码；不填则由位置或所属记录确定"),
)
DATE_NOTE = _("日期，如 2026-01-31")
POINT_NOTES = {
    "lng": _("经度（小数）；与纬度一起确定所属网格"),
    "lat": _("纬度（小数）"),
}
CRS = Column(
    "crs",
    _("坐标系"),
    note=_("经纬度的坐标系：wgs84（默认，即 CGCS2000）、gcj02（手机地图）或 bd09（百度）"),
    export=None,
)


def _people() -> tuple[Column, ...]:
    f = lambda name, **o: _field(Person, name, **o)  # noqa: E731
    return (
        f(
            "id_number",
            text=True,
            note=_("18 位，设为文本格式；新生儿、境外人员可留空，但须填写证件号码或户号"),
        ),
        f("name", required=True),
        f("former_name"),
        f("sex", note=_("有身份证号时由号码得出")),
        f("birth_date", note=_("有身份证号时由号码得出；日期，如 1980-01-31")),
        f("ethnicity", note=_("如 汉族、藏族")),
        f("phone", text=True, note=_("手机 11 位，或固定电话如 0513-12345678")),
        f("marital_status"),
        f("political_status"),
        f("education"),
        f("religion"),
        f("occupation"),
        f("workplace"),
        f("registered_address"),
        f("registered_region_code", text=True, note=_("6、9 或 12 位区划代码")),
        Column(
            "household",
            _("户号"),
            aliases=("household_number",),
            text=True,
            export="household__number",
            note=_("所在户的户号；户须已登记（先导入户）"),
        ),
        f("relation_to_head"),
        Column(
            "house",
            _("现住房屋编码"),
            aliases=("house_code",),
            text=True,
            export="house__code",
            note=_("现住房屋的编码；房屋须已登记（先导入房屋）"),
        ),
        f("current_address", note=_("不填则取现住房屋的地址")),
        f("population_type", note=_("不填为户籍人口")),
        f("inflow_reason", note=_("流动人口必填")),
        f("residence_type", note=_("流动人口必填")),
        f("arrived_on", note=DATE_NOTE),
        f("nationality", note=_("境外人员必填")),
        f("document_type"),
        f("document_number", text=True, note=_("境外人员必填")),
        f("stay_purpose"),
        f("stay_until", note=DATE_NOTE),
        Column(
            "tags",
            Person._meta.get_field("tags").verbose_name,
            choices=tuple((tag.value, tag.label) for tag in PersonTag),
            multiple=True,
            note=_("可填多个，用“、”分隔"),
        ),
        f("notes"),
        GRID,
    )


def _houses() -> tuple[Column, ...]:
    f = lambda name, **o: _field(House, name, **o)  # noqa: E731
    return (
        f("code", required=True, text=True, note=_("本县唯一的房屋编码")),
        f("address", required=True),
        f("building"),
        f("unit_no"),
        f("room"),
        f("lng", note=POINT_NOTES["lng"]),
        f("lat", note=POINT_NOTES["lat"]),
        CRS,
        f("use"),
        f("ownership"),
        f("rental_status"),
        f("owner_name"),
        f("owner_id_number", text=True, note=_("18 位，设为文本格式")),
        f("owner_phone", text=True),
        f("area_m2", note=_("数字，如 86.5")),
        f("hazards"),
        GRID,
    )


def _households() -> tuple[Column, ...]:
    f = lambda name, **o: _field(Household, name, **o)  # noqa: E731
    return (
        f("number", required=True, text=True, note=_("本县唯一的户号")),
        Column(
            "house",
            _("住址房屋编码"),
            aliases=("house_code",),
            text=True,
            export="house__code",
            note=_("住址房屋的编码；房屋须已登记"),
        ),
        f("address", note=_("不填则取房屋的地址")),
        GRID,
    )


def _units() -> tuple[Column, ...]:
    f = lambda name, **o: _field(Unit, name, **o)  # noqa: E731
    return (
        f("credit_code", text=True, note=_("18 位统一社会信用代码；没有的按名称和网格识别")),
        f("name", required=True),
        f("type"),
        f("address"),
        f("lng", note=POINT_NOTES["lng"]),
        f("lat", note=POINT_NOTES["lat"]),
        CRS,
        Column(
            "house",
            _("所在房屋编码"),
            aliases=("house_code",),
            text=True,
            export="house__code",
            note=_("所在房屋的编码；房屋须已登记"),
        ),
        f("legal_representative"),
        f("legal_representative_id_number", text=True, note=_("18 位，设为文本格式")),
        f("phone", text=True),
        f("employees", note=_("整数")),
        f("security_officer"),
        f("security_officer_phone", text=True),
        f("hazardous_chemicals", note=_("是 或 否")),
        f("hazardous_chemicals_note"),
        f("hazards"),
        GRID,
    )


def _organisations() -> tuple[Column, ...]:
    f = lambda name, **o: _field(Organisation, name, **o)  # noqa: E731
    return (
        f("name", required=True),
        f("kind", required=True),
        f("credit_code", text=True, note=_("18 位统一社会信用代码；没有的按名称和网格识别")),
        f("registration_number", text=True),
        f("registering_authority"),
        Column(
            "unit",
            _("依托单位信用代码"),
            aliases=("unit_credit_code",),
            text=True,
            export="unit__credit_code",
            note=_("依托单位的统一社会信用代码；单位须已登记"),
        ),
        Column(
            "region",
            _("所属区域代码"),
            aliases=("region_code",),
            text=True,
            export="region__code",
            note=_("组织所属的区域（如村党支部属于村）"),
        ),
        f("leader"),
        f("phone", text=True),
        f("members", note=_("整数")),
        f("address"),
        GRID,
    )


KINDS: dict[str, Kind] = {
    "people": Kind("people", RecordKind.PERSON, Person, _people()),
    "households": Kind("households", RecordKind.HOUSEHOLD, Household, _households()),
    "houses": Kind("houses", RecordKind.HOUSE, House, _houses()),
    "units": Kind("units", RecordKind.UNIT, Unit, _units()),
    "organisations": Kind("organisations", RecordKind.ORGANISATION, Organisation, _organisations()),
}


# --- headers ---------------------------------------------------------------------------------


def _header_keys(label: Any) -> set[str]:
    """A label as a header may carry it: in Chinese, in English, in the active language."""
    keys = {str(label).strip().lower()}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            keys.add(str(label).strip().lower())
    return keys


def _with_marks(keys: Iterable[str]) -> set[str]:
    return {variant for key in keys for variant in (key, *(key + mark for mark in REQUIRED_MARKS))}


@dataclass
class Header:
    """How a kind's headers map to columns: `aliases` for `read_table`, and which catalogue
    fields (by key) each catalogue column may stand for."""

    aliases: dict[str, str]
    catalogue: dict[str, list[str]]  # internal column name -> candidate field keys
    labels: dict[str, str]  # internal column name -> label to show in messages

    def known(self, name: str) -> bool:
        return name in self.labels


def header_for(kind: Kind) -> Header:
    """The header map of `kind`, with every active catalogue field of the kind as a column.

    A catalogue label that two regions use for different fields stands for both; each row
    takes the one that applies at its grid.
    """
    aliases: dict[str, str] = {}
    labels: dict[str, str] = {}
    for column in kind.columns:
        for key in _with_marks({column.name, *column.aliases, *_header_keys(column.label)}):
            aliases[key] = column.name
        labels[column.name] = str(column.label)
    catalogue: dict[str, list[str]] = {}
    fields = CatalogueField.objects.filter(kind=kind.record_kind, is_active=True).order_by(
        "order", "id"
    )
    for field in fields:
        for key in _with_marks({field.key.lower(), field.label.strip().lower()}):
            if key in aliases and not aliases[key].startswith(EXTRA_PREFIX):
                continue  # a model column keeps its name
            name = EXTRA_PREFIX + field.label.strip().lower()
            aliases.setdefault(key, name)
            candidates = catalogue.setdefault(aliases[key], [])
            if field.key not in candidates:
                candidates.append(field.key)
            labels.setdefault(aliases[key], field.label)
    return Header(aliases=aliases, catalogue=catalogue, labels=labels)
