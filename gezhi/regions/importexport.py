"""Import and export of the region tree (`gezhi import regions`, `gezhi export regions`).

Files: CSV or xlsx with the columns `code,name,parent_code,level` (optional `valid_from`,
`valid_to`), or a GeoJSON FeatureCollection with the same names in `properties` and the
boundary as the geometry. Every row is checked in memory with the rules of
`services.validate_region` first; then, if no row is wrong (or with `skip_invalid`), the new
regions are written in bulk and the changed ones through `region_update`, in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import shapely
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape

from gezhi.core.audit import audit_record
from gezhi.core.errors import DomainError, InvalidInput, NotFound
from gezhi.core.importexport import (
    EXTRA_CELLS,
    FileError,
    ImportResult,
    RowError,
    cell_text,
    decode_text,
    read_table,
    register_exporter,
    register_importer,
    write_xlsx,
)
from gezhi.lib.codes import LEVEL_NAMES_ZH
from gezhi.regions.geometry import parse_boundary, to_geojson
from gezhi.regions.models import Region
from gezhi.regions.services import (
    apply_boundary,
    bump_boundary_version,
    region_path,
    region_update,
    validate_region,
)

COLUMNS = ("code", "name", "parent_code", "level")
OPTIONAL_COLUMNS = ("valid_from", "valid_to")
GEOMETRY_COLUMN = "geometry"
# Headers of the xlsx export, accepted on import as well.
HEADER_ALIASES = {
    "代码": "code",
    "名称": "name",
    "上级代码": "parent_code",
    "层级": "level",
    "启用日期": "valid_from",
    "停用日期": "valid_to",
}
LEVEL_ALIASES = {label: level for level, label in LEVEL_NAMES_ZH.items()}
GEOJSON_SUFFIXES = (".geojson", ".json")
LOOKUP_CHUNK = 2000
NAME_MAX_LENGTH: int = Region._meta.get_field("name").max_length  # type: ignore[union-attr,assignment]


@dataclass
class Row:
    """One region as read from the file, before any check."""

    number: int
    values: dict[str, str]
    boundary: Any = None  # GeoJSON geometry as given; None when the file gives none
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @property
    def code(self) -> str:
        return self.values.get("code", "")

    @property
    def name(self) -> str:
        return self.values.get("name", "")

    @property
    def parent_code(self) -> str:
        return self.values.get("parent_code", "")

    @property
    def level(self) -> str:
        return self.values.get("level", "")


@dataclass
class Plan:
    """The outcome of checking a file: what to create and update, and what is wrong."""

    creates: list[tuple[int, Region]] = field(default_factory=list)  # (generation, region)
    updates: list[tuple[Region, str | None, Any]] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


# --- reading ---------------------------------------------------------------------------------


def read_rows(path: Path) -> tuple[list[Row], list[RowError]]:
    """The file's rows, and the problems that concern the file as a whole or a row's form."""
    try:
        if path.suffix.lower() in GEOJSON_SUFFIXES:
            return _read_geojson(path)
        return _read_table(path)
    except FileError as exc:
        return [], [RowError(0, "", path.name, str(exc))]


def _read_table(path: Path) -> tuple[list[Row], list[RowError]]:
    header, table = read_table(path, HEADER_ALIASES)
    errors = []
    if not header:
        errors.append(
            RowError(1, "", "", _("文件为空，应有表头 {columns}").format(columns=",".join(COLUMNS)))
        )
    for column in COLUMNS:
        if header and column not in header:
            errors.append(RowError(1, column, "", _("缺少列 {column}").format(column=column)))
    allowed = (*COLUMNS, *OPTIONAL_COLUMNS)
    for column in header:
        if column not in allowed:
            errors.append(
                RowError(
                    1,
                    column,
                    column,
                    _("未知列 {column}（允许的列：{allowed}）").format(
                        column=column or _("（空）"), allowed=",".join(allowed)
                    ),
                )
            )
    for column in {c for c in header if header.count(c) > 1}:
        errors.append(RowError(1, column, column, _("列 {column} 重复").format(column=column)))
    if errors:
        return [], errors
    rows = [Row(number, values) for number, values in table]
    return rows, errors


def _read_geojson(path: Path) -> tuple[list[Row], list[RowError]]:
    try:
        data = json.loads(decode_text(path.read_bytes()))
    except json.JSONDecodeError as exc:
        raise FileError(_("不是有效的 JSON：{error}").format(error=exc)) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise FileError(_("GeoJSON 文件应为 FeatureCollection"))
    features = data.get("features")
    if not isinstance(features, list):
        raise FileError(_("FeatureCollection 缺少 features 列表"))
    rows, errors = [], []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            errors.append(RowError(number, "", "", _("不是 GeoJSON Feature")))
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            errors.append(RowError(number, "properties", "", _("properties 应为对象")))
            continue
        # GIS tools add their own attributes (fid, area...): only our names are read.
        values = {}
        for key, value in properties.items():
            name = HEADER_ALIASES.get(str(key).strip().lower(), str(key).strip().lower())
            if name in (*COLUMNS, *OPTIONAL_COLUMNS):
                values[name] = cell_text(value)
        rows.append(Row(number, values, boundary=feature.get("geometry")))
    return rows, errors


def _parse_date(row: Row, column: str, errors: list[RowError]) -> dt.date | None:
    text = row.values.get(column, "")
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        errors.append(RowError(row.number, column, text, _("日期应写作 YYYY-MM-DD，如 2024-01-01")))
        return None


def _normalise(row: Row, errors: list[RowError]) -> bool:
    """Tidy a row's values and check what needs no other row; False if the row is wrong."""
    before = len(errors)
    values = row.values
    if extra := values.pop(EXTRA_CELLS, ""):
        message = _("本行比表头多出几列（{extra}）；名称中若有逗号，请用双引号括起整个名称").format(
            extra=extra
        )
        errors.append(RowError(row.number, "", extra, message))
    for column in (*COLUMNS, *OPTIONAL_COLUMNS):
        values[column] = (values.get(column) or "").strip()
    values["level"] = LEVEL_ALIASES.get(values["level"], values["level"]).lower()
    if not row.code:
        errors.append(RowError(row.number, "code", "", _("代码不能为空")))
    if not row.name:
        errors.append(RowError(row.number, "name", "", _("名称不能为空")))
    elif len(row.name) > NAME_MAX_LENGTH:
        message = _("名称不能超过 {limit} 个字").format(limit=NAME_MAX_LENGTH)
        errors.append(RowError(row.number, "name", row.name, message))
    row.valid_from = _parse_date(row, "valid_from", errors)
    row.valid_to = _parse_date(row, "valid_to", errors)
    if row.valid_from and row.valid_to and row.valid_to <= row.valid_from:
        errors.append(
            RowError(row.number, "valid_to", values["valid_to"], _("停用日期应晚于启用日期"))
        )
    return len(errors) == before


