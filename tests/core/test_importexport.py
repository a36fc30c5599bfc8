"""The import/export registry, file reading and the xlsx error report."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook

from gezhi.core import importexport
from gezhi.core.importexport import (
    FileError,
    ImportResult,
    RowError,
    decode_text,
    read_table,
    register_exporter,
    register_importer,
    write_error_report,
)


@pytest.fixture
def registry(monkeypatch):
    """A registry of our own, so kinds registered here vanish after the test."""
    importexport.load_handlers()
    monkeypatch.setattr(importexport, "_importers", dict(importexport._importers))
    monkeypatch.setattr(importexport, "_exporters", dict(importexport._exporters))


def run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def test_import_dispatches_to_the_registered_importer(db, registry, tmp_path):
    calls = []

    def import_widgets(path, *, dry_run, skip_invalid, actor):
        calls.append((path.name, dry_run, skip_invalid, actor))
        return ImportResult(created=2, updated=1, unchanged=3)

    register_importer("widgets", import_widgets)
    source = tmp_path / "widgets.csv"
    source.write_text("a\n", encoding="utf-8")

    status, out, _err = run("import", "widgets", str(source), "--dry-run")

    assert status == 0
    assert calls == [("widgets.csv", True, False, None)]
    assert out.strip() == "widgets：新建 2，更新 1，未变 3，拒绝 0（试运行，未写入）"


def test_rejected_rows_exit_1_and_land_in_the_report(db, registry, tmp_path):
    errors = [
        RowError(7, "id_number", "110105194912310021", "身份证号校验位错误：应为 X，实为 1"),
        RowError(3, "name", "", "姓名不能为空"),
    ]
    register_importer("widgets", lambda path, **kw: ImportResult(unchanged=5, errors=errors))
    source = tmp_path / "widgets.csv"
    source.write_text("a\n", encoding="utf-8")
    report = tmp_path / "错误报告.xlsx"

    status, out, err = run("import", "widgets", str(source), "--report", str(report))

    assert status == 1
    assert "拒绝 2（有错误，未写入）" in out
    assert "第 3 行 [name=]: 姓名不能为空" in err
    assert "第 7 行 [id_number=110105194912310021]" in err
    sheet = load_workbook(report).active
    assert sheet.title == "错误报告"
    assert list(sheet.iter_rows(values_only=True)) == [
        ("行号", "列", "值", "错误"),
        (3, "name", None, "姓名不能为空"),
        (7, "id_number", "110105194912310021", "身份证号校验位错误：应为 X，实为 1"),
    ]


def test_export_checks_the_format_the_kind_supports(db, registry, tmp_path):
    def export_widgets(stream, *, fmt, region):
        stream.write("编号\n1\n".encode())
        return 1

    register_exporter("widgets", export_widgets, formats=("csv",))

    assert run("export", "widgets", "--format", "geojson")[0] == 2
    target = tmp_path / "widgets.csv"
    status, out, _err = run("export", "widgets", "-o", str(target))
    assert status == 0
    assert target.read_text(encoding="utf-8") == "编号\n1\n"
    assert run("export", "widgets")[1] == "编号\n1\n"


def test_a_failed_export_leaves_no_file(db, registry, tmp_path):
    def export_widgets(stream, *, fmt, region):
        stream.write(b"half")
        raise RuntimeError("disk on fire")

    register_exporter("widgets", export_widgets)
    target = tmp_path / "widgets.csv"

    with pytest.raises(RuntimeError):
        run("export", "widgets", "-o", str(target))

    assert list(tmp_path.iterdir()) == []


def test_read_table_maps_headers_and_skips_blank_rows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("\n代码 , Name\n320612,通州区\n,\n320612001, 金沙街道 \n", encoding="utf-8-sig")

    header, rows = read_table(path, {"代码": "code"})

    assert header == ["code", "name"]
    assert rows == [
        (3, {"code": "320612", "name": "通州区"}),
        (5, {"code": "320612001", "name": "金沙街道"}),
    ]


def test_read_table_reads_gbk_csv_and_xlsx(tmp_path):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("code,name\n320612,通州区\n".encode("gbk"))
    book = Workbook()
    book.active.append(["code", "name", "since"])
    book.active.append([320612001001, "东市社区居委会", None])
    xlsx = tmp_path / "t.xlsx"
    book.save(xlsx)

    assert read_table(gbk)[1] == [(2, {"code": "320612", "name": "通州区"})]
    assert read_table(xlsx)[1] == [
        (2, {"code": "320612001001", "name": "东市社区居委会", "since": ""})
    ]


def test_undecodable_and_broken_files_say_so(tmp_path):
    with pytest.raises(FileError):
        decode_text(b"\xff\xfe\x00\xd8\x00")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(FileError):
        read_table(broken)


def test_error_report_keeps_chinese_and_long_digit_strings(tmp_path):
    target = tmp_path / "report.xlsx"

    write_error_report([RowError(2, "code", "320612401598000", "网格序号不能为 000")], target)

    sheet = load_workbook(target).active
    cell = sheet["C2"]
    assert cell.value == "320612401598000"
    assert cell.data_type == "s"
    assert sheet["D2"].value == "网格序号不能为 000"
    assert sheet.freeze_panes == "A2"


def test_row_error_reads_as_a_line():
    assert str(RowError(12, "level", "town", "层级不对")) == "第 12 行 [level=town]: 层级不对"
    assert str(RowError(0, "", "", "文件为空")) == "整个文件: 文件为空"
