"""`gezhi import regions` / `gezhi export regions`: a real county's division list in and out,
every kind of wrong row, all-or-nothing, dry runs, skipped rows, reports and exit codes."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from gezhi.core.audit import audit_verify
from gezhi.core.models import AuditEntry
from gezhi.regions.models import BoundaryVersion, Region
from tests.conftest import make_user, square

DATA = Path(__file__).resolve().parent.parent / "data" / "regions_320612.csv"
GEZHI = Path(sys.executable).parent / "gezhi"
HEADER = "code,name,parent_code,level\n"


def run(*args) -> tuple[int, str, str]:
    """Run a gezhi command in-process; (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        err.write(str(exc))
        return exc.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def write(tmp_path: Path, text: str, name: str = "regions.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def geojson(tmp_path: Path, features: list[tuple], name: str = "regions.geojson") -> Path:
    """features: (code, name, parent_code, level, geometry or None)."""
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": c, "name": n, "parent_code": p, "level": lv},
                "geometry": g,
            }
            for c, n, p, lv, g in features
        ],
    }
    path = tmp_path / name
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path


def fixture_lines() -> list[str]:
    return DATA.read_text(encoding="utf-8").splitlines()


def export_csv(tmp_path: Path, *extra: str) -> bytes:
    target = tmp_path / "export.csv"
    status, out, err = run("export", "regions", "-o", str(target), *extra)
    assert status == 0, err
    return target.read_bytes()


# --- a real county --------------------------------------------------------------------------


def test_real_county_imports_and_exports_the_same_rows(db, tmp_path):
    status, out, err = run("import", "regions", str(DATA))

    assert status == 0, err
    assert out.strip() == "regions：新建 296，更新 0，未变 0，拒绝 0"
    assert Region.objects.count() == 296
    assert Region.objects.filter(level="township").count() == 17
    assert Region.objects.filter(level="village").count() == 278
    farm = Region.objects.get(code="320612401598")
    assert farm.name == "环本农场虚拟生活区"
    assert farm.path == "/320612/320612401/320612401598/"
    assert farm.depth == 2
    assert farm.parent.code == "320612401"
    assert farm.parent.parent.code == "320612"
    assert export_csv(tmp_path) == DATA.read_bytes()


def test_importing_the_same_file_again_changes_nothing(db, tmp_path):
    run("import", "regions", str(DATA))
    audits = AuditEntry.objects.count()
    stamps = dict(Region.objects.values_list("code", "updated_at"))

    status, out, _err = run("import", "regions", str(DATA))

    assert status == 0
    assert out.strip() == "regions：新建 0，更新 0，未变 296，拒绝 0"
    assert AuditEntry.objects.count() == audits
    assert dict(Region.objects.values_list("code", "updated_at")) == stamps
    assert export_csv(tmp_path) == DATA.read_bytes()


def test_import_writes_one_audit_entry_naming_the_file_and_the_codes(db):
    admin = make_user("operator")

    run("import", "regions", str(DATA), "--actor", "operator")

    entry = AuditEntry.objects.get(action="region.import")
    assert entry.actor_id == admin.pk
    assert entry.after["file"] == "regions_320612.csv"
    assert entry.after["sha256"] == hashlib.sha256(DATA.read_bytes()).hexdigest()
    assert sorted(entry.after["created"]) == sorted(Region.objects.values_list("code", flat=True))
    assert audit_verify().ok


def test_parents_may_come_after_their_children(db, tmp_path):
    header, *rows = fixture_lines()
    shuffled = write(tmp_path, "\n".join([header, *reversed(rows)]) + "\n")

    status, _out, err = run("import", "regions", str(shuffled))

    assert status == 0, err
    assert export_csv(tmp_path) == DATA.read_bytes()


def test_export_of_a_subtree_gives_its_rows_in_tree_order(db, tmp_path):
    run("import", "regions", str(DATA))
    expected = [HEADER.strip()] + [
        line for line in fixture_lines()[1:] if line.startswith("320612001")
    ]

    status, out, _err = run("export", "regions", "--region", "320612001")

    assert status == 0
    assert out.splitlines() == expected
    assert len(expected) == 1 + 1 + 23