# --- checking --------------------------------------------------------------------------------


def _existing(codes: set[str], with_boundary: bool) -> dict[str, Region]:
    """The regions in the database with these codes, each with its parent's code."""
    found: dict[str, Region] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        query = Region.objects.filter(code__in=ordered[start : start + LOOKUP_CHUNK])
        query = query.annotate(parent_code=F("parent__code"))
        if not with_boundary:
            query = query.defer("boundary")
        found.update((region.code, region) for region in query)
    return found


def _generations(rows: dict[str, Row], errors: list[RowError]) -> tuple[dict[str, int], set[str]]:
    """How many of each row's ancestors are in the file, and the codes caught in a loop.

    Parents may come after their children in the file; writing and checking go by generation.
    """
    generation: dict[str, int] = {}
    looped: set[str] = set()
    for start in rows:
        chain: list[str] = []
        code = start
        while code in rows and code not in generation and code not in chain:
            chain.append(code)
            code = rows[code].parent_code
        if code in chain:
            loop = chain[chain.index(code) :]
            text = " → ".join([*loop, code])
            for member in loop:
                row = rows[member]
                errors.append(
                    RowError(
                        row.number,
                        "parent_code",
                        row.parent_code,
                        _("上级关系成环：{codes}").format(codes=text),
                    )
                )
                generation[member] = 0
                looped.add(member)
            chain = chain[: chain.index(code)]
            base = 1
        else:
            base = generation[code] + 1 if code in rows else 0
        for member in reversed(chain):
            generation[member] = base
            base += 1
    return generation, looped


