"""Exporting register records (CSV or xlsx) and the import template of each kind.

Exports carry the same columns as the import template (so a file exported with the full
values imports back unchanged), then the catalogue's columns for the region asked for.
ID numbers, phones and document numbers are masked unless the exporting user may reveal them
at the record's grid, asks to, and gives a reason; sensitive tags (health, criminal record)
are left out on the same terms. A cell that a spreadsheet would read as a formula (`=`, `+`,
`-`, `@`...) is written with a leading quote. CSV is UTF-8 with a byte-order mark, so Excel
opens the Chinese as Chinese. Every export is an audit entry: who, which kind, which filter,
how many rows, revealed or not.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from types import SimpleNamespace
from typing import IO, Any

from django.utils.translation import gettext as _

from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import Scope, user_scope
from gezhi.core.audit import audit_record
from gezhi.core.errors import DomainError, InvalidInput, NotFound
from gezhi.core.importexport import spreadsheet_safe
from gezhi.lib.ethnicity import ethnicity_name
from gezhi.regions.models import Region
from gezhi.registry.catalogue import fields_within
from gezhi.registry.choices import SENSITIVE_TAGS, FieldType
from gezhi.registry.importexport.columns import Column, Kind
from gezhi.registry.models import CatalogueField
from gezhi.registry.services.base import SENSITIVE_FIELDS, masked

EVERYWHERE = Scope(everywhere=True, paths=())
EXPORT_FORMATS = ("csv", "xlsx")
TEMPLATE_ROWS = 1000  # rows of the template formatted as text in the text columns


# --- what to export -------------------------------------------------------------------------


def export_scope(actor) -> Scope:
    """Where `actor` may export (the system, without an actor, everywhere)."""
    if actor is None:
        return EVERYWHERE
    return user_scope(actor, Action.REGISTRY_EXPORT)


def _overlaps(scope: Scope, region: Region) -> bool:
    return scope.covers(region.path) or any(p.startswith(region.path) for p in scope.paths)


def export_region(actor, code: str | None) -> Region | None:
    """The region to export (None for the whole scope); NotFound if missing or out of scope."""
    if not code:
        return None
    region = Region.objects.filter(code=code.strip()).first()
    if region is None or not _overlaps(export_scope(actor), region):
        raise NotFound(_("区域 {code} 不存在").format(code=code))
    return region


def catalogue_columns(kind: Kind, scope: Scope, region: Region | None) -> list[CatalogueField]:
    """The catalogue fields a file for `region` (or for the whole scope) carries."""
    if region is not None:
        return fields_within(kind.record_kind, region.path)
    if scope.everywhere:
        return list(
            CatalogueField.objects.filter(kind=kind.record_kind, is_active=True).order_by(
                "order", "id"
            )
        )
    found: dict[int, CatalogueField] = {}
    for path in scope.paths:
        for field in fields_within(kind.record_kind, path):
            found.setdefault(field.pk, field)
    return sorted(found.values(), key=lambda f: (f.order, f.pk))


def _unique_by_label(fields: Iterable[CatalogueField]) -> list[CatalogueField]:
    """One column per label (two regions may define the same field): the first one kept."""
    seen: set[str] = set()
    kept = []
    for field in fields:
        if field.label not in seen:
            seen.add(field.label)
            kept.append(field)
    return kept


def export_queryset(kind: Kind, *, actor, region: Region | None, filters: Mapping | None):
    """The records to export: the actor's export scope, the region, the list's filters."""
    query = kind.model._default_manager.filter(export_scope(actor).q("grid_path"))
    if region is not None:
        query = query.filter(grid_path__startswith=region.path)
    if filters:
        # The list pages' own filters, so an export holds what the list showed.
        from gezhi.registry.filters import FILTERSETS

        request = SimpleNamespace(user=actor)
        filterset = FILTERSETS[kind.model](data=filters, queryset=query, request=request)
        query = filterset.qs if filterset.is_valid() else query.none()
    return query.order_by("grid_path", "pk")


# --- values as a spreadsheet shows them -----------------------------------------------------


def _formatter(column: Column):
    """Stored value -> cell value (labels for choices, 是/否, ISO dates, codes as text)."""
    if column.name == "ethnicity":
        return lambda value: ethnicity_name(value) if value else ""
    if column.name == "tags":
        labels = {value: str(label) for value, label in column.choices}
        return lambda value: "、".join(labels.get(tag, tag) for tag in value or [])
    if column.choices:
        labels = {value: str(label) for value, label in column.choices}
        return lambda value: labels.get(value, value or "")
    return _plain


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return value


def _extra_cell(field: CatalogueField, value: Any) -> Any:
    """A catalogue value as the import reads it back: 是/否, choices joined with 、."""
    if value is None or value == "" or value == []:
        return ""
    if field.type == FieldType.BOOLEAN:
        return _("是") if value else _("否")
    if field.type == FieldType.MULTI_CHOICE:
        return "、".join(str(v) for v in value)
    return value


def export_rows(
    kind: Kind, query, *, columns: list[Column], extra: list[CatalogueField], reveal: Scope | None
) -> Iterator[list[Any]]:
    """The cells of each record; `reveal`: where the full values may be shown (None: nowhere)."""
    paths = [column.export_path for column in columns]
    formatters = [_formatter(column) for column in columns]
    sensitive = [column.name in SENSITIVE_FIELDS for column in columns]
    tags_at = next((i for i, column in enumerate(columns) if column.name == "tags"), None)
    rows = query.values_list(*paths, "grid_path", "extra")
    for values in rows.iterator(chunk_size=2000):
        shown = reveal is not None and reveal.covers(values[-2])
        cells = []
        for index, value in enumerate(values[:-2]):
            if sensitive[index] and not shown:
                value = masked(columns[index].name, value or "")
            elif index == tags_at and not shown:
                value = [tag for tag in value or [] if tag not in SENSITIVE_TAGS]
            cells.append(spreadsheet_safe(formatters[index](value)))
        stored = values[-1] or {}
        cells.extend(spreadsheet_safe(_extra_cell(f, stored.get(f.key))) for f in extra)
        yield cells


def export_records(
    kind: Kind,
    stream: IO[bytes],
    *,
    fmt: str = "csv",
    region: str | None = None,
    actor=None,
    reveal: bool = False,
    reason: str = "",
    filters: Mapping | None = None,
) -> int:
    """Write the records of `kind` the actor may export to `stream`; return the row count.

    `reveal` asks for full ID numbers and phones: the actor needs `personal_data.reveal` (at
    least somewhere; rows outside it stay masked) and a reason. The export is audited.
    """
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(_("不支持的格式 {fmt}").format(fmt=fmt), field="format")
    scope = export_scope(actor)
    if scope.empty:
        raise DomainError(_("无权导出登记数据"), code="forbidden")
    reveal_scope = None
    reason = (reason or "").strip()
    if reveal:
        if actor is None:
            raise InvalidInput(_("导出完整个人信息须指定导出人（--actor）"), field="actor")
        reveal_scope = user_scope(actor, Action.PERSONAL_DATA_REVEAL)
        if reveal_scope.empty:
            raise DomainError(_("无权查看完整个人信息，只能导出脱敏数据"), code="forbidden")
        if not reason:
            raise InvalidInput(_("导出完整个人信息须填写事由"), field="reason")
    place = export_region(actor, region)
    query = export_queryset(kind, actor=actor, region=place, filters=filters)
    columns = [column for column in kind.columns if column.export_path is not None]
    extra = _unique_by_label(catalogue_columns(kind, scope, place))
    header = [str(column.label) for column in columns] + [field.label for field in extra]
    rows = export_rows(kind, query, columns=columns, extra=extra, reveal=reveal_scope)
    if fmt == "csv":
        count = write_csv(stream, header, rows)
    else:
        text_columns = [column.text for column in columns] + [False] * len(extra)
        count = write_sheet(stream, kind.title, header, rows, text_columns)
    revealed_rows = 0
    if reveal_scope is not None:
        revealed_rows = query.filter(reveal_scope.q("grid_path")).count()
    audit_record(
        actor=actor,
        action=f"{kind.record_kind}.export",
        object_type=kind.model._meta.label_lower,
        object_repr=kind.name,
        after={
            "kind": kind.name,
            "format": fmt,
            "region": place.code if place else None,
            "filters": {k: v for k, v in (filters or {}).items() if v not in ("", None)},
            "rows": count,
            "revealed": reveal_scope is not None,
            "revealed_rows": revealed_rows,
        },
        reason=reason,
    )
    return count


def write_csv(stream: IO[bytes], header: list[str], rows: Iterable[list[Any]]) -> int:
    """UTF-8 with a byte-order mark: Excel opens it with the Chinese intact."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    text.flush()
    text.detach()
    return count