def test_an_export_can_be_imported_into_an_empty_tree(db, tmp_path):
    run("import", "regions", str(DATA))
    exported = export_csv(tmp_path)
    for depth in (2, 1, 0):  # the app never deletes; this stands for a fresh deployment
        Region.objects.filter(depth=depth).delete()

    status, _out, err = run("import", "regions", str(write(tmp_path, exported.decode())))

    assert status == 0, err
    assert export_csv(tmp_path) == DATA.read_bytes()


@pytest.mark.parametrize(
    "encoding, prefix", [("utf-8-sig", ""), ("gb18030", ""), ("utf-8", "\ufeff")]
)
def test_csv_with_bom_or_in_gbk_is_read(db, tmp_path, encoding, prefix):
    text = prefix + DATA.read_text(encoding="utf-8")
    path = write(tmp_path, text, encoding=encoding)

    status, _out, err = run("import", "regions", str(path))

    assert status == 0, err
    assert Region.objects.get(code="320612107002").name == "二窎社区居委会"


def test_xlsx_export_has_chinese_headers_and_imports_back(db, tmp_path):
    run("import", "regions", str(DATA))
    target = tmp_path / "regions.xlsx"

    status, out, _err = run("export", "regions", "--format", "xlsx", "-o", str(target))

    assert status == 0
    assert "296" in out
    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("代码", "名称", "上级代码", "层级")
    assert rows[1] == ("320612", "通州区", None, "县（区）")
    assert rows[2] == ("320612001", "金沙街道", "320612", "乡镇（街道）")
    assert len(rows) == 297
    status, out, err = run("import", "regions", str(target))
    assert status == 0, err
    assert "未变 296" in out


def test_a_renamed_region_is_updated_through_the_service(db, tmp_path):
    run("import", "regions", str(DATA))
    text = DATA.read_text(encoding="utf-8").replace(",金沙街道,", ",金沙街道（新）,")

    status, out, _err = run("import", "regions", str(write(tmp_path, text)))

    assert status == 0
    assert out.strip() == "regions：新建 0，更新 1，未变 295，拒绝 0"
    assert Region.objects.get(code="320612001").name == "金沙街道（新）"
    update = AuditEntry.objects.get(action="region.update")
    assert update.before["name"] == "金沙街道"
    assert update.after["name"] == "金沙街道（新）"
    assert update.reason == "导入 regions.csv"


# --- wrong rows -----------------------------------------------------------------------------

BASE = "320612,通州区,,county\n320612001,金沙街道,320612,township\n"


@pytest.mark.parametrize(
    "rows, row, column, value, message",
    [
        (
            "320612001001,东市社区居委会,320699001,village\n",
            4,
            "parent_code",
            "320699001",
            "上级代码 320699001 既不在文件中，也不在系统中",
        ),
        (
            "320612002001,机场新村社区居委会,320612001,village\n",
            4,
            "code",
            "320612002001",
            "代码 320612002001 不在上级代码 320612001 之下（应以 320612001 开头）",
        ),
        (
            "320612001001,东市社区居委会,320612001,town\n",
            4,
            "level",
            "town",
            "层级 'town' 未启用",
        ),
        (
            "32061200100A,东市社区居委会,320612001,village\n",
            4,
            "code",
            "32061200100A",
            "代码 '32061200100A' 只能包含数字",
        ),
        (
            "3206120010011,东市社区居委会,320612001,village\n",
            4,
            "code",
            "3206120010011",
            "村（社区）代码应为 12 位数字",
        ),
        (
            "320612001001001,一网格,320612001,grid\n",
            4,
            "level",
            "grid",
            "网格和片区只能属于村（社区）或片区",
        ),
        ("320612001001,,320612001,village\n", 4, "name", "", "名称不能为空"),
        (
            "320612001001,东市社区居委会,320612001,village,2024-13-01\n",
            4,
            "valid_from",
            "2024-13-01",
            "日期应写作 YYYY-MM-DD",
        ),
    ],
    ids=[
        "unknown parent",
        "code not under parent",
        "bad level",
        "bad code",
        "wrong length",
        "grid under a township",
        "empty name",
        "bad date",
    ],
)
def test_each_wrong_row_is_reported_with_its_row_and_reason(
    db, tmp_path, rows, row, column, value, message
):
    header = HEADER if "2024" not in rows else "code,name,parent_code,level,valid_from\n"
    base = BASE if "2024" not in rows else BASE.replace("\n", ",\n")
    path = write(tmp_path, header + base + rows)

    status, out, err = run("import", "regions", str(path), "--report", str(tmp_path / "r.xlsx"))

    assert status == 1
    assert "拒绝 1（有错误，未写入）" in out
    report = list(load_workbook(tmp_path / "r.xlsx").active.iter_rows(values_only=True))
    assert report[0] == ("行号", "列", "值", "错误")
    assert len(report) == 2
    assert report[1][:3] == (row, column, value or None)
    assert message in report[1][3]
    assert f"第 {row} 行" in err
    assert Region.objects.count() == 0