def _as_stored(boundary: Any) -> dict:
    """A (valid) boundary as the tree would store it: rounded, in plain JSON types."""
    return json.loads(json.dumps(to_geojson(parse_boundary(boundary))))


def _same_boundary(new: Any, stored: Any) -> bool:
    """Whether two GeoJSON boundaries are the same shape (vertex order and start aside)."""
    if new is None or stored is None:
        return new is stored
    a, b = shapely.normalize(shape(new)), shapely.normalize(shape(stored))
    return bool(shapely.equals_exact(a, b, tolerance=1e-9))


def check_rows(rows: list[Row]) -> Plan:
    """Check every row against the rules and the database; plan the writes. Writes nothing."""
    plan = Plan()
    errors = plan.errors
    bad: set[int] = set()  # row numbers that cannot be imported
    for row in rows:
        if not _normalise(row, errors):
            bad.add(row.number)

    by_code: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if row.code:
            by_code[row.code].append(row)
    in_file: dict[str, Row] = {}
    for code, same in by_code.items():
        if len(same) == 1:
            in_file[code] = same[0]
            continue
        # Translators: the separator between the items of a list.
        numbers = _("、").join(str(row.number) for row in same)
        for row in same:
            message = _("代码 {code} 在文件中出现多次（第 {rows} 行）").format(
                code=code, rows=numbers
            )
            errors.append(RowError(row.number, "code", code, message))
            bad.add(row.number)
    duplicated = set(by_code) - set(in_file)

    wanted = set(by_code) | {row.parent_code for row in rows if row.parent_code}
    existing = _existing(wanted, with_boundary=any(row.boundary is not None for row in rows))
    generation, looped = _generations(in_file, errors)
    bad.update(in_file[code].number for code in looped)

    checker = _Checker(in_file, duplicated, existing, bad)
    today = timezone.localdate()
    for row in sorted(in_file.values(), key=lambda row: (generation[row.code], row.number)):
        if row.number in bad:
            continue
        if error := checker.check(row):
            errors.append(error)
            bad.add(row.number)
            continue
        parent = checker.nodes.get(row.parent_code) if row.parent_code else None
        current = existing.get(row.code)
        if current is None:
            region = Region(
                code=row.code,
                name=row.name,
                level=row.level,
                parent=parent,
                path=region_path(row.code, parent),
                depth=(parent.depth + 1) if parent else 0,
                valid_from=row.valid_from or today,
                valid_to=row.valid_to,
            )
            apply_boundary(region, row.boundary)
            try:
                # The rules above checked code, level and boundary; the model checks the rest.
                region.clean_fields(exclude=["parent", "boundary"])
            except ValidationError as exc:
                for column, messages in exc.message_dict.items():
                    value = row.values.get(column, "")
                    errors.append(RowError(row.number, column, value, messages[0]))
                bad.add(row.number)
                continue
            plan.creates.append((generation[row.code], region))
            checker.add(row.code, region, region.boundary)
            continue
        new_name = row.name if row.name != current.name else None
        new_boundary, fits = ..., current.boundary
        if row.boundary is not None and row.code not in checker.unchanged:
            new_boundary, fits = row.boundary, checker.rounded[row.code]
        checker.add(row.code, current, fits)
        if new_name is None and new_boundary is ...:
            plan.unchanged += 1
        else:
            plan.updates.append((current, new_name, new_boundary))
    return plan


