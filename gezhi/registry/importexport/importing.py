"""Importing register files: check every row in memory, then write in one transaction.

The steps, each in bulk (one query per chunk, never one per row):

1. read the file (`read_table`), map the headers to columns and catalogue fields;
2. find the records the rows stand for, by their natural keys (people by ID number, else by
   document number, else by household and name; houses by code; households by number; units
   and organisations by credit code, else by name and grid);
3. check each row's fields with `registry.validation` (the rules of every other write path),
   its references (house codes, household numbers...), its grid (the `grid` column, else the
   point through the spatial index for the whole file at once, else the record it hangs on),
   the importing user's scope (`registry.import`) and its catalogue values;
4. plan: new records, changed records, unchanged ones.

New records are inserted in bulk and share one `<kind>.import` audit entry (decision 005);
changed records go through the kind's update service, which audits each change (and moves
the record between grids as history). An import that changes nothing writes nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import (
    IntegrityError,
    connection,
    models,
    transaction,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import Scope, user_scope
from gezhi.core.audit import audit_record
from gezhi.core.errors import DomainError
from gezhi.core.importexport import (
    EXTRA_CELLS,
    FileError,
    ImportResult,
    RowError,
    read_table,
    spreadsheet_unescape,
)
from gezhi.lib.divisions import current_area_codes
from gezhi.regions.models import Region
from gezhi.registry.catalogue import clean_extra, fields_for
from gezhi.registry.choices import RelationToHead
from gezhi.registry.importexport.bulk import insert_rows
from gezhi.registry.importexport.columns import (
    EXTRA_PREFIX,
    ID_NUMBER_COLUMNS,
    REFERENCES,
    Header,
    Kind,
    header_for,
)
from gezhi.registry.importexport.matching import EXISTING_FINDERS, LOOKUP_CHUNK, chunks
from gezhi.registry.models import CatalogueField, House, Household, Person, Unit
from gezhi.registry.validation import CLEANERS, WARNING, Cleaned

SYSTEM = Scope(everywhere=True, paths=())
# An ID number Excel has turned into a number and a CSV has kept as "1.10105E+17".
SCIENTIFIC_RE = re.compile(r"\d(\.\d+)?[eE]\+?\d+")

# Fields of a stored record that matching and the checks read, whatever the file gives.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "people": (
        "id_number",
        "document_type",
        "document_number",
        "household",
        "relation_to_head",
    ),
    "households": ("number",),
    "houses": ("code",),
    "units": ("credit_code",),
    "organisations": ("credit_code",),
}
# How a reference column is looked up: the model and the field its text names.
REFERENCE_KEYS: dict[str, tuple[type[models.Model], str]] = {
    "house": (House, "code"),
    "household": (Household, "number"),
    "unit": (Unit, "credit_code"),
}
# Fields of each referenced record the import needs (grid, and the address new records take).
REFERENCE_VALUES = ("id", "grid_id", "grid_path", "address")


class Rollback(Exception):
    """Raised inside the write transaction to undo it: a changed record was refused."""


@dataclass(slots=True)
class Row:
    """One line of the file on its way through the checks."""

    number: int
    raw: dict[str, Any]  # model columns: the non-empty cells
    extra_raw: dict[str, str]  # catalogue columns: the non-empty cells
    existing: dict[str, Any] | None = None  # the stored record it stands for (values)
    data: dict[str, Any] = field(default_factory=dict)  # cleaned
    refs: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    grid: Region | None = None  # the grid a new record goes to, or an explicit new grid
    extra: dict[str, Any] = field(default_factory=dict)  # cleaned catalogue values
    changes: dict[str, Any] = field(default_factory=dict)
    extra_changes: dict[str, Any] = field(default_factory=dict)
    bad: bool = False


@dataclass
class Plan:
    creates: list[Row] = field(default_factory=list)
    updates: list[Row] = field(default_factory=list)
    unchanged: list[Row] = field(default_factory=list)
    heads: dict[int, Row] = field(default_factory=dict)  # household id -> the head's row


class RegistryImport:
    """One import of one file of one kind; `run()` checks, plans and (unless told not to)
    writes."""

    def __init__(self, kind: Kind, path: Path, *, actor=None, dry_run=False, skip_invalid=False):
        self.kind = kind
        self.model = kind.model
        self.path = path
        self.actor = actor
        self.dry_run = dry_run
        self.skip_invalid = skip_invalid
        self.errors: list[RowError] = []
        self.warnings: list[RowError] = []
        self.header: Header = header_for(kind)
        self.columns: dict[str, str] = {}  # internal column name -> header as in the file
        self.scope = SYSTEM if actor is None else user_scope(actor, Action.REGISTRY_IMPORT)
        self.view_scope = SYSTEM if actor is None else user_scope(actor, Action.REGISTRY_VIEW)
        self.grids: dict[str, Region] = {}  # by code
        self.grids_by_id: dict[int, Region] = {}
        self.catalogue_fields: dict[str, list[CatalogueField]] = {}  # by grid path
        self.head_rows: dict[int, Row] = {}  # household id -> the row naming its head
        self._stored_fields: list[str] | None = None
        self.today = timezone.localdate()

    # --- reporting ----------------------------------------------------------------------

    def column_title(self, name: str) -> str:
        """The header a message names: as the file wrote it, else the column's label."""
        return self.columns.get(name) or self.header.labels.get(name) or name

    def error(self, row: Row | None, name: str, value: Any, message: str) -> None:
        number = row.number if row else 1
        text = "" if value is None else str(value)
        self.errors.append(RowError(number, self.column_title(name) if name else "", text, message))
        if row is not None:
            row.bad = True

    def issues(self, row: Row, cleaned: Cleaned) -> None:
        for issue in cleaned.issues:
            target = self.warnings if issue.severity == WARNING else self.errors
            value = "" if issue.value is None else str(issue.value)
            target.append(
                RowError(row.number, self.column_title(issue.field), value, issue.message)
            )
            if issue.severity != WARNING:
                row.bad = True

    # --- the run ------------------------------------------------------------------------

    def run(self) -> ImportResult:
        if self.scope.empty:
            message = _("您没有在任何区域导入登记数据的权限")
            return ImportResult(errors=[RowError(0, "", self.path.name, message)])
        rows = self.read()
        plan = Plan()
        if rows:
            self.find_existing(rows)
            self.clean(rows)
            self.resolve_references(rows)
            self.place(rows)
            self.match_by_name(rows)
            self.check_catalogue(rows)
            self.check_duplicates(rows)
            plan = self.plan(rows)
        self.errors.sort(key=lambda error: error.row)
        self.warnings.sort(key=lambda warning: warning.row)
        result = ImportResult(
            created=len(plan.creates),
            updated=len(plan.updates),
            unchanged=len(plan.unchanged),
            errors=self.errors,
            warnings=self.warnings,
        )
        if self.dry_run or (self.errors and not self.skip_invalid):
            return result
        if not (plan.creates or plan.updates or plan.heads):
            return result
        try:
            self.write(plan, rows=len(rows), result=result)
        except (Rollback, IntegrityError) as exc:
            if isinstance(exc, IntegrityError):
                # Someone registered the same key between the check and the write.
                message = _("导入期间有人登记了相同的记录（如同一身份证号），请重新导入")
                self.errors.append(RowError(0, "", self.path.name, message))
            result.created = result.updated = 0
            result.unchanged = len(plan.unchanged)
            result.errors = sorted(self.errors, key=lambda error: error.row)
            return result
        result.errors = sorted(self.errors, key=lambda error: error.row)
        result.written = True
        return result

    # --- 1. reading ---------------------------------------------------------------------

    def read(self) -> list[Row]:
        id_columns = [c.name for c in self.kind.columns if c.name in ID_NUMBER_COLUMNS]
        titles: list[str] = []
        try:
            header, table = read_table(
                self.path, self.header.aliases, keep_numbers=id_columns, titles=titles
            )
        except FileError as exc:
            self.errors.append(RowError(0, "", self.path.name, str(exc)))
            return []
        if not header:
            self.errors.append(RowError(1, "", "", _("文件为空，第一行应为表头")))
            return []
        for position, name in enumerate(header):
            title = titles[position] if position < len(titles) else name
            if not name:
                # Spreadsheets often carry empty formatted columns after the last one.
                if any(values.get("") for _number, values in table):
                    message = _("有内容的列没有表头：请在第一行填写列名")
                    self.errors.append(RowError(1, "", "", message))
                continue
            if not self.header.known(name):
                message = _("未知列“{column}”：请使用模板中的列名").format(
                    column=title or _("（空）")
                )
                self.errors.append(RowError(1, title, title, message))
            elif name in self.columns:
                message = _("列“{column}”重复").format(column=title)
                self.errors.append(RowError(1, title, title, message))
            else:
                self.columns[name] = title
        if any(error.row <= 1 for error in self.errors):
            return []
        model_columns = [name for name in self.columns if not name.startswith(EXTRA_PREFIX)]
        extra_columns = [name for name in self.columns if name.startswith(EXTRA_PREFIX)]
        rows = []
        for number, values in table:
            row = Row(number, {}, {})
            if extra := values.get(EXTRA_CELLS):
                message = _("本行比表头多出几列（{extra}）；内容中若有逗号，请用双引号括起").format(
                    extra=extra
                )
                self.error(row, "", extra, message)
            raw = row.raw
            for name in model_columns:
                value = values[name]
                if value == "":
                    continue
                if value.__class__ is str:
                    if value[0] == "'":
                        value = spreadsheet_unescape(value)
                    if name in id_columns and SCIENTIFIC_RE.fullmatch(value):
                        value = float(value)  # refused as a number, with the reason
                raw[name] = value
            for name in extra_columns:
                value = values[name]
                if value:
                    row.extra_raw[name] = spreadsheet_unescape(value)
            rows.append(row)
        return rows

    # --- 2. existing records ------------------------------------------------------------

    def stored_fields(self) -> list[str]:
        """The fields of stored records the checks compare: those the file gives (and what
        they derive), the keys, the grid and the catalogue values."""
        attnames = {f.name: f.attname for f in self.model._meta.concrete_fields}
        wanted = {"id", "grid", "grid_path", "extra", "name", *KEY_FIELDS.get(self.kind.name, ())}
        for name in self.columns:
            if name.startswith(EXTRA_PREFIX) or name == "crs":
                continue
            wanted.add(name)
            if name in ("lng", "lat"):
                wanted.update(("lng", "lat"))
            if name == "id_number":
                wanted.update(("sex", "birth_date"))
        return sorted(attnames[name] for name in wanted if name in attnames)

    def stored(self, **lookup: Any) -> list[dict[str, Any]]:
        if self._stored_fields is None:
            self._stored_fields = self.stored_fields()
        query = self.model._default_manager.filter(**lookup)
        return list(query.values(*self._stored_fields))

    def find_existing(self, rows: list[Row]) -> None:
        """Match rows to stored records by the keys the raw cells give (before cleaning, so
        that a row for an existing record is cleaned as a partial update)."""
        finder = EXISTING_FINDERS.get(self.kind.name)
        if finder is not None:
            finder(self, rows)

    # --- 3. checks ----------------------------------------------------------------------

    def clean(self, rows: list[Row]) -> None:
        cleaner = CLEANERS[self.kind.record_kind]
        options: dict[str, Any] = {}
        if any(c.name in ID_NUMBER_COLUMNS for c in self.kind.columns):
            options["known_area_codes"] = self.known_area_codes()
        for row in rows:
            cleaned = cleaner(row.raw, partial=row.existing is not None, **options)
            row.data = cleaned.data
            if cleaned.issues:
                self.issues(row, cleaned)

    def known_area_codes(self) -> frozenset[str]:
        current = current_area_codes()
        if not current:
            return frozenset()  # no list to compare with: no warnings rather than all
        ours = Region.objects.filter(level__in=("province", "city", "county")).values_list(
            "code", flat=True
        )
        return current | frozenset(ours)

    def load_grids(self, codes: Iterable[str] = (), ids: Iterable[int] = ()) -> None:
        codes = {c for c in codes if c not in self.grids}
        ids = {i for i in ids if i not in self.grids_by_id}
        found: list[Region] = []
        for chunk in chunks(codes):
            found.extend(Region.objects.filter(code__in=chunk))
        for chunk in chunks(ids):
            found.extend(Region.objects.filter(pk__in=chunk))
        for region in found:
            self.grids[region.code] = region
            self.grids_by_id[region.pk] = region

    def grid_problem(self, region: Region) -> str | None:
        """Why records cannot be placed in `region` (the rules of `resolve_grid`), or None."""
        if not region.is_grid:
            return _("%(region)s不是网格：记录只能归属网格") % {"region": region}
        if region.valid_to is not None and region.valid_to <= self.today:
            return _("网格%(region)s已停用") % {"region": region}
        return None

    def resolve_references(self, rows: list[Row]) -> None:
        """House codes, household numbers, unit credit codes, region and grid codes: one
        query per chunk; a record the user cannot see is answered as missing."""
        present = [name for name in REFERENCES if name in self.columns]
        wanted: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            for name in present:
                value = row.data.get(name)
                if value:
                    wanted[name].add(str(value))
        found: dict[str, dict[str, dict[str, Any]]] = {}
        for name, (model, key) in REFERENCE_KEYS.items():
            found[name] = {}
            for chunk in chunks(wanted.get(name, ())):
                query = model._default_manager.filter(**{f"{key}__in": chunk})
                for values in query.values(key, *REFERENCE_VALUES):
                    if self.view_scope.covers(values["grid_path"]):
                        found[name][values[key]] = values
        regions: dict[str, Region] = {}
        for chunk in chunks(wanted.get("region", ())):
            regions.update((r.code, r) for r in Region.objects.filter(code__in=chunk))
        self.load_grids(codes=wanted.get("grid", ()))
        region_scope = SYSTEM if self.actor is None else user_scope(self.actor, Action.REGION_VIEW)
        for row in rows:
            for name in present:
                value = row.data.get(name)
                if not value:
                    continue
                if name in REFERENCE_KEYS:
                    record = found[name].get(str(value))
                    if record is None:
                        model = REFERENCE_KEYS[name][0]
                        message = _("%(kind)s“%(value)s”不存在") % {
                            "kind": model._meta.verbose_name,
                            "value": value,
                        }
                        self.error(row, name, value, message)
                    row.refs[name] = record
                elif name == "region":
                    region = regions.get(str(value))
                    if region is None or not region_scope.covers(region.path):
                        self.error(row, name, value, _("区域 %(code)s 不存在") % {"code": value})
                        continue
                    row.refs[name] = {"id": region.pk, "region": region}
                else:
                    grid = self.grids.get(str(value))
                    if grid is None:
                        self.error(row, name, value, _("网格 %(code)s 不存在") % {"code": value})
                        continue
                    if problem := self.grid_problem(grid):
                        self.error(row, name, value, problem)
                        continue
                    row.grid = grid

    def place(self, rows: list[Row]) -> None:
        """The grid of every new record: the `grid` column, else its point (all points of the
        file located at once), else the record it hangs on. Rows outside the user's scope are
        refused."""
        pointed = [
            row
            for row in rows
            if not row.bad
            and row.existing is None
            and row.grid is None
            and row.data.get("lng") is not None
            and row.data.get("lat") is not None
        ]
        if pointed:
            from gezhi.regions.geoindex import get_index

            index = get_index()
            positions = index.grids.locate_many(
                [row.data["lng"] for row in pointed], [row.data["lat"] for row in pointed]
            )
            codes = [index.grids.codes[p] if p >= 0 else None for p in positions]
            self.load_grids(codes=[c for c in codes if c])
            for row, code in zip(pointed, codes, strict=True):
                if code is not None:
                    row.grid = self.grids[code]
                else:
                    message = _("坐标（%(lng).6f, %(lat).6f）不在任何网格内，请填写网格代码") % {
                        "lng": row.data["lng"],
                        "lat": row.data["lat"],
                    }
                    self.error(row, "lng", row.raw.get("lng"), message)
        hung = [row for row in rows if not row.bad and row.grid is None and row.existing is None]
        grid_ids = {
            ref["grid_id"]
            for row in hung
            for name, ref in row.refs.items()
            if ref and name != "region"
        }
        self.load_grids(ids=grid_ids)
        for row in hung:
            row.grid = self.grid_from_references(row)
            if row.grid is None:
                self.error(row, "grid", "", self.no_grid_message())
        for row in rows:
            if row.bad:
                continue
            if row.existing is not None and not self.scope.covers(row.existing["grid_path"]):
                message = _("该记录所在网格不在您的导入范围内，不能通过导入修改")
                self.error(row, self.key_column(), self.key_text(row), message)
            elif row.grid is not None and not self.scope.covers(row.grid.path):
                message = _("网格 %(code)s（%(name)s）不在您的导入范围内") % {
                    "code": row.grid.code,
                    "name": row.grid.name,
                }
                self.error(row, "grid", row.grid.code, message)

    def grid_from_references(self, row: Row) -> Region | None:
        """The grid of the record a new row hangs on, in the services' order."""
        order = {
            "people": ("house", "household"),
            "households": ("house",),
            "units": ("house",),
            "organisations": ("unit",),
        }.get(self.kind.name, ())
        for name in order:
            ref = row.refs.get(name)
            if ref:
                return self.grids_by_id.get(ref["grid_id"])
        region = (row.refs.get("region") or {}).get("region")
        if self.kind.name == "organisations" and region is not None and region.is_grid:
            return region
        return None

    def no_grid_message(self) -> str:
        return {
            "people": _("无法确定所属网格：请填写网格代码、现住房屋编码或户号"),
            "households": _("无法确定所属网格：请填写网格代码或住址房屋编码"),
            "houses": _("无法确定所属网格：请填写网格代码或经纬度"),
            "units": _("无法确定所属网格：请填写网格代码、经纬度或所在房屋编码"),
            "organisations": _("无法确定所属网格：请填写网格代码、依托单位或所属网格"),
        }[self.kind.name]

    def check_catalogue(self, rows: list[Row]) -> None:
        """Catalogue values against the fields that apply at each row's grid."""
        required = CatalogueField.objects.filter(
            kind=self.kind.record_kind, is_active=True, required=True
        ).exists()
        if not (self.header.catalogue or required):
            return
        for row in rows:
            if row.bad or not (row.extra_raw or (required and row.existing is None)):
                continue
            path = row.grid.path if row.grid is not None else row.existing["grid_path"]
            fields = self.catalogue_fields.get(path)
            if fields is None:
                fields = self.catalogue_fields[path] = fields_for(self.kind.record_kind, path)
            applicable = {f.key: f for f in fields}
            values: dict[str, str] = {}
            column_of: dict[str, str] = {}
            for name, value in row.extra_raw.items():
                key = next((k for k in self.header.catalogue[name] if k in applicable), None)
                if key is None:
                    grid = row.grid or self.grids_by_id.get(row.existing["grid_id"])
                    message = _("数据目录字段“{label}”不适用于网格 {grid}").format(
                        label=self.column_title(name), grid=grid.code if grid else path
                    )
                    self.error(row, name, value, message)
                    continue
                values[key] = value
                column_of[key] = name
            cleaned, problems = clean_extra(fields, values, partial=row.existing is not None)
            for problem in problems:
                name = column_of.get(problem.key) or EXTRA_PREFIX + problem.label.lower()
                self.error(row, name, problem.value, problem.message)
            row.extra = cleaned

    def match_by_name(self, rows: list[Row]) -> None:
        """Units and organisations without a credit code: the record of the same name in the
        same grid, if there is one."""
        if self.kind.name not in ("units", "organisations"):
            return
        wanted = [
            row
            for row in rows
            if not row.bad and row.existing is None and not row.data.get("credit_code")
        ]
        names = {row.data.get("name") for row in wanted if row.data.get("name")}
        stored: dict[tuple[str, int], list[dict]] = defaultdict(list)
        for chunk in chunks(names):
            for values in self.stored(name__in=chunk):
                stored[(values["name"], values["grid_id"])].append(values)
        for row in wanted:
            same = stored.get((row.data.get("name"), row.grid.pk if row.grid else None), [])
            if len(same) > 1:
                message = _("网格中有 {count} 个同名记录，请填写统一社会信用代码以区分").format(
                    count=len(same)
                )
                self.error(row, "name", row.data.get("name"), message)
            elif same:
                row.existing = same[0]
                if not self.scope.covers(row.existing["grid_path"]):
                    self.error(row, "name", row.data.get("name"), _("该记录不在您的导入范围内"))

    def key_column(self) -> str:
        return {
            "people": "id_number",
            "households": "number",
            "houses": "code",
            "units": "credit_code",
            "organisations": "credit_code",
        }[self.kind.name]

    def key_text(self, row: Row) -> str:
        return str(row.raw.get(self.key_column()) or row.raw.get("name") or "")

    def row_key(self, row: Row) -> tuple | None:
        """The key that must not repeat within the file."""
        data = row.data
        name = self.kind.name
        if name == "houses":
            return ("code", data.get("code"))
        if name == "households":
            return ("number", data.get("number"))
        if name == "people":
            if data.get("id_number"):
                return ("id_number", data["id_number"])
            if data.get("document_number"):
                return ("document", data.get("document_type", ""), data["document_number"])
            household = row.refs.get("household")
            if household and data.get("name"):
                return ("household", household["id"], data["name"])
            return None
        if data.get("credit_code"):
            return ("credit_code", data["credit_code"])
        grid = row.grid.pk if row.grid else (row.existing or {}).get("grid_id")
        return ("name", data.get("name"), grid)

    def check_duplicates(self, rows: list[Row]) -> None:
        by_key: dict[tuple, list[Row]] = defaultdict(list)
        for row in rows:
            if row.bad:
                continue
            key = self.row_key(row)
            if key is None:
                if self.kind.name == "people":
                    message = _("没有身份证号的人员须填写证件号码或户号，以便再次导入时识别")
                    self.error(row, "id_number", "", message)
                continue
            by_key[key].append(row)
        for key, same in by_key.items():
            if len(same) < 2:
                continue
            # Translators: the separator between the items of a list.
            numbers = _("、").join(str(row.number) for row in same)
            column = {"document": "document_number", "household": "name", "name": "name"}.get(
                key[0], key[0]
            )
            for row in same:
                message = _("与第 {rows} 行是同一条记录（{column}相同）").format(
                    rows=numbers, column=self.column_title(column)
                )
                self.error(row, column, row.raw.get(column, ""), message)
        if self.kind.name == "people":
            self.check_heads(rows)

    def check_heads(self, rows: list[Row]) -> None:
        """A row saying 户主 makes the person their household's head, if it has none (as
        `person_create` does); a household with another head, or two heads in the file, is
        an error."""
        heads: dict[int, list[Row]] = defaultdict(list)
        for row in rows:
            household = row.refs.get("household")
            if row.bad or not household:
                continue
            relation = row.data.get("relation_to_head")
            if relation is None and row.existing is not None:
                relation = row.existing.get("relation_to_head")
            if relation == RelationToHead.HEAD:
                heads[household["id"]].append(row)
        if not heads:
            return
        current: dict[int, int | None] = {}
        for chunk in chunks(heads):
            query = Household.objects.filter(pk__in=chunk).values_list("pk", "head_id")
            current.update(query)
        conflicts: list[tuple[Row, str, int]] = []
        for household_id, same in heads.items():
            number = str(same[0].data.get("household"))
            if len(same) > 1:
                numbers = _("、").join(str(row.number) for row in same)
                for row in same:
                    message = _("户 {number} 在文件中有多个户主（第 {rows} 行）").format(
                        number=number, rows=numbers
                    )
                    self.error(row, "relation_to_head", row.raw.get("relation_to_head"), message)
                continue
            row = same[0]
            head_id = current.get(household_id)
            if head_id is None:
                self.head_rows[household_id] = row
            elif head_id != (row.existing["id"] if row.existing else None):
                conflicts.append((row, number, head_id))
        names: dict[int, str] = {}
        for chunk in chunks({head_id for _row, _number, head_id in conflicts}):
            names.update(Person.objects.filter(pk__in=chunk).values_list("pk", "name"))
        for row, number, head_id in conflicts:
            message = _("户 %(number)s 已有户主%(head)s；请使用“更换户主”") % {
                "number": number,
                "head": names.get(head_id, ""),
            }
            self.error(row, "relation_to_head", row.raw.get("relation_to_head"), message)

    # --- 4. planning --------------------------------------------------------------------

    def plan(self, rows: list[Row]) -> Plan:
        plan = Plan()
        for row in rows:
            if row.bad:
                continue
            if row.existing is None:
                plan.creates.append(row)
            elif self.find_changes(row):
                plan.updates.append(row)
            else:
                plan.unchanged.append(row)
        # A changed person goes through `person_update`, which claims the headship itself.
        updated = {id(row) for row in plan.updates}
        for household_id, row in self.head_rows.items():
            if not row.bad and id(row) not in updated:
                plan.heads[household_id] = row
        return plan

    def find_changes(self, row: Row) -> bool:
        """The fields the row changes on its stored record (references by their code)."""
        stored = row.existing or {}
        changes: dict[str, Any] = {}
        for name, value in row.data.items():
            if name == "crs":
                continue
            if name in REFERENCES:
                if name == "grid":
                    new_id = row.grid.pk if row.grid else None
                else:
                    new_id = (row.refs.get(name) or {}).get("id")
                if new_id is not None and new_id != stored.get(f"{name}_id"):
                    changes[name] = value
                continue
            if value != stored.get(name):
                changes[name] = value
        if "lng" in changes or "lat" in changes:
            changes["lng"], changes["lat"] = row.data.get("lng"), row.data.get("lat")
        extra = stored.get("extra") or {}
        row.extra_changes = {k: v for k, v in row.extra.items() if extra.get(k) != v}
        row.changes = changes
        return bool(changes or row.extra_changes)

    # --- 5. writing ---------------------------------------------------------------------

    def new_values(self, row: Row) -> dict[str, Any]:
        """A new record's column values (attnames), as the kind's create service sets them.

        Built from the row's cleaned data in place: the row is not read again.
        """
        values = row.data
        for name in REFERENCES:
            if name in values:
                del values[name]
                ref = row.refs.get(name)
                if ref and name != "grid":
                    values[f"{name}_id"] = ref["id"]
        values.pop("crs", None)
        house = row.refs.get("house")
        if house is not None:
            address_field = "current_address" if self.kind.name == "people" else "address"
            if not values.get(address_field):
                values[address_field] = house["address"]
        values["grid_id"] = row.grid.pk  # type: ignore[union-attr]
        values["grid_path"] = row.grid.path  # type: ignore[union-attr]
        values["extra"] = row.extra
        return values

    @transaction.atomic
    def write(self, plan: Plan, *, rows: int, result: ImportResult) -> None:
        from gezhi.registry.services import id_ranges, record_import_audit

        now = timezone.now()
        created = insert_rows(
            self.model,
            [self.new_values(row) for row in plan.creates],
            constants={"created_at": now, "updated_at": now},
        )
        created_of = dict(zip(map(id, plan.creates), created, strict=True))
        heads_set = self.set_heads(plan, created_of, now)
        updated = self.apply_updates(plan.updates)
        if len(updated) < len(plan.updates) and not self.skip_invalid:
            raise Rollback
        result.updated = len(updated)
        source = {
            "file": self.path.name,
            "sha256": hashlib.sha256(self.path.read_bytes()).hexdigest(),
            "rows": rows,
            "rejected": len({error.row for error in self.errors}),
        }
        counts = {
            "created": len(created),
            "updated": len(updated),
            "unchanged": len(plan.unchanged),
        }
        if heads_set:
            # The households whose head this file named (history.py shows them).
            source["household_heads_set"] = id_ranges(heads_set)
        entry = record_import_audit(
            actor=self.actor,
            kind=self.kind.record_kind,
            source=source,
            created_ids=created,
            updated_ids=updated,
            counts=counts,
        )
        if entry is None and heads_set:
            # Only heads were set (people already registered, unchanged): still one entry.
            audit_record(
                actor=self.actor,
                action=f"{self.kind.record_kind}.import",
                object_type=self.model._meta.label_lower,
                object_repr=self.path.name[:255],
                after={**source, **counts, "created_ids": [], "updated_ids": []},
            )

    def set_heads(self, plan: Plan, created_ids: dict[int, int], now) -> list[int]:
        """Households without a head get the person the file names as 户主."""
        pairs = []
        for household_id, row in plan.heads.items():
            person_id = row.existing["id"] if row.existing else created_ids.get(id(row))
            if person_id is not None:
                pairs.append((person_id, household_id))
        if not pairs:
            return []
        table = connection.ops.quote_name(Household._meta.db_table)
        stamp = Household._meta.get_field("updated_at").get_db_prep_save(now, connection)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One statement per chunk: row-by-row updates cost a round trip each.
                for start in range(0, len(pairs), LOOKUP_CHUNK):
                    chunk = pairs[start : start + LOOKUP_CHUNK]
                    values = ", ".join(["(%s::bigint, %s::bigint)"] * len(chunk))
                    cursor.execute(
                        f"UPDATE {table} AS h SET head_id = v.person, updated_at = %s "  # noqa: S608
                        f"FROM (VALUES {values}) AS v(person, household) "
                        "WHERE h.id = v.household AND h.head_id IS NULL",
                        [stamp, *(value for pair in chunk for value in pair)],
                    )
            else:
                cursor.executemany(
                    f"UPDATE {table} SET head_id = %s, updated_at = %s "  # noqa: S608
                    "WHERE id = %s AND head_id IS NULL",
                    [(person_id, stamp, household_id) for person_id, household_id in pairs],
                )
        return [household_id for _person, household_id in pairs]

    def apply_updates(self, rows: list[Row]) -> list[int]:
        """Each changed record through its update service (rules, audit entry, grid move).

        A refusal is a row error; with `skip_invalid` the other rows still go in.
        """
        reason = _("导入 {file}").format(file=self.path.name)
        done = []
        for row in rows:
            record = self.model(pk=row.existing["id"])  # type: ignore[index]
            try:
                update_record(
                    self.kind.name,
                    actor=self.actor,
                    record=record,
                    data=row.changes,
                    extra=row.extra_changes or None,
                    reason=reason,
                )
            except (DomainError, PermissionDenied) as exc:
                message = getattr(exc, "message", None) or str(exc)
                name = getattr(exc, "field", None) or ""
                if name.startswith("extra."):
                    name = ""
                self.error(row, name, row.raw.get(name, "") if name else "", message)
                continue
            done.append(row.existing["id"])  # type: ignore[index]
        return done


# The update service of each kind, and the name of its record argument.
UPDATE_SERVICES: dict[str, tuple[str, str]] = {
    "people": ("person_update", "person"),
    "households": ("household_update", "household"),
    "houses": ("house_update", "house"),
    "units": ("unit_update", "unit"),
    "organisations": ("organisation_update", "organisation"),
}


def update_record(kind: str, *, actor, record, data, extra, reason) -> None:
    """Change one stored record through its kind's update service."""
    from gezhi.registry import services

    name, argument = UPDATE_SERVICES[kind]
    getattr(services, name)(
        actor=actor, data=data, extra=extra, reason=reason, **{argument: record}
    )


def import_kind(kind: Kind, path: Path, *, dry_run=False, skip_invalid=False, actor=None):
    """Import a file of `kind` (see the module docstring)."""
    return RegistryImport(kind, path, actor=actor, dry_run=dry_run, skip_invalid=skip_invalid).run()