def test_duplicate_codes_are_reported_on_every_row_that_has_them(db, tmp_path):
    path = write(tmp_path, HEADER + BASE + "320612001,金沙镇,320612,township\n")

    status, _out, err = run("import", "regions", str(path))

    assert status == 1
    assert "第 3 行 [code=320612001]: 代码 320612001 在文件中出现多次（第 3、4 行）" in err
    assert "第 4 行 [code=320612001]: 代码 320612001 在文件中出现多次（第 3、4 行）" in err


def test_rows_under_a_wrong_row_are_reported_too(db, tmp_path):
    path = write(
        tmp_path,
        HEADER
        + "320612,通州区,,county\n"
        + "320612001,金沙街道,320612,towns\n"
        + "320612001001,东市社区居委会,320612001,village\n",
    )

    status, _out, err = run("import", "regions", str(path))

    assert status == 1
    assert "第 3 行 [level=towns]" in err
    assert "第 4 行 [parent_code=320612001]: 上级 320612001（第 3 行）有错误，本行不能导入" in err


def test_a_row_longer_than_the_header_is_reported(db, tmp_path):
    path = write(tmp_path, HEADER + "320612,通州区,,county\n320612001,金沙,街道,320612,township\n")

    status, _out, err = run("import", "regions", str(path))

    assert status == 1
    assert "第 3 行: 本行比表头多出几列（township）" in err
    assert Region.objects.count() == 0


def test_a_loop_of_parents_is_reported(db, tmp_path):
    path = write(
        tmp_path,
        HEADER + "320612001,金沙街道,320612001001,township\n"
        "320612001001,东市社区居委会,320612001,village\n",
    )

    status, _out, err = run("import", "regions", str(path))

    assert status == 1
    assert "第 2 行 [parent_code=320612001001]: 上级关系成环" in err
    assert "第 3 行 [parent_code=320612001]: 上级关系成环" in err


def test_an_existing_code_cannot_move_or_change_level(db, tmp_path):
    run("import", "regions", str(DATA))
    moved = write(tmp_path, HEADER + "320612001001,东市社区居委会,320612002,village\n", "a.csv")
    demoted = write(tmp_path, HEADER + "320612002,兴东街道,320612,village\n", "b.csv")

    moved_status, _out, moved_err = run("import", "regions", str(moved))
    demoted_status, _out, demoted_err = run("import", "regions", str(demoted))

    assert moved_status == demoted_status == 1
    assert (
        "第 2 行 [parent_code=320612002]: 代码 320612001001 已存在，上级为 320612001；"
        "导入不能移动区域，请使用网格调整"
    ) in moved_err
    assert "第 2 行 [level=village]: 代码 320612002 已存在，层级为 township；导入不能改变层级" in (
        demoted_err
    )


