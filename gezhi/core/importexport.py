"""Import and export of tabular data, one registered handler per kind (regions, people...).

Each app that can import or export registers its handlers in its own `importexport.py`;
`load_handlers()` imports those modules, so the `gezhi import` / `gezhi export` commands see
every kind without knowing the apps. Shared here: the row error, the result of an import,
reading CSV/xlsx files into rows, and the xlsx error report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

EXPORT_FORMATS = ("csv", "geojson", "xlsx")
EXTRA_CELLS = "…"  # key of the cells a row has beyond its header (see read_table)


@dataclass(frozen=True)
class RowError:
    """One problem in an input file: where (row, column), what was there, and why it is wrong.

    `row` is the row as a spreadsheet shows it (the header is row 1) or, for GeoJSON, the
    feature's position counted from 1; 0 means the file as a whole.
    """

    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = _("第 {row} 行").format(row=self.row) if self.row else _("整个文件")
        if self.column:
            where += f" [{self.column}={self.value}]"
        return f"{where}: {self.message}"


@dataclass
class ImportResult:
    """What an import did (or, in a dry run, would do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False
    # Worth a look but not blocking (an ID number with an unknown area code): listed on a
    # second sheet of the report, never a reason to refuse the file.
    warnings: list[RowError] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        """Rows with at least one error."""
        return len({error.row for error in self.errors})


# importer(path, *, dry_run, skip_invalid, actor) -> ImportResult
Importer = Callable[..., ImportResult]
# exporter(stream, *, fmt, region) -> number of rows written; `stream` is binary. An exporter
# of personal data (registered with personal=True) also takes actor, reveal and reason.
Exporter = Callable[..., int]


@dataclass(frozen=True)
class ExportHandler:
    fn: Exporter
    formats: tuple[str, ...]
    personal: bool = False


_importers: dict[str, Importer] = {}
_exporters: dict[str, ExportHandler] = {}


def register_importer(kind: str, fn: Importer) -> None:
    """Make `gezhi import KIND FILE` call `fn`."""
    _importers[kind] = fn


def register_exporter(
    kind: str, fn: Exporter, formats: Iterable[str] = EXPORT_FORMATS, *, personal: bool = False
) -> None:
    """Make `gezhi export KIND` call `fn` for the given formats.

    `personal`: the kind holds personal data; `fn` also takes `actor`, `reveal` and `reason`
    (masked unless the actor may reveal and asks to, with a reason).
    """
    _exporters[kind] = ExportHandler(fn, tuple(formats), personal)


def load_handlers() -> None:
    """Import every installed app's `importexport` module so its handlers register."""
    autodiscover_modules("importexport")


def importer_for(kind: str) -> Importer | None:
    return _importers.get(kind)


def exporter_for(kind: str) -> ExportHandler | None:
    return _exporters.get(kind)


def import_kinds() -> list[str]:
    return sorted(_importers)


def export_kinds() -> list[str]:
    return sorted(_exporters)


# --- reading input files ---------------------------------------------------------------------


class FileError(ValueError):
    """The file as a whole cannot be read (wrong type, not text, broken xlsx)."""


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030: what Excel "save as CSV" gives in China."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileError(_("文件既不是 UTF-8 也不是 GBK 编码的文本")) from None


def cell_text(value: Any) -> str:
    """A spreadsheet or JSON value as text: whole floats without ".0", dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if hasattr(value, "hour") else value.isoformat()
    return str(value).strip()


def read_table(
    path: Path,
    aliases: dict[str, str] | None = None,
    *,
    keep_numbers: Iterable[str] = (),
    titles: list[str] | None = None,
) -> tuple[list[str], list]:
    """Read a CSV or xlsx file into (header, rows); each row is (row number, {column: text}).

    Header names are stripped and lower-cased, then mapped through `aliases` (so a Chinese
    header such as 代码 can stand for `code`). Empty rows are skipped; row numbers are those
    a spreadsheet shows, the header being row 1. Cells beyond the header are kept, joined,
    under EXTRA_CELLS: they usually mean an unquoted comma, and the importer must say so.

    `keep_numbers`: columns (after aliasing) whose xlsx cells are handed over as the int or
    float they were stored as, not as text, so the importer can tell that Excel has already
    cut a long number (an 18-digit ID number keeps only 15 significant digits).
    `titles`, if given, receives the header cells as written (for messages).
    """
    aliases = aliases or {}
    keep: frozenset[str] = frozenset()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        keep = frozenset(keep_numbers)  # CSV cells are text already
        raw_rows = _xlsx_rows(path, convert=not keep)
    else:
        text = decode_text(path.read_bytes())
        raw_rows = ([cell.strip() for cell in row] for row in csv.reader(io.StringIO(text)))
    numbered = ((number, row) for number, row in enumerate(raw_rows, start=1))
    for _number, row in numbered:
        if keep:
            row = [cell_text(value) for value in row]
        if any(row):
            header = [aliases.get(name.strip().lower(), name.strip().lower()) for name in row]
            if titles is not None:
                titles.extend(name.strip() for name in row)
            break
    else:
        return [], []
    kept = {index for index, name in enumerate(header) if name in keep}
    rows = []
    for number, row in numbered:
        if keep:
            row = [
                value
                if index in kept and isinstance(value, (int, float)) and not isinstance(value, bool)
                else cell_text(value)
                for index, value in enumerate(row)
            ]
        if not any(row):
            continue
        cells = list(row) + [""] * (len(header) - len(row))
        values = dict(zip(header, cells, strict=False))
        if any(cells[len(header) :]):
            values[EXTRA_CELLS] = ",".join(cells[len(header) :])
        rows.append((number, values))
    return header, rows


def _xlsx_rows(path: Path, convert: bool = True):
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a file that is not xlsx
        raise FileError(_("无法读取 xlsx 文件：{error}").format(error=exc)) from None
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield [cell_text(value) for value in row] if convert else list(row)
    finally:
        book.close()


# --- writing spreadsheets --------------------------------------------------------------------


def write_xlsx(
    stream: IO[bytes], *, title: str, header: list[str], rows: Iterable[Iterable[Any]]
) -> None:
    """One sheet with a bold, frozen header. Whole numbers stay numbers; everything else is
    written as text, so codes and ID numbers keep every digit when the file is opened in Excel.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    # Column widths in Excel units; a Chinese character is two units wide (as in GBK bytes).
    widths = [len(name.encode("gbk", "replace")) + 2 for name in header]
    for row in rows:
        values = [
            value if isinstance(value, int) else ("" if value is None else str(value))
            for value in row
        ]
        sheet.append(values)
        for index, value in enumerate(values):
            if isinstance(value, str):
                sheet.cell(row=sheet.max_row, column=index + 1).number_format = "@"
                width = len(value.encode("gbk", "replace")) + 2
                widths[index] = min(max(widths[index], width), 60)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(width, 8)
    book.save(stream)


def write_error_report(
    errors: Iterable[RowError], path: Path | str | IO[bytes], warnings: Iterable[RowError] = ()
) -> None:
    """The rejected rows as an xlsx sheet: 行号 / 列 / 值 / 错误, one line per problem.

    Warnings (not blocking), if any, follow on a second sheet, 提示, with the same columns.
    `path` may be an open binary stream.
    """
    ordered = sorted(errors, key=lambda error: error.row)
    noted = sorted(warnings, key=lambda warning: warning.row)
    if hasattr(path, "write"):
        _write_report(path, ordered, noted)  # type: ignore[arg-type]
        return
    with open(path, "wb") as stream:  # type: ignore[arg-type]
        _write_report(stream, ordered, noted)


def _write_report(stream: IO[bytes], errors: list[RowError], warnings: list[RowError]) -> None:
    buffer = io.BytesIO()
    write_xlsx(
        buffer,
        title=_("错误报告"),
        header=[_("行号"), _("列"), _("值"), _("错误")],
        rows=([error.row, error.column, error.value, error.message] for error in errors),
    )
    if warnings:
        from openpyxl import load_workbook
        from openpyxl.styles import Font

        book = load_workbook(io.BytesIO(buffer.getvalue()))
        sheet = book.create_sheet(_("提示"))
        sheet.append([_("行号"), _("列"), _("值"), _("提示")])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for warning in warnings:
            sheet.append([warning.row, warning.column, warning.value, warning.message])
            for cell in sheet[sheet.max_row][1:]:
                cell.number_format = "@"
        for letter, width in zip("ABCD", (8, 16, 24, 60), strict=True):
            sheet.column_dimensions[letter].width = width
        buffer = io.BytesIO()
        book.save(buffer)
    stream.write(buffer.getvalue())


# Characters that make a spreadsheet treat a cell as a formula (OWASP, CSV injection); tab and
# carriage return too, which some programs strip before looking.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell that a spreadsheet will show as text: one starting like a formula gets a
    leading single quote (numbers and other types pass unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_unescape(value: str) -> str:
    """The text `spreadsheet_safe` was given: one leading quote before a formula start dropped,
    so an export imports back as it was."""
    if value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value