def write_sheet(
    stream: IO[bytes],
    title: str,
    header: list[str],
    rows: Iterable[list[Any]],
    text_columns: list[bool],
) -> int:
    """One sheet, written as it streams (a county's people fit in little memory); codes and
    ID numbers are text cells, so Excel keeps every digit."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for index, name in enumerate(header, start=1):
        width = len(name.encode("gbk", "replace")) + 4
        if index <= len(text_columns) and text_columns[index - 1]:
            width = max(width, 20)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width, 8), 40)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    count = 0
    for row in rows:
        sheet.append(row)
        count += 1
    book.save(stream)
    return count


# --- the import template --------------------------------------------------------------------


def _allowed(column: Column) -> list[str]:
    if column.name == "ethnicity":
        from gezhi.registry.models import ETHNICITY_CHOICES

        return [name for _code, name in ETHNICITY_CHOICES]
    return [str(label) for _value, label in column.choices]


def write_template(
    kind: Kind, stream: IO[bytes], *, actor=None, region: Region | None = None
) -> None:
    """The xlsx template of `kind`: the header (required columns in red), a note on every
    header cell, text format on the code, ID and phone columns, drop-down lists for choices,
    the catalogue's columns for the user's region, and a sheet 填写说明 explaining each column.
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    scope = EVERYWHERE if actor is None else user_scope(actor, Action.REGISTRY_IMPORT)
    extra = _unique_by_label(catalogue_columns(kind, scope, region))
    book = Workbook()
    sheet = book.active
    sheet.title = kind.title[:31]
    guide = book.create_sheet(_("填写说明"))
    lists = book.create_sheet(_("选项"))
    lists.sheet_state = "hidden"
    guide.append([_("列名"), _("字段"), _("必填"), _("说明"), _("可选值")])

    entries: list[tuple[str, str, bool, str, list[str], bool]] = []
    for column in kind.columns:
        entries.append(
            (
                str(column.label),
                column.name
                if column.name not in ("grid", "house", "household", "unit", "region")
                else {
                    "grid": "grid_code",
                    "house": "house_code",
                    "household": "household_number",
                    "unit": "unit_credit_code",
                    "region": "region_code",
                }[column.name],
                column.required,
                str(column.note),
                _allowed(column),
                column.text,
            )
        )
    for field in extra:
        note = field.help_text
        kind_text = str(FieldType(field.type).label)
        if field.unit:
            kind_text += _("（单位：{unit}）").format(unit=field.unit)
        options = [str(o) for o in field.choices]
        if field.type == FieldType.BOOLEAN:
            options = [_("是"), _("否")]
        text = "；".join(part for part in (_("数据目录字段"), kind_text, note) if part)
        if field.type == FieldType.MULTI_CHOICE:
            text += "；" + _("可填多个，用“、”分隔")
        entries.append((field.label, field.key, field.required, text, options, False))

    red = Font(bold=True, color="C00000")
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="F2F2F2")
    for index, (label, name, required, note, options, text) in enumerate(entries, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=label)
        cell.font = red if required else bold
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center")
        remark = [_("必填") if required else _("选填")]
        if note:
            remark.append(note)
        if options:
            shown = "、".join(options[:20]) + ("……" if len(options) > 20 else "")
            remark.append(_("可选：{options}").format(options=shown))
        cell.comment = Comment("\n".join(remark), _("格治"), width=260, height=120)
        width = max(len(label.encode("gbk", "replace")) + 4, 20 if text else 10)
        sheet.column_dimensions[letter].width = min(width, 40)
        if text:
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = "@"
        if options and len(options) > 1 and name != "tags" and not _is_multi(extra, name):
            lists.cell(row=1, column=index, value=label)
            for position, option in enumerate(options, start=2):
                lists.cell(row=position, column=index, value=option)
            source = f"'{lists.title}'!${letter}$2:${letter}${len(options) + 1}"
            validation = DataValidation(type="list", formula1=source, allow_blank=True)
            validation.error = _("请从下拉列表中选择")
            validation.showErrorMessage = False  # a value typed in English is accepted too
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
        guide.append([label, name, _("是") if required else _("否"), note, "、".join(options)])
    sheet.freeze_panes = "A2"
    for cell in guide[1]:
        cell.font = bold
    for letter, width in zip("ABCDE", (18, 30, 6, 60, 60), strict=True):
        guide.column_dimensions[letter].width = width
    book.save(stream)


def _is_multi(extra: list[CatalogueField], key: str) -> bool:
    return any(f.key == key and f.type == FieldType.MULTI_CHOICE for f in extra)