@pytest.mark.parametrize(
    "header, message",
    [
        ("code,name,level\n", "缺少列 parent_code"),
        ("code,name,parent_code,level,remark\n", "未知列 remark"),
        ("", "文件为空"),
    ],
)
def test_a_wrong_header_rejects_the_file(db, tmp_path, header, message):
    path = write(tmp_path, header + ("320612,通州区,county\n" if header else ""))

    status, _out, err = run("import", "regions", str(path))

    assert status == 1
    assert message in err
    assert Region.objects.count() == 0


def test_one_wrong_row_means_nothing_is_written(db, tmp_path):
    text = DATA.read_text(encoding="utf-8") + "320612120225,新村,320612120,hamlet\n"
    path = write(tmp_path, text)
    audits = AuditEntry.objects.count()

    status, out, err = run("import", "regions", str(path))

    assert status == 1
    assert out.strip() == "regions：新建 296，更新 0，未变 0，拒绝 1（有错误，未写入）"
    assert "第 298 行 [level=hamlet]" in err
    assert Region.objects.count() == 0
    assert AuditEntry.objects.count() == audits


def test_dry_run_writes_nothing(db, tmp_path):
    status, out, _err = run("import", "regions", str(DATA), "--dry-run")

    assert status == 0
    assert out.strip() == "regions：新建 296，更新 0，未变 0，拒绝 0（试运行，未写入）"
    assert Region.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_dry_run_of_a_wrong_file_exits_1_and_writes_the_report(db, tmp_path):
    path = write(tmp_path, HEADER + BASE + "320612001001,东市,320612009,village\n")
    report = tmp_path / "report.xlsx"

    status, _out, _err = run("import", "regions", str(path), "--dry-run", "--report", str(report))

    assert status == 1
    assert Region.objects.count() == 0
    rows = list(load_workbook(report).active.iter_rows(values_only=True))
    assert rows[1] == (
        4,
        "parent_code",
        "320612009",
        "上级代码 320612009 既不在文件中，也不在系统中",
    )


def test_skip_invalid_writes_the_right_rows_and_skips_the_subtree_of_a_wrong_one(db, tmp_path):
    # 石港镇 gets a code outside the county: it and its 15 villages are skipped.
    text = DATA.read_text(encoding="utf-8").replace(
        "320612110,石港镇,320612,township", "320613110,石港镇,320612,township"
    )
    path = write(tmp_path, text)

    status, out, err = run("import", "regions", str(path), "--skip-invalid")

    assert status == 0, err
    assert out.strip() == "regions：新建 280，更新 0，未变 0，拒绝 16"
    assert Region.objects.count() == 280
    assert not Region.objects.filter(code__startswith="320612110").exists()
    assert not Region.objects.filter(code="320613110").exists()
    assert "代码 320613110 不在上级代码 320612 之下" in err


def test_skip_invalid_with_nothing_valid_is_still_rejected(db, tmp_path):
    path = write(tmp_path, HEADER + "320612,通州区,,counties\n")

    status, out, _err = run("import", "regions", str(path), "--skip-invalid")

    assert status == 1
    assert "拒绝 1" in out


def test_skip_invalid_dry_run_counts_what_would_be_written(db, tmp_path):
    path = write(tmp_path, HEADER + BASE + "320612001001,东市,320612009,village\n")

    status, out, _err = run("import", "regions", str(path), "--skip-invalid", "--dry-run")

    assert status == 0
    assert out.strip() == "regions：新建 2，更新 0，未变 0，拒绝 1（试运行，未写入）"
    assert Region.objects.count() == 0


def test_grids_need_a_boundary_where_the_deployment_says_so(db, tmp_path, settings):
    settings.GEZHI_GRID_BOUNDARY_REQUIRED = True
    rows = [(*row[:4], None) if row[3] == "grid" and row[0].endswith("2") else row for row in TREE]

    status, _out, err = run("import", "regions", str(geojson(tmp_path, rows)))

    assert status == 1
    assert "第 5 行 [geometry=]: 网格必须有边界" in err