class _Checker:
    """Checks one row at a time, in generation order, against the rows already accepted."""

    def __init__(self, in_file, duplicated, existing, bad):
        self.in_file: dict[str, Row] = in_file
        self.duplicated: set[str] = duplicated
        self.existing: dict[str, Region] = existing
        self.bad: set[int] = bad
        # code -> the region a child attaches to (saved, or to be created)
        self.nodes: dict[str, Region] = {}
        # code -> a stand-in carrying the boundary children must fit in (the new one if the
        # file changes it)
        self.shapes: dict[str, Region] = {}
        self.geoms: dict[str, Any] = {}
        # rows whose boundary is the stored one; the new boundary, rounded, of the others
        self.unchanged: set[str] = set()
        self.rounded: dict[str, dict] = {}
        for region in existing.values():
            if region.code not in in_file:
                self.nodes[region.code] = self.shapes[region.code] = region

    def add(self, code: str, region: Region, boundary: Any) -> None:
        self.nodes[code] = region
        self.shapes[code] = (
            region
            if boundary is region.boundary
            else Region(code=region.code, level=region.level, boundary=boundary)
        )

    def parent_geom(self, code: str):
        if code not in self.geoms:
            boundary = self.shapes[code].boundary
            geom = parse_boundary(boundary) if boundary else None
            if geom is not None:
                shapely.prepare(geom)
            self.geoms[code] = geom
        return self.geoms[code]

    def same_boundary(self, row: Row, current: Region) -> bool:
        """Whether the row's boundary is the one stored; keeps the rounded form if not."""
        if row.boundary == current.boundary:
            self.unchanged.add(row.code)
            return True
        try:
            stored = _as_stored(row.boundary)
        except InvalidInput:
            return False  # the check that follows says what is wrong
        if stored == current.boundary or _same_boundary(stored, current.boundary):
            self.unchanged.add(row.code)
            return True
        self.rounded[row.code] = stored
        return False

    def check(self, row: Row) -> RowError | None:
        """The first problem with `row` (its parent already checked), or None."""
        parent_code = row.parent_code
        if parent_code and parent_code not in self.nodes:
            parent_row = self.in_file.get(parent_code)
            if parent_row is not None:
                message = _("上级 {code}（第 {row} 行）有错误，本行不能导入").format(
                    code=parent_code, row=parent_row.number
                )
            elif parent_code in self.duplicated:
                message = _("上级代码 {code} 在文件中重复").format(code=parent_code)
            else:
                message = _("上级代码 {code} 既不在文件中，也不在系统中").format(code=parent_code)
            return RowError(row.number, "parent_code", parent_code, message)
        current = self.existing.get(row.code)
        if current is not None:
            if current.level != row.level:
                message = _("代码 {code} 已存在，层级为 {level}；导入不能改变层级").format(
                    code=row.code, level=current.level
                )
                return RowError(row.number, "level", row.level, message)
            current_parent = current.parent_code or ""  # type: ignore[attr-defined]
            if current_parent != parent_code:
                message = _(
                    "代码 {code} 已存在，上级为 {parent}；导入不能移动区域，请使用网格调整"
                ).format(code=row.code, parent=current_parent or _("（无）"))
                return RowError(row.number, "parent_code", parent_code, message)
            if row.boundary is None:
                return None  # only the name can change; code, level and parent stand
            parent_unchanged = self.shapes.get(parent_code) is self.nodes.get(parent_code)
            if self.same_boundary(row, current) and parent_unchanged:
                return None  # checked when it was stored, against the same parent
        field_name, problem = validate_region(
            code=row.code,
            level=row.level,
            parent=self.shapes[parent_code] if parent_code else None,
            boundary=row.boundary,
            parent_geom=(
                self.parent_geom(parent_code) if parent_code and row.boundary is not None else None
            ),
        )
        if not problem:
            return None
        if field_name == "boundary":
            boundary = row.boundary
            if isinstance(boundary, dict):
                value = str(boundary.get("type", ""))
            else:
                value = "" if boundary is None else str(boundary)[:50]
            return RowError(row.number, GEOMETRY_COLUMN, str(value), problem)
        column = field_name or ""
        return RowError(row.number, column, row.values.get(column, ""), problem)


# --- writing ---------------------------------------------------------------------------------


