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

    @property
    def rejected(self) -> int:
        """Rows with at least one error."""
        return len({error.row for error in self.errors})


# importer(path, *, dry_run, skip_invalid, actor) -> ImportResult
Importer = Callable[..., ImportResult]
# exporter(stream, *, fmt, region) -> number of rows written; `stream` is binary
Exporter = Callable[..., int]


@dataclass(frozen=True)
class ExportHandler:
    fn: Exporter
    formats: tuple[str, ...]


_importers: dict[str, Importer] = {}
_exporters: dict[str, ExportHandler] = {}


def register_importer(kind: str, fn: Importer) -> None:
    """Make `gezhi import KIND FILE` call `fn`."""
    _importers[kind] = fn


def register_exporter(kind: str, fn: Exporter, formats: Iterable[str] = EXPORT_FORMATS) -> None:
    """Make `gezhi export KIND` call `fn` for the given formats."""
    _exporters[kind] = ExportHandler(fn, tuple(formats))


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


def read_table(path: Path, aliases: dict[str, str] | None = None) -> tuple[list[str], list]:
    """Read a CSV or xlsx file into (header, rows); each row is (row number, {column: text}).

    Header names are stripped and lower-cased, then mapped through `aliases` (so a Chinese
    header such as 代码 can stand for `code`). Empty rows are skipped; row numbers are those
    a spreadsheet shows, the header being row 1. Cells beyond the header are kept, joined,
    under EXTRA_CELLS: they usually mean an unquoted comma, and the importer must say so.
    """
    aliases = aliases or {}
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raw_rows = _xlsx_rows(path)
    else:
        text = decode_text(path.read_bytes())
        raw_rows = ([cell.strip() for cell in row] for row in csv.reader(io.StringIO(text)))
    numbered = ((number, row) for number, row in enumerate(raw_rows, start=1))
    for _number, row in numbered:
        if any(row):
            header = [aliases.get(name.strip().lower(), name.strip().lower()) for name in row]
            break
    else:
        return [], []
    rows = []
    for number, row in numbered:
        if not any(row):
            continue
        cells = list(row) + [""] * (len(header) - len(row))
        values = dict(zip(header, cells, strict=False))
        if any(cells[len(header) :]):
            values[EXTRA_CELLS] = ",".join(cells[len(header) :])
        rows.append((number, values))
    return header, rows


def _xlsx_rows(path: Path):
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a file that is not xlsx
        raise FileError(_("无法读取 xlsx 文件：{error}").format(error=exc)) from None
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield [cell_text(value) for value in row]
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


def write_error_report(errors: Iterable[RowError], path: Path | str) -> None:
    """The rejected rows as an xlsx sheet: 行号 / 列 / 值 / 错误, one line per problem."""
    ordered = sorted(errors, key=lambda error: error.row)
    with open(path, "wb") as stream:
        write_xlsx(
            stream,
            title=_("错误报告"),
            header=[_("行号"), _("列"), _("值"), _("错误")],
            rows=([error.row, error.column, error.value, error.message] for error in ordered),
        )