def test_report_is_written_even_when_nothing_is_wrong(db, tmp_path):
    report = tmp_path / "report.xlsx"

    status, _out, _err = run("import", "regions", str(DATA), "--report", str(report))

    assert status == 0
    rows = list(load_workbook(report).active.iter_rows(values_only=True))
    assert rows == [("行号", "列", "值", "错误")]


# --- GeoJSON and boundaries -----------------------------------------------------------------

TREE = [
    ("320612", "通州区", "", "county", square(120.0, 32.0, 121.0, 33.0)),
    ("320612001", "金沙街道", "320612", "township", None),
    ("320612001001", "金东社区", "320612001", "village", square(120.0, 32.0, 120.5, 32.5)),
    ("320612001001001", "金东一网格", "320612001001", "grid", square(120.0, 32.0, 120.25, 32.5)),
    ("320612001001002", "金东二网格", "320612001001", "grid", square(120.25, 32.0, 120.5, 32.5)),
]


def test_geojson_import_sets_boundaries_as_region_create_does(db, tmp_path):
    from gezhi.regions.services import region_create

    version = BoundaryVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0

    status, out, err = run("import", "regions", str(geojson(tmp_path, TREE)))

    assert status == 0, err
    assert out.strip() == "regions：新建 5，更新 0，未变 0，拒绝 0"
    assert BoundaryVersion.objects.get(pk=1).version > version
    imported = Region.objects.get(code="320612001001002")
    reference = region_create(
        actor=None,
        code="320612001001003",
        name="参照",
        level="grid",
        parent=imported.parent,
        boundary=TREE[4][4],
    )
    fields = ["boundary", "min_lng", "min_lat", "max_lng", "max_lat"]
    fields += ["label_lng", "label_lat", "area_km2", "depth", "valid_from"]
    reference.refresh_from_db()
    for name in fields:
        assert getattr(imported, name) == getattr(reference, name), name
    assert imported.path == "/320612/320612001/320612001001/320612001001002/"
    assert Region.objects.get(code="320612001").boundary is None


def test_geojson_export_imports_back_unchanged(db, tmp_path):
    run("import", "regions", str(geojson(tmp_path, TREE)))
    target = tmp_path / "export.geojson"
    audits = AuditEntry.objects.count()

    status, _out, _err = run("export", "regions", "--format", "geojson", "-o", str(target))

    assert status == 0
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in data["features"]] == [row[0] for row in TREE]
    assert data["features"][1]["geometry"] is None
    assert data["features"][0]["properties"] == {
        "code": "320612",
        "name": "通州区",
        "parent_code": "",
        "level": "county",
    }
    status, out, _err = run("import", "regions", str(target))
    assert status == 0
    assert out.strip() == "regions：新建 0，更新 0，未变 5，拒绝 0"
    assert AuditEntry.objects.count() == audits


def test_a_grid_outside_its_parent_is_rejected(db, tmp_path):
    tree = [*TREE[:4], (*TREE[4][:4], square(120.25, 32.0, 120.6, 32.5))]

    status, _out, err = run("import", "regions", str(geojson(tmp_path, tree)))

    assert status == 1
    assert "第 5 行 [geometry=Polygon]: 边界超出上级区域的边界" in err
    assert Region.objects.count() == 0


def test_a_grid_outside_its_parents_new_boundary_is_rejected(db, tmp_path):
    run("import", "regions", str(geojson(tmp_path, TREE)))
    # The village shrinks to its western half: grid 002 now lies outside it.
    tree = [
        TREE[0],
        TREE[1],
        (*TREE[2][:4], square(120.0, 32.0, 120.25, 32.5)),
        TREE[3],
        TREE[4],
    ]

    status, _out, err = run("import", "regions", str(geojson(tmp_path, tree, "v2.geojson")))

    assert status == 1
    assert "第 5 行 [geometry=Polygon]: 边界超出上级区域的边界" in err


