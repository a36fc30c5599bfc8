"""The import and export pages: upload, check, confirm; report; templates; exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from gezhi.core.models import AuditEntry
from gezhi.lib.codes import id_check_char
from gezhi.registry.choices import FieldType, RecordKind
from gezhi.registry.models import House, Household, Person
from gezhi.registry.services import catalogue_field_create, house_create, household_create

ZHANG = "32061219800101001" + id_check_char("32061219800101001")
LI = "32061219820202002" + id_check_char("32061219820202002")
HEADER = ["公民身份号码", "姓名", "联系电话", "户号", "与户主关系"]


def csv_upload(rows, name="people.csv") -> SimpleUploadedFile:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return SimpleUploadedFile(name, text.getvalue().encode("utf-8"), content_type="text/csv")


@pytest.fixture
def place(world):
    """A house and a household in grid A, another pair in grid C (township B)."""
    house_create(actor=None, data={"code": "F001", "address": "金东社区1号", "grid": world.grid_a})
    house_create(actor=None, data={"code": "F003", "address": "石港村3号", "grid": world.grid_c})
    household_create(actor=None, data={"number": "H1", "house": "F001"})
    household_create(actor=None, data={"number": "H3", "house": "F003"})


def login(client, user):
    client.force_login(user)
    return client


def upload(client, rows, kind="people", name="people.csv"):
    return client.post(reverse("registry-import"), {"kind": kind, "file": csv_upload(rows, name)})


def test_the_page_needs_the_import_permission(client, world):
    url = reverse("registry-import")
    assert client.get(url).status_code == 302  # to the login page
    assert login(client, world.worker_a).get(url).status_code == 403
    page = login(client, world.township_manager).get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert reverse("registry-import-template", kwargs={"kind": "people"}) in content
    assert reverse("registry-export", kwargs={"kind": "houses"}) in content


def test_upload_check_then_confirm(client, world, place):
    login(client, world.township_manager)
    page = upload(client, [HEADER, [ZHANG, "张三", "13812345678", "H1", "户主"]])
    assert page.status_code == 200
    content = page.content.decode()
    assert "检查结果（尚未写入）" in content and "新建 1" in content
    assert not Person.objects.exists()
    token = page.context["entry"]["token"]
    assert 'name="token"' in content and ">确认导入<" in content and "正在导入" in content
    done = client.post(reverse("registry-import-confirm"), {"token": token})
    assert done.status_code == 200
    assert "已导入：新建 1" in done.content.decode()
    person = Person.objects.get()
    assert (person.name, person.grid_id) == ("张三", world.grid_a.pk)
    assert AuditEntry.objects.get(action="person.import").actor_id == world.township_manager.pk
    # The upload is gone once imported.
    assert client.post(reverse("registry-import-confirm"), {"token": token}).status_code == 404


def test_errors_are_listed_with_a_report_and_nothing_is_imported(client, world, place):
    login(client, world.county_manager)
    page = upload(
        client,
        [
            HEADER,
            [ZHANG, "张三", "13812345678", "H1", "户主"],
            [LI, "李四", "not a phone", "H1", "配偶"],
        ],
    )
    content = page.content.decode()
    assert "1 行有错误" in content and "有错误时全部不导入" in content
    assert ">确认导入<" not in content
    assert "not a phone" in content and "联系电话" in content
    token = page.context["entry"]["token"]
    report = client.get(reverse("registry-import-report"), {"token": token})
    assert report.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(report.streaming_content))).active.values)
    assert rows[0] == ("行号", "列", "值", "错误") and rows[1][:3] == (3, "联系电话", "not a phone")
    # Confirming the same file imports nothing (all or nothing)...
    refused = client.post(reverse("registry-import-confirm"), {"token": token})
    assert "有错误，未导入" in refused.content.decode()
    assert not Person.objects.exists()
    # ...unless the user asks for the good rows only.
    done = client.post(reverse("registry-import-confirm"), {"token": token, "skip_invalid": "1"})
    assert "已导入：新建 1" in done.content.decode()
    assert list(Person.objects.values_list("name", flat=True)) == ["张三"]


def test_rows_outside_the_users_scope_are_rejected(client, world, place):
    login(client, world.township_manager)
    rows = [["房屋编码", "地址", "网格代码"], ["F010", "金东社区10号", world.grid_a.code]]
    rows.append(["F011", "石港村11号", world.grid_c.code])
    page = upload(client, rows, kind="houses", name="houses.csv")
    [error] = page.context["errors"]
    assert error.row == 3 and "不在您的导入范围内" in error.message
    token = page.context["entry"]["token"]
    client.post(reverse("registry-import-confirm"), {"token": token})
    assert not House.objects.filter(code__in=["F010", "F011"]).exists()


def test_uploads_are_checked_for_type_and_size(client, world, settings):
    login(client, world.county_manager)
    url = reverse("registry-import")

    def post(name, data):
        return client.post(url, {"kind": "houses", "file": SimpleUploadedFile(name, data)})

    page = post("houses.txt", b"code,address\n")
    assert page.status_code == 400 and "只接受 .xlsx 或 .csv 文件" in page.content.decode()
    page = post("houses.xlsx", b"code,address\nF1,x\n")
    assert page.status_code == 400 and "不是有效的 xlsx 文件" in page.content.decode()
    page = post("houses.csv", b"PK\x03\x04\x00\x00binary")
    assert page.status_code == 400 and "不是文本格式" in page.content.decode()
    page = post("houses.csv", "房屋编码,地址\n".encode("utf-16"))
    assert page.status_code == 400
    settings.GEZHI_IMPORT_MAX_MB = 0
    page = post("houses.csv", "房屋编码,地址\nF1,x\n".encode())
    assert page.status_code == 400 and "超过上限 0 MB" in page.content.decode()
    assert not House.objects.exists()


def test_an_xlsx_upload_with_a_numeric_id_number(client, world, place):
    book = Workbook()
    book.active.append(HEADER)
    book.active.append([int(ZHANG[:17] + "0"), "张三", "", "H1", "户主"])
    data = io.BytesIO()
    book.save(data)
    login(client, world.county_manager)
    page = client.post(
        reverse("registry-import"),
        {"kind": "people", "file": SimpleUploadedFile("people.xlsx", data.getvalue())},
    )
    assert "Excel 已截断为 15 位有效数字" in page.content.decode()


def test_an_upload_token_belongs_to_its_session(client, world, place, django_user_model):
    login(client, world.county_manager)
    token = upload(client, [HEADER, [ZHANG, "张三", "", "H1", "户主"]]).context["entry"]["token"]
    other = login(type(client)(), world.township_manager)
    assert other.post(reverse("registry-import-confirm"), {"token": token}).status_code == 404
    assert other.get(reverse("registry-import-report"), {"token": token}).status_code == 404
    assert not Person.objects.exists()


def test_template_download_with_the_catalogue_of_the_users_region(client, world):
    catalogue_field_create(
        actor=world.county_manager,
        region=world.township_a,
        kind=RecordKind.HOUSEHOLD,
        key="yaks",
        label="牦牛",
        type=FieldType.NUMBER,
        unit="头",
    )
    login(client, world.township_manager)
    url = reverse("registry-import-template", kwargs={"kind": "households"})
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header = [cell.value for cell in load_workbook(io.BytesIO(response.content)).active[1]]
    assert header[0] == "户号" and "牦牛" in header
    assert client.get(url, {"region": world.township_b.code}).status_code == 404
    assert (
        client.get(reverse("registry-import-template", kwargs={"kind": "cats"})).status_code == 404
    )


@pytest.fixture
def people(world, place, client):
    login(client, world.county_manager)
    token = upload(
        client,
        [
            [*HEADER, "人口类型", "流入原因", "居住处所类型"],
            [ZHANG, "张三", "13812345678", "H1", "户主", "", "", ""],
            [LI, "李四", "13812345679", "H3", "户主", "流动人口", "务工", "租赁房屋"],
        ],
    ).context["entry"]["token"]
    client.post(reverse("registry-import-confirm"), {"token": token})
    assert Person.objects.count() == 2
    client.logout()


def exported(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_export_page_masks_by_default_and_logs(client, world, people):
    login(client, world.county_manager)
    url = reverse("registry-export", kwargs={"kind": "people"})
    page = client.get(url, {"population_type": "floating"})
    assert page.status_code == 200 and "population_type = floating" in page.content.decode()
    response = client.post(url, {"format": "csv", "population_type": "floating"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = exported(response)
    assert len(rows) == 2 and rows[1][1] == "李四"  # the list's filter: floating people only
    assert rows[1][0] == LI[:6] + "********" + LI[-4:] and rows[1][6] == "138****5679"
    entry = AuditEntry.objects.get(action="person.export")
    assert entry.actor_id == world.county_manager.pk
    assert entry.after["filters"] == {"population_type": "floating"}
    assert entry.after["rows"] == 1 and entry.after["revealed"] is False


def test_export_page_reveals_with_a_reason(client, world, people):
    login(client, world.county_manager)
    url = reverse("registry-export", kwargs={"kind": "people"})
    refused = client.post(url, {"format": "csv", "reveal": "on", "reason": ""})
    assert refused.status_code == 400 and "须填写事由" in refused.content.decode()
    assert not AuditEntry.objects.filter(action="person.export").exists()
    response = client.post(url, {"format": "csv", "reveal": "on", "reason": "核对流动人口"})
    assert {row[0] for row in exported(response)[1:]} == {ZHANG, LI}
    entry = AuditEntry.objects.get(action="person.export")
    assert entry.reason == "核对流动人口" and entry.after["revealed"] is True


def test_export_page_scope(client, world, people):
    url = reverse("registry-export", kwargs={"kind": "people"})
    login(client, world.township_manager)
    rows = exported(client.post(url, {"format": "csv"}))
    assert [row[1] for row in rows[1:]] == ["张三"]
    assert client.get(url, {"region": world.township_b.code}).status_code == 404
    xlsx = client.post(url, {"format": "xlsx"})
    assert load_workbook(io.BytesIO(xlsx.content)).active.max_row == 2
    login(client, world.clerk)
    assert client.get(url).status_code == 403
    assert client.post(url, {"format": "csv"}).status_code == 403
    assert Household.objects.count() == 2


def test_top_bar_links_the_import_page_only_for_those_who_may_import(world, client):
    client.force_login(world.township_manager)
    assert 'href="/registry/import/"' in client.get("/").content.decode()
    client.force_login(world.clerk)
    assert 'href="/registry/import/"' not in client.get("/").content.decode()