@transaction.atomic
def write_plan(plan: Plan, *, actor, source: dict) -> None:
    """Create the planned regions in bulk and apply the planned changes, in one transaction.

    The created regions share one `region.import` audit entry naming the file (with its
    sha256) and listing their codes: one entry per region would cost more than the writes
    themselves for a city's 50,000 grids. Changed regions go through `region_update`, which
    writes an entry for each.
    """
    generations: dict[int, list[Region]] = defaultdict(list)
    for gen, region in plan.creates:
        generations[gen].append(region)
    try:
        # Parents first: a generation's parents have their primary keys when it is written.
        for gen in sorted(generations):
            Region.objects.bulk_create(generations[gen], batch_size=500)
    except IntegrityError:
        raise DomainError(_("导入期间区域数据被他人修改，请重新导入")) from None
    for region, name, boundary in plan.updates:
        region_update(
            actor=actor,
            region=region,
            name=name,
            boundary=boundary,
            reason=_("导入 {file}").format(file=source["file"]),
        )
    if any(region.boundary is not None for _gen, region in plan.creates):
        bump_boundary_version()
    audit_record(
        actor=actor,
        action="region.import",
        object_type=Region._meta.label_lower,
        object_repr=source["file"][:255],
        after={
            **source,
            "created": [region.code for _gen, region in plan.creates],
            "updated": [region.code for region, _name, _boundary in plan.updates],
        },
    )


def import_regions(
    path: Path, *, dry_run: bool = False, skip_invalid: bool = False, actor=None
) -> ImportResult:
    """Import a region file; write only if no row is wrong (or, with skip_invalid, the rows
    that are right and whose ancestors are right)."""
    rows, errors = read_rows(path)
    plan = check_rows(rows) if not errors else Plan()
    errors = [*errors, *plan.errors]
    errors.sort(key=lambda error: error.row)
    result = ImportResult(
        created=len(plan.creates),
        updated=len(plan.updates),
        unchanged=plan.unchanged,
        errors=errors,
    )
    if dry_run or (errors and not skip_invalid) or not (plan.creates or plan.updates):
        return result
    source = {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "rows": len(rows),
        "rejected": result.rejected,
    }
    write_plan(plan, actor=actor, source=source)
    result.written = True
    return result


# --- exporting -------------------------------------------------------------------------------


def export_queryset(region: str | None = None):
    """Regions not retired today, in tree order; the subtree of `region` if given."""
    today = timezone.localdate()
    query = Region.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today))
    if region:
        root = Region.objects.filter(code=region).first()
        if root is None:
            raise NotFound(_("区域 {code} 不存在").format(code=region))
        query = query.subtree(root)
    return query.order_by("path")


def export_regions(stream: IO[bytes], *, fmt: str = "csv", region: str | None = None) -> int:
    """Write the tree (or a subtree) to `stream` as CSV, GeoJSON or xlsx; return the row count."""
    query = export_queryset(region)
    if fmt == "csv":
        return _export_csv(stream, query)
    if fmt == "geojson":
        return _export_geojson(stream, query)
    if fmt == "xlsx":
        return _export_xlsx(stream, query)
    raise ValueError(fmt)


def _plain_rows(query) -> Iterator[tuple[str, str, str, str]]:
    for code, name, parent_code, level in query.values_list(
        "code", "name", "parent__code", "level"
    ).iterator(chunk_size=5000):
        yield code, name, parent_code or "", level


def _export_csv(stream: IO[bytes], query) -> int:
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for row in _plain_rows(query):
        writer.writerow(row)
        count += 1
    text.flush()
    text.detach()
    return count


def _export_geojson(stream: IO[bytes], query) -> int:
    stream.write(b'{"type":"FeatureCollection","features":[')
    count = 0
    rows = query.values_list("code", "name", "parent__code", "level", "boundary")
    for code, name, parent_code, level, boundary in rows.iterator(chunk_size=1000):
        feature = {
            "type": "Feature",
            "properties": {
                "code": code,
                "name": name,
                "parent_code": parent_code or "",
                "level": level,
            },
            "geometry": boundary,
        }
        stream.write(b"\n" if count == 0 else b",\n")
        stream.write(json.dumps(feature, ensure_ascii=False, separators=(",", ":")).encode())
        count += 1
    stream.write(b"\n]}\n")
    return count


def _export_xlsx(stream: IO[bytes], query) -> int:
    rows = [
        (code, name, parent_code, LEVEL_NAMES_ZH.get(level, level))
        for code, name, parent_code, level in _plain_rows(query)
    ]
    write_xlsx(
        stream,
        title=_("区域"),
        header=[_("代码"), _("名称"), _("上级代码"), _("层级")],
        rows=rows,
    )
    return len(rows)


register_importer("regions", import_regions)
register_exporter("regions", export_regions, formats=("csv", "geojson", "xlsx"))