def test_a_bad_geometry_is_rejected_with_the_reason(db, tmp_path):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[120.0, 32.0], [120.5, 32.5], [120.5, 32.0], [120.0, 32.5], [120.0, 32.0]]
        ],
    }
    swapped = square(32.0, 120.0, 32.5, 120.5)
    line = {"type": "LineString", "coordinates": [[120.0, 32.0], [120.5, 32.5]]}
    tree = [
        ("320612", "通州区", "", "county", bowtie),
        ("320612001", "金沙街道", "320612", "township", swapped),
        ("320612002", "兴东街道", "320612", "township", line),
    ]

    status, _out, err = run("import", "regions", str(geojson(tmp_path, tree)))

    assert status == 1
    assert "第 1 行 [geometry=Polygon]: 边界不是有效的面：Self-intersection" in err
    assert "第 2 行 [geometry=Polygon]: 边界坐标超出 WGS-84 范围" not in err  # parent failed
    assert "第 2 行 [parent_code=320612]: 上级 320612（第 1 行）有错误" in err
    assert "第 3 行 [parent_code=320612]" in err


def test_a_bad_geometry_under_an_existing_parent_names_the_reason(db, tmp_path):
    run("import", "regions", str(geojson(tmp_path, TREE[:1])))
    tree = [
        ("320612001", "金沙街道", "320612", "township", square(32.0, 120.0, 32.5, 120.5)),
        ("320612002", "兴东街道", "320612", "township", {"type": "LineString", "coordinates": []}),
    ]

    status, _out, err = run("import", "regions", str(geojson(tmp_path, tree, "t.geojson")))

    assert status == 1
    assert "第 1 行 [geometry=Polygon]: 边界坐标超出 WGS-84 范围" in err
    assert "第 2 行 [geometry=LineString]: 边界须为 Polygon 或 MultiPolygon" in err


def test_a_changed_boundary_is_updated_and_bumps_the_version(db, tmp_path):
    run("import", "regions", str(geojson(tmp_path, TREE)))
    version = BoundaryVersion.objects.get(pk=1).version
    tree = [*TREE[:3], (*TREE[3][:4], square(120.0, 32.0, 120.2, 32.5)), TREE[4]]

    status, out, _err = run("import", "regions", str(geojson(tmp_path, tree, "v2.geojson")))

    assert status == 0
    assert out.strip() == "regions：新建 0，更新 1，未变 4，拒绝 0"
    grid = Region.objects.get(code="320612001001001")
    assert grid.max_lng == pytest.approx(120.2)
    assert BoundaryVersion.objects.get(pk=1).version > version
    assert AuditEntry.objects.filter(action="region.update").count() == 1


def test_a_file_that_is_not_geojson_is_rejected(db, tmp_path):
    path = write(tmp_path, '{"type": "Feature"}', "bad.geojson")

    status, _out, err = run("import", "regions", str(path))

    assert status == 1
    assert "GeoJSON 文件应为 FeatureCollection" in err


# --- usage errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (("import", "widgets", str(DATA)), "未知的数据类型 widgets"),
        (("import", "regions", "/nonexistent/regions.csv"), "文件不存在"),
        (("import", "regions", str(DATA), "--actor", "nobody"), "用户不存在：nobody"),
        (("export", "widgets"), "未知的数据类型 widgets"),
        (("export", "regions", "--region", "999999"), "区域 999999 不存在"),
        (("export", "regions", "--format", "xlsx"), "xlsx 须用 -o 指定输出文件"),
    ],
)
def test_usage_errors_exit_2(db, args, message):
    status, _out, err = run(*args)

    assert status == 2
    assert message in err


@pytest.mark.parametrize(
    "args",
    [
        ["import", "widgets", str(DATA)],
        ["import", "regions", "/nonexistent/regions.csv"],
        ["export", "regions", "--format", "pdf"],
        ["import", "regions"],
    ],
)
def test_the_gezhi_command_exits_2_on_usage_errors(args):
    result = subprocess.run([str(GEZHI), *args], capture_output=True, text=True, timeout=60)

    assert result.returncode == 2, result.stderr
    assert result.stderr
