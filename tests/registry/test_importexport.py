"""Import and export of the registers: templates, checks, all-or-nothing, re-imports, grids,
scope, catalogue columns, masking, formula escaping, and the commands."""

from __future__ import annotations

import csv
import io
import stat

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook

from gezhi.core.importexport import load_handlers, spreadsheet_safe, spreadsheet_unescape
from gezhi.core.models import AuditEntry
from gezhi.lib.codes import id_check_char
from gezhi.registry.choices import FieldType, RecordKind
from gezhi.registry.importexport import KINDS, export_records, import_kind, write_template
from gezhi.registry.models import CatalogueField, GridMove, House, Household, Person, Unit
from gezhi.registry.services import catalogue_field_create, person_create

# Points in the shared world's grids (tests/conftest.py).
IN_A = ("120.1", "32.2")
IN_B = ("120.3", "32.2")
IN_C = ("120.7", "32.2")
OUTSIDE = ("119.5", "32.2")


def idn(first17: str) -> str:
    """A valid ID number from its first 17 digits."""
    return first17 + id_check_char(first17)


ZHANG = idn("32061219800101001")  # male
LI = idn("32061219820202002")  # female
WANG = idn("32061219900303003")
OLD_AREA = idn("99061219850505005")  # not a current division: a warning


def write_csv(path, rows, *, encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as stream:
        csv.writer(stream).writerows(rows)
    return path


def write_book(path, rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def run(kind, path, actor=None, **options):
    return import_kind(KINDS[kind], path, actor=actor, **options)


def read_export(kind, **options) -> list[list[str]]:
    buffer = io.BytesIO()
    export_records(KINDS[kind], buffer, **options)
    return list(csv.reader(io.StringIO(buffer.getvalue().decode("utf-8-sig"))))


@pytest.fixture
def houses(world, tmp_path):
    path = write_csv(
        tmp_path / "houses.csv",
        [
            ["房屋编码", "地址", "经度", "纬度", "用途"],
            ["F001", "金东社区1号", *IN_A, "住宅"],
            ["F002", "金东社区2号", *IN_B, "住宅"],
            ["F003", "石港村3号", *IN_C, "商住两用"],
        ],
    )
    result = run("houses", path, world.county_manager)
    assert result.written and result.created == 3, result.errors
    return {house.code: house for house in House.objects.all()}


@pytest.fixture
def households(world, houses, tmp_path):
    path = write_csv(
        tmp_path / "households.csv",
        [["户号", "住址房屋编码"], ["H1", "F001"], ["H2", "F002"], ["H3", "F003"]],
    )
    result = run("households", path, world.county_manager)
    assert result.written and result.created == 3, result.errors
    return {household.number: household for household in Household.objects.all()}


PEOPLE_HEADER = ["公民身份号码", "姓名", "联系电话", "户号", "与户主关系", "现住房屋编码", "民族"]


def people_file(tmp_path, rows, name="people.csv"):
    return write_csv(tmp_path / name, [PEOPLE_HEADER, *rows])


# --- the template -----------------------------------------------------------------------------


def test_template_has_text_id_and_phone_columns_notes_choices_and_the_catalogue(world):
    catalogue_field_create(
        actor=world.county_manager,
        region=world.township_a,
        kind=RecordKind.PERSON,
        **{"key": "pension", "label": "养老保险", "type": FieldType.BOOLEAN},
    )
    catalogue_field_create(
        actor=world.county_manager,
        region=world.township_b,
        kind=RecordKind.PERSON,
        **{"key": "fishing", "label": "渔船", "type": FieldType.TEXT},
    )
    buffer = io.BytesIO()
    write_template(KINDS["people"], buffer, actor=world.township_manager)
    book = load_workbook(buffer)
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header[:2] == ["公民身份号码", "姓名"]
    id_column = sheet.cell(row=1, column=header.index("公民身份号码") + 1).column_letter
    phone_column = sheet.cell(row=1, column=header.index("联系电话") + 1).column_letter
    for letter in (id_column, phone_column):
        assert sheet[f"{letter}2"].number_format == "@"
        assert sheet[f"{letter}500"].number_format == "@"
    assert sheet[f"{sheet.cell(row=1, column=2).column_letter}2"].number_format != "@"
    # The township manager's template carries township A's field, not township B's.
    assert "养老保险" in header and "渔船" not in header
    assert "必填" in sheet["B1"].comment.text  # 姓名
    # A sheet explains every column: required, how to fill in, allowed values.
    guide = {row[0]: row for row in book["填写说明"].iter_rows(min_row=2, values_only=True)}
    assert guide["姓名"][2] == "是"
    assert "户主" in guide["与户主关系"][4]
    assert guide["养老保险"][4] == "是、否"
    # Choices get a drop-down list.
    assert any("选项" in str(v.formula1) for v in sheet.data_validations.dataValidation)


def test_an_empty_template_imports_as_nothing(world, tmp_path):
    path = tmp_path / "template.xlsx"
    with open(path, "wb") as stream:
        write_template(KINDS["houses"], stream, actor=world.county_manager)
    result = run("houses", path, world.county_manager)
    assert not result.errors and result.created == 0 and not result.written


# --- checking: the dry run and its report -----------------------------------------------------


def test_dry_run_reports_each_problem_and_writes_nothing(world, households, tmp_path):
    path = people_file(
        tmp_path,
        [
            [ZHANG, "张三", "13812345678", "H1", "户主", "F001", "汉族"],
            [
                idn("32061219800101001")[:17] + "0",
                "李四",
                "13812345679",
                "H1",
                "配偶",
                "F001",
                "汉",
            ],
            [WANG, "", "1234", "H9", "子女", "F001", "火星族"],
        ],
    )
    result = run("people", path, world.county_manager, dry_run=True)
    assert not result.written and Person.objects.count() == 0
    assert result.created == 1 and result.rejected == 2
    problems = {(e.row, e.column): e for e in result.errors}
    assert "校验位错误" in problems[(3, "公民身份号码")].message
    assert problems[(4, "姓名")].message == "姓名为必填项"
    assert problems[(4, "联系电话")].value == "1234"
    assert problems[(4, "户号")].message == "户“H9”不存在"
    assert "火星族" in problems[(4, "民族")].message
    # The same report as an xlsx file, from the command.
    report = tmp_path / "report.xlsx"
    with pytest.raises(CommandError) as refused:
        call_command(
            "import", "people", str(path), "--dry-run", "--report", str(report),
            "--actor", "county_manager", stdout=io.StringIO(), stderr=io.StringIO(),
        )  # fmt: skip
    assert refused.value.returncode == 1
    rows = list(load_workbook(report).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("行号", "列", "值", "错误")
    assert (4, "户号", "H9", "户“H9”不存在") in rows


def test_unknown_area_code_is_a_warning_listed_in_the_report(world, households, tmp_path):
    path = people_file(tmp_path, [[OLD_AREA, "王五", "", "H2", "户主", "F002", ""]])
    report = tmp_path / "report.xlsx"
    out = io.StringIO()
    call_command(
        "import", "people", str(path), "--report", str(report), "--actor", "county_manager",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    assert "新建 1" in out.getvalue()
    assert Person.objects.get().id_number == OLD_AREA
    warnings = list(load_workbook(report)["提示"].iter_rows(values_only=True))
    assert warnings[1][:3] == (2, "公民身份号码", OLD_AREA)
    assert "地区码 990612" in warnings[1][3]


def test_unknown_and_repeated_columns_refuse_the_file(world, tmp_path):
    path = write_csv(
        tmp_path / "h.csv", [["房屋编码", "地址", "楼号", "地址"], ["F1", "x", "1", "x"]]
    )
    result = run("houses", path, world.county_manager)
    messages = [e.message for e in result.errors]
    assert any("未知列“楼号”" in m for m in messages)
    assert any("列“地址”重复" in m for m in messages)
    assert not House.objects.exists()


def test_english_field_names_and_gbk_csv_are_accepted(world, tmp_path):
    path = write_csv(
        tmp_path / "h.csv",
        [["code", "address", "grid_code", "use"], ["F9", "金东社区9号", "320612001001001", "住宅"]],
        encoding="gbk",
    )
    result = run("houses", path, world.county_manager)
    assert result.written, result.errors
    house = House.objects.get()
    assert (house.address, house.use, house.grid_id) == (
        "金东社区9号",
        "residential",
        world.grid_a.pk,
    )


# --- all or nothing ---------------------------------------------------------------------------


def test_one_bad_row_and_nothing_is_written(world, households, tmp_path):
    path = people_file(
        tmp_path,
        [
            [ZHANG, "张三", "13812345678", "H1", "户主", "F001", "汉族"],
            [LI, "李四", "not a phone", "H1", "配偶", "F001", "汉族"],
        ],
    )
    before = AuditEntry.objects.count()
    result = run("people", path, world.county_manager)
    assert not result.written and result.rejected == 1
    assert Person.objects.count() == 0 and AuditEntry.objects.count() == before


def test_skip_invalid_writes_the_good_rows(world, households, tmp_path):
    path = people_file(
        tmp_path,
        [
            [ZHANG, "张三", "13812345678", "H1", "户主", "F001", "汉族"],
            [LI, "李四", "not a phone", "H1", "配偶", "F001", "汉族"],
        ],
    )
    result = run("people", path, world.county_manager, skip_invalid=True)
    assert result.written and result.created == 1 and result.rejected == 1
    assert list(Person.objects.values_list("name", flat=True)) == ["张三"]
    entry = AuditEntry.objects.get(action="person.import")
    assert entry.after["rejected"] == 1 and entry.after["created"] == 1


def test_duplicate_rows_in_the_file_are_both_refused(world, households, tmp_path):
    path = people_file(
        tmp_path,
        [
            [ZHANG, "张三", "", "H1", "户主", "F001", ""],
            [ZHANG, "张叁", "", "H1", "子女", "F001", ""],
        ],
    )
    result = run("people", path, world.county_manager)
    assert [e.row for e in result.errors] == [2, 3]
    assert "与第 2、3 行是同一条记录" in result.errors[0].message


# --- re-importing -----------------------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(world, households, tmp_path):
    path = people_file(
        tmp_path,
        [
            [ZHANG, "张三", "13812345678", "H1", "户主", "F001", "汉族"],
            [LI, "李四", "13812345679", "H1", "配偶", "F001", "汉族"],
            ["", "张小宝", "", "H1", "子女", "F001", "汉族"],  # a newborn: no ID number yet
        ],
    )
    first = run("people", path, world.county_manager)
    assert first.written and first.created == 3
    entries = AuditEntry.objects.count()
    stamps = list(Person.objects.order_by("pk").values_list("updated_at", flat=True))
    again = run("people", path, world.county_manager)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert not again.written and not again.errors
    assert Person.objects.count() == 3
    assert AuditEntry.objects.count() == entries
    assert list(Person.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps
    # Every table the import touches, too.
    for kind, key in (("houses", "code"), ("households", "number")):
        rows = read_export(kind, actor=world.county_manager, reveal=True, reason="核对")
        export = write_csv(tmp_path / f"{kind}-export.csv", rows)
        result = run(kind, export, world.county_manager)
        assert (result.created, result.updated, result.unchanged) == (0, 0, 3), (kind, key)


def test_the_import_entry_lists_the_file_and_the_records(world, households, tmp_path):
    path = people_file(
        tmp_path,
        [
            [ZHANG, "张三", "13812345678", "H1", "户主", "F001", "汉族"],
            [LI, "李四", "13812345679", "H2", "户主", "F002", "汉族"],
        ],
    )
    run("people", path, world.county_manager)
    entry = AuditEntry.objects.get(action="person.import")
    ids = sorted(Person.objects.values_list("pk", flat=True))
    assert entry.actor_id == world.county_manager.pk
    assert entry.after["file"] == "people.csv" and len(entry.after["sha256"]) == 64
    assert entry.after["created_ids"] == [[ids[0], ids[-1]]]
    assert entry.after["created"] == 2 and entry.after["rows"] == 2
    # The households whose head the file named.
    heads = dict(Household.objects.values_list("number", "head__name"))
    assert heads == {"H1": "张三", "H2": "李四", "H3": None}
    assert entry.after["household_heads_set"]
    # ID numbers never enter the audit log.
    assert ZHANG not in str(entry.after)


def test_a_changed_row_goes_through_the_update_service(world, households, tmp_path):
    run(
        "people",
        people_file(tmp_path, [[ZHANG, "张三", "13812345678", "H1", "户主", "F001", "汉族"]]),
        world.county_manager,
    )
    zhang = Person.objects.get()
    moved = people_file(
        tmp_path, [[ZHANG, "张三", "13900000000", "H2", "户主", "F002", "汉族"]], name="moved.csv"
    )
    result = run("people", moved, world.county_manager)
    assert result.written and result.updated == 1
    zhang.refresh_from_db()
    assert (zhang.phone, zhang.household.number, zhang.grid_id) == (
        "13900000000",
        "H2",
        world.grid_b.pk,
    )
    update = AuditEntry.objects.filter(action="person.update").latest("seq")
    assert update.after["phone"] == "139****0000" and update.reason == "导入 moved.csv"
    move = GridMove.objects.get(record_id=zhang.pk, kind=RecordKind.PERSON)
    assert (move.from_grid_id, move.to_grid_id) == (world.grid_a.pk, world.grid_b.pk)


def test_an_empty_cell_leaves_the_stored_value(world, households, tmp_path):
    run(
        "people",
        people_file(tmp_path, [[ZHANG, "张三", "13812345678", "H1", "户主", "F001", "汉族"]]),
        world.county_manager,
    )
    sparse = write_csv(tmp_path / "sparse.csv", [["公民身份号码", "联系电话"], [ZHANG, ""]])
    result = run("people", sparse, world.county_manager)
    assert result.unchanged == 1 and not result.written
    assert Person.objects.get().phone == "13812345678"


def test_people_without_id_number_are_matched_by_household_and_name(world, households, tmp_path):
    path = people_file(tmp_path, [["", "张小宝", "", "H1", "子女", "F001", ""]])
    run("people", path, world.county_manager)
    named = people_file(
        tmp_path, [["", "张小宝", "13700000000", "H1", "子女", "F001", ""]], name="b.csv"
    )
    assert run("people", named, world.county_manager).updated == 1
    assert Person.objects.get().phone == "13700000000"
    lost = people_file(tmp_path, [["", "无名", "", "", "", "F001", ""]], name="c.csv")
    [error] = run("people", lost, world.county_manager).errors
    assert "须填写证件号码或户号" in error.message


def test_a_household_with_another_head_refuses_a_second(world, households, tmp_path):
    run(
        "people",
        people_file(tmp_path, [[ZHANG, "张三", "", "H1", "户主", "F001", ""]]),
        world.county_manager,
    )
    second = people_file(tmp_path, [[LI, "李四", "", "H1", "户主", "F001", ""]], name="b.csv")
    [error] = run("people", second, world.county_manager).errors
    assert error.column == "与户主关系" and "已有户主张三" in error.message


# --- numbers Excel has cut --------------------------------------------------------------------


def test_an_id_number_stored_as_a_number_is_refused_with_the_reason(world, households, tmp_path):
    path = write_book(
        tmp_path / "people.xlsx",
        [
            ["公民身份号码", "姓名", "户号"],
            [int(ZHANG[:17] + "0"), "张三", "H1"],
            [LI, "李四", "H1"],
        ],
    )
    result = run("people", path, world.county_manager)
    [error] = result.errors
    assert error.row == 2 and error.column == "公民身份号码"
    assert "Excel 已截断为 15 位有效数字" in error.message
    # The same number written out by Excel as text in a CSV: 3.20612E+17.
    path = write_csv(
        tmp_path / "people.csv", [["公民身份号码", "姓名", "户号"], ["3.20612E+17", "张三", "H1"]]
    )
    [error] = run("people", path, world.county_manager).errors
    assert "Excel 已截断为 15 位有效数字" in error.message


# --- grids and scope --------------------------------------------------------------------------


def test_grids_come_from_points_and_references(world, households, tmp_path):
    assert {h.code: h.grid_id for h in House.objects.all()} == {
        "F001": world.grid_a.pk,
        "F002": world.grid_b.pk,
        "F003": world.grid_c.pk,
    }
    assert Household.objects.get(number="H3").grid_id == world.grid_c.pk
    run(
        "people",
        people_file(tmp_path, [[ZHANG, "张三", "", "H3", "户主", "F003", ""]]),
        world.county_manager,
    )
    person = Person.objects.get()
    assert person.grid_id == world.grid_c.pk and person.current_address == "石港村3号"


def test_a_point_in_no_grid_is_an_error(world, tmp_path):
    path = write_csv(
        tmp_path / "h.csv", [["房屋编码", "地址", "经度", "纬度"], ["F1", "x", *OUTSIDE]]
    )
    [error] = run("houses", path, world.county_manager).errors
    assert error.column == "经度" and "不在任何网格内" in error.message


def test_rows_outside_the_importing_users_scope_are_errors(world, households, tmp_path):
    path = write_csv(
        tmp_path / "houses.csv",
        [
            ["房屋编码", "地址", "网格代码"],
            ["F010", "金东社区10号", world.grid_a.code],
            ["F011", "石港村11号", world.grid_c.code],  # township B
        ],
    )
    result = run("houses", path, world.township_manager)
    assert not result.written
    [error] = result.errors
    assert (error.row, error.column, error.value) == (3, "网格代码", world.grid_c.code)
    assert error.message == "网格 320612101001001（石港一网格）不在您的导入范围内"
    # Records of township B are out of sight: as if missing.
    path = people_file(tmp_path, [[LI, "李四", "", "H3", "户主", "F003", ""]])
    messages = {e.message for e in run("people", path, world.township_manager).errors}
    assert messages == {"户“H3”不存在", "房屋“F003”不存在"}
    # A grid worker may not import at all.
    [error] = run("people", path, world.worker_a).errors
    assert error.row == 0 and "没有在任何区域导入" in error.message
    # The system (the command line without --actor) imports everywhere.
    assert run("houses", tmp_path / "houses.csv").created == 2


def test_an_existing_record_outside_scope_is_not_changed(world, households, tmp_path):
    run(
        "people",
        people_file(tmp_path, [[LI, "李四", "", "H3", "户主", "F003", ""]]),
        world.county_manager,
    )
    path = write_csv(tmp_path / "b.csv", [["公民身份号码", "联系电话"], [LI, "13900000000"]])
    [error] = run("people", path, world.township_manager).errors
    assert "不在您的导入范围内" in error.message
    assert Person.objects.get().phone == ""


# --- units and organisations ------------------------------------------------------------------


def credit(first17: str) -> str:
    from gezhi.lib.codes import credit_check_char

    return first17 + credit_check_char(first17)


def test_units_by_credit_code_and_organisations_by_name_and_grid(world, houses, tmp_path):
    code = credit("91320612MA1234567")
    units = write_csv(
        tmp_path / "units.csv",
        [["统一社会信用代码", "单位名称", "单位类型", "经度", "纬度", "从业人数", "涉及危险化学品"],
         [code, "金东五金厂", "企业", *IN_A, "12", "是"]],
    )  # fmt: skip
    assert run("units", units, world.county_manager).created == 1
    assert run("units", units, world.county_manager).unchanged == 1
    unit = Unit.objects.get()
    assert (unit.employees, unit.hazardous_chemicals, unit.grid_id) == (12, True, world.grid_a.pk)
    organisations = write_csv(
        tmp_path / "orgs.csv",
        [["组织名称", "组织类别", "依托单位信用代码"], ["金东五金厂工会", "工会", code]],
    )
    assert run("organisations", organisations, world.county_manager).created == 1
    again = run("organisations", organisations, world.county_manager)
    assert (again.created, again.unchanged) == (0, 1)


# --- the data catalogue -----------------------------------------------------------------------


@pytest.fixture
def livestock(world):
    return catalogue_field_create(
        actor=world.county_manager,
        region=world.township_a,
        kind=RecordKind.HOUSEHOLD,
        **{"key": "yaks", "label": "牦牛", "type": FieldType.NUMBER, "unit": "头"},
    )


def test_catalogue_columns_are_checked_against_the_rows_grid(world, houses, livestock, tmp_path):
    path = write_csv(
        tmp_path / "hh.csv",
        [
            ["户号", "住址房屋编码", "牦牛"],
            ["H1", "F001", "12"],
            ["H2", "F002", "很多"],
            ["H3", "F003", "3"],
        ],
    )
    result = run("households", path, world.county_manager)
    problems = {e.row: e for e in result.errors}
    assert "牦牛应为数值" in problems[3].message
    assert problems[4].message == "数据目录字段“牦牛”不适用于网格 320612101001001"
    path = write_csv(tmp_path / "ok.csv", [["户号", "住址房屋编码", "yaks"], ["H1", "F001", "12"]])
    assert run("households", path, world.county_manager).written
    assert Household.objects.get().extra == {"yaks": 12}
    # The export carries the column, and reads back unchanged.
    rows = read_export("households", actor=world.county_manager)
    assert rows[0][-1] == "牦牛" and rows[1][-1] == "12"
    assert (
        run("households", write_csv(tmp_path / "back.csv", rows), world.county_manager).unchanged
        == 1
    )


def test_a_required_catalogue_field_is_required_of_new_records(world, houses, tmp_path):
    catalogue_field_create(
        actor=world.county_manager,
        region=world.county,
        kind=RecordKind.HOUSEHOLD,
        **{"key": "pasture", "label": "草场", "type": FieldType.TEXT, "required": True},
    )
    path = write_csv(tmp_path / "hh.csv", [["户号", "住址房屋编码"], ["H1", "F001"]])
    [error] = run("households", path, world.county_manager).errors
    assert error.message == "草场为必填项"
    assert CatalogueField.objects.count() == 1


# --- export: masking, reveal, formulas --------------------------------------------------------


@pytest.fixture
def people(world, households):
    zhang = person_create(
        actor=world.county_manager,
        data={"id_number": ZHANG, "name": "张三", "phone": "13812345678", "household": "H1",
              "relation_to_head": "head", "house": "F001", "tags": ["low_income", "disabled"]},
    )  # fmt: skip
    li = person_create(
        actor=world.county_manager,
        data={"id_number": LI, "name": "=HYPERLINK(\"http://x\")", "household": "H3",
              "house": "F003", "notes": "@SUM(A1)", "workplace": "-1+2"},
    )  # fmt: skip
    return zhang, li


def test_exports_are_masked_by_default_and_logged(world, people):
    rows = read_export("people", actor=world.county_manager)
    header, zhang = rows[0], rows[1]
    assert zhang[header.index("公民身份号码")] == ZHANG[:6] + "********" + ZHANG[-4:]
    assert zhang[header.index("联系电话")] == "138****5678"
    assert zhang[header.index("人群标签")] == "低保对象"  # the sensitive tag left out
    entry = AuditEntry.objects.get(action="person.export")
    assert entry.actor_id == world.county_manager.pk
    assert entry.after["rows"] == 2 and entry.after["revealed"] is False


def test_a_revealed_export_needs_the_permission_and_a_reason_and_is_logged(world, people):
    from gezhi.core.errors import DomainError, InvalidInput

    with pytest.raises(InvalidInput):
        read_export("people", actor=world.county_manager, reveal=True, reason=" ")
    rows = read_export("people", actor=world.county_manager, reveal=True, reason="核对低保名单")
    header, zhang = rows[0], rows[1]
    assert zhang[header.index("公民身份号码")] == ZHANG
    assert zhang[header.index("人群标签")] == "低保对象、残疾人"
    entry = AuditEntry.objects.filter(action="person.export").latest("seq")
    assert entry.reason == "核对低保名单"
    assert entry.after["revealed"] is True and entry.after["revealed_rows"] == 2
    # The township manager's export holds township A only; the clerk may not export.
    assert len(read_export("people", actor=world.township_manager)) == 2
    with pytest.raises(DomainError):
        read_export("people", actor=world.clerk)


def test_formula_cells_are_escaped_in_csv_and_xlsx(world, people):
    rows = read_export("people", actor=world.county_manager, region=world.township_b.code)
    header, li = rows[0], rows[1]
    assert li[header.index("姓名")] == '\'=HYPERLINK("http://x")'
    assert li[header.index("备注")] == "'@SUM(A1)"
    assert li[header.index("工作单位")] == "'-1+2"
    buffer = io.BytesIO()
    export_records(KINDS["people"], buffer, fmt="xlsx", actor=world.county_manager)
    sheet = load_workbook(buffer).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    assert '\'=HYPERLINK("http://x")' in [cell.value for cell in cells]
    # And the import reads them back as they were.
    assert spreadsheet_unescape(spreadsheet_safe("=1+1")) == "=1+1"
    assert spreadsheet_unescape("'quoted") == "'quoted"


def test_a_revealed_export_imports_back_unchanged(world, people, tmp_path):
    rows = read_export("people", actor=world.county_manager, reveal=True, reason="备份")
    path = write_csv(tmp_path / "back.csv", rows)
    result = run("people", path, world.county_manager)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2), result.errors


def test_csv_export_starts_with_a_byte_order_mark(world, people):
    buffer = io.BytesIO()
    export_records(KINDS["houses"], buffer, actor=world.county_manager)
    assert buffer.getvalue().startswith(b"\xef\xbb\xbf\xe6\x88\xbf\xe5\xb1\x8b")  # BOM, 房屋


# --- the commands -----------------------------------------------------------------------------


def test_export_command_reveals_only_with_actor_and_reason(world, people, tmp_path):
    load_handlers()
    target = tmp_path / "people.csv"
    with pytest.raises(CommandError):
        call_command("export", "people", "--reveal", "--actor", "county_manager", "-o", str(target))
    call_command(
        "export", "people", "--reveal", "--reason", "核对", "--actor", "county_manager",
        "-o", str(target), stdout=io.StringIO(),
    )  # fmt: skip
    assert ZHANG in target.read_text(encoding="utf-8-sig")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    out = io.StringIO()
    call_command("export", "people", "--format", "csv", stdout=out)
    assert ZHANG not in out.getvalue() and "138****5678" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("export", "regions", "--reveal")


def test_import_command_imports_with_the_actor(world, households, tmp_path):
    path = people_file(tmp_path, [[ZHANG, "张三", "", "H1", "户主", "F001", ""]])
    out = io.StringIO()
    call_command("import", "people", str(path), "--actor", "township_manager", stdout=out)
    assert "新建 1" in out.getvalue()
    assert AuditEntry.objects.get(action="person.import").actor_id == world.township_manager.pk


def test_a_record_registered_meanwhile_is_an_error_not_a_crash(world, households, tmp_path):
    from gezhi.registry.importexport.importing import RegistryImport

    class Raced(RegistryImport):
        """Someone registers the same person between the check and the write."""

        def plan(self, rows):
            planned = super().plan(rows)
            person_create(actor=None, data={"id_number": ZHANG, "name": "别人", "household": "H2"})
            return planned

    path = people_file(
        tmp_path,
        [[ZHANG, "张三", "", "H1", "户主", "F001", ""], [LI, "李四", "", "H1", "配偶", "F001", ""]],
    )
    result = Raced(KINDS["people"], path, actor=world.county_manager).run()
    assert not result.written and result.created == 0
    [error] = result.errors
    assert error.row == 0 and "导入期间有人登记了相同的记录" in error.message
    assert list(Person.objects.values_list("name", flat=True)) == ["别人"]
    assert not AuditEntry.objects.filter(action="person.import").exists()
