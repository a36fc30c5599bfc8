"""The registers' REST API: scoped, masked, filtered like the pages, written through the
services, reveals logged."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from gezhi.core.models import AuditEntry
from gezhi.registry.models import Household, Person
from tests.registry.records import ID_A1, ID_B1, PHONE_A1, id_number, make_records
from tests.registry.test_pages import many_records


@pytest.fixture
def records(world):
    return make_records(world)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    return sorted(row.get("name") or row.get("number") or row.get("code") for row in rows)


def reveals() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="personal_data.reveal"))


# --- reading --------------------------------------------------------------------------------


def test_anonymous_gets_401(world, records):
    assert APIClient().get("/api/v1/people/").status_code == 401


def test_lists_are_scoped(world, records):
    assert names(api(world.worker_a).get("/api/v1/people/")) == ["张三", "张小明", "李四"]
    assert names(api(world.worker_b).get("/api/v1/people/")) == ["王五"]
    assert names(api(world.township_manager).get("/api/v1/people/")) == [
        "张三",
        "张小明",
        "李四",
        "王五",
    ]
    assert api(world.county_manager).get("/api/v1/people/").json()["count"] == 5
    assert names(api(world.township_manager).get("/api/v1/units/")) == ["金东五金店"]
    assert names(api(world.township_manager).get("/api/v1/households/")) == ["A1"]
    assert names(api(world.county_manager).get("/api/v1/organisations/")) == [
        "石港加油站工会",
        "金东五金店党支部",
    ]


def test_no_registers_no_list(world, records):
    for user in (world.citizen, world.outsider, world.auditor):
        assert api(user).get("/api/v1/people/").status_code == 403
        assert api(user).get(f"/api/v1/people/{records.zhang.pk}/").status_code == 403


def test_outside_scope_is_a_404_like_missing(world, records):
    client = api(world.worker_a)
    assert client.get(f"/api/v1/people/{records.zhang.pk}/").status_code == 200
    response = client.get(f"/api/v1/people/{records.wang.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get("/api/v1/people/999999/").status_code == 404
    assert api(world.township_manager).get(f"/api/v1/houses/{records.house_c.pk}/").status_code == (
        404
    )


def test_personal_data_is_masked(world, records):
    client = api(world.county_manager)
    person = client.get(f"/api/v1/people/{records.zhang.pk}/").json()
    assert person["id_number"] == f"{ID_A1[:6]}********{ID_A1[-4:]}"
    assert person["phone"] == "138****5678"
    assert person["house_code"] == "HA1" and person["household_number"] == "A1"
    assert person["grid"] == world.grid_a.code
    assert person["extra"] == {"has_car": True}
    listing = client.get("/api/v1/people/").content.decode()
    assert ID_A1 not in listing and PHONE_A1 not in listing and ID_B1 not in listing
    unit = client.get(f"/api/v1/units/{records.unit_a.pk}/").json()
    assert unit["legal_representative_id_number"] == f"{ID_A1[:6]}********{ID_A1[-4:]}"
    assert unit["phone"].endswith("5678") and "1234" not in unit["phone"]


def test_sensitive_tags_only_for_those_who_may_reveal(world, records):
    url = f"/api/v1/people/{records.zhang.pk}/"
    assert api(world.county_manager).get(url).json()["tags"] == ["elderly_alone", "disabled"]
    assert api(world.clerk).get(url).json()["tags"] == ["elderly_alone"]


def test_filters_and_search_are_the_pages(world, records):
    client = api(world.county_manager)
    assert names(client.get("/api/v1/people/", {"q": "张"})) == ["张三", "张小明"]
    assert names(client.get("/api/v1/people/", {"q": PHONE_A1[-4:]})) == ["张三"]
    assert names(client.get("/api/v1/people/", {"region": world.township_b.code})) == ["赵六"]
    assert names(client.get("/api/v1/people/", {"tags": ["left_behind_child", "disabled"]})) == [
        "张三",
        "张小明",
    ]
    assert names(client.get("/api/v1/people/", {"age_min": 60})) == ["张三", "李四"]
    assert names(client.get("/api/v1/people/", {"extra__has_car": "true"})) == ["张三"]
    assert names(client.get("/api/v1/households/", {"extra__yaks__min": 10})) == ["A1"]
    assert names(client.get("/api/v1/households/", {"extra__pasture_type": "冬春草场"})) == ["A1"]
    assert names(client.get("/api/v1/units/", {"hazardous_chemicals": "true"})) == ["石港加油站"]
    assert names(client.get("/api/v1/houses/", {"use": "commercial"})) == ["HB1"]
    assert names(client.get("/api/v1/organisations/", {"kind": "party"})) == ["金东五金店党支部"]


def test_invalid_filter_is_a_400(world, records):
    response = api(world.county_manager).get("/api/v1/people/", {"sex": "maybe"})
    assert response.status_code == 400
    assert "sex" in response.json()


def test_ordering(world, records):
    rows = api(world.worker_a).get("/api/v1/people/", {"ordering": "-birth_date"}).json()
    assert [r["name"] for r in rows["results"]] == ["张小明", "李四", "张三"]


def test_ordering_by_a_catalogue_value(world, records):
    client = api(world.county_manager)
    url = "/api/v1/households/"
    rows = client.get(url, {"ordering": "-extra__yaks"}).json()["results"]
    assert [r["number"] for r in rows] == ["A1", "C1"]
    rows = client.get(url, {"ordering": "extra__yaks"}).json()["results"]
    assert [r["number"] for r in rows] == ["C1", "A1"]


@pytest.mark.parametrize("kind", ["people", "households", "houses", "units", "organisations"])
def test_list_queries_do_not_grow_with_the_rows(world, records, kind):
    client = api(world.county_manager)
    url = f"/api/v1/{kind}/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    many_records(world, 40)
    with CaptureQueriesContext(connection) as lots:
        response = client.get(url)
    assert response.json()["count"] > 40
    assert len(lots) == len(few) <= 8


def test_person_picture(world, records):
    picture = api(world.worker_a).get(f"/api/v1/people/{records.zhang.pk}/picture/").json()
    assert picture["household"]["number"] == "A1"
    assert [p["name"] for p in picture["household_members"]] == ["李四", "张小明"]
    assert picture["house"]["code"] == "HA1"
    assert [u["name"] for u in picture["units"]] == ["金东五金店"]
    assert picture["sections"] == []
    assert ID_A1 not in str(picture)
    assert api(world.worker_b).get(f"/api/v1/people/{records.zhang.pk}/picture/").status_code == 404


# --- reveal ---------------------------------------------------------------------------------


def test_reveal_with_a_reason_returns_the_value_and_logs_it(world, records):
    response = api(world.worker_a).post(
        f"/api/v1/people/{records.zhang.pk}/reveal/",
        {"field": "id_number", "reason": "入户核对"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {"field": "id_number", "value": ID_A1}
    assert response["Cache-Control"] == "no-store"
    [entry] = reveals()
    assert (entry.actor_id, entry.object_id, entry.reason) == (
        world.worker_a.pk,
        str(records.zhang.pk),
        "入户核对",
    )


def test_reveal_refusals(world, records):
    url = f"/api/v1/people/{records.zhang.pk}/reveal/"
    no_reason = api(world.worker_a).post(url, {"field": "phone", "reason": ""}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    not_sensitive = api(world.worker_a).post(url, {"field": "name", "reason": "x"}, format="json")
    assert not_sensitive.status_code == 400 and not_sensitive.json()["field"] == "field"
    body = {"field": "phone", "reason": "想看"}
    assert api(world.clerk).post(url, body, format="json").status_code == 403
    assert api(world.worker_b).post(url, body, format="json").status_code == 404
    assert api(world.citizen).post(url, body, format="json").status_code == 403
    assert reveals() == []


def test_reveal_of_a_house_owner_and_a_unit(world, records):
    from gezhi.registry.services import house_update

    house_update(actor=None, house=records.house_a, data={"owner_phone": "13600000000"})
    client = api(world.township_manager)
    house = client.post(
        f"/api/v1/houses/{records.house_a.pk}/reveal/",
        {"field": "owner_phone", "reason": "联系房东"},
        format="json",
    )
    assert house.json()["value"] == "13600000000"
    unit = client.post(
        f"/api/v1/units/{records.unit_a.pk}/reveal/",
        {"field": "legal_representative_id_number", "reason": "执法检查"},
        format="json",
    )
    assert unit.json()["value"] == ID_A1
    assert len(reveals()) == 2


# --- writing --------------------------------------------------------------------------------


def test_create_a_person(world, records):
    new_id = id_number("32061219880808008")
    response = api(world.worker_a).post(
        "/api/v1/people/",
        {
            "name": "孙七",
            "id_number": new_id,
            "phone": "13700001111",
            "house": "HA1",
            "household": records.household_a.pk,
            "relation_to_head": "子女",
            "tags": ["退役军人"],
            "extra": {"has_car": "是"},
            "reason": "入户登记",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id_number"] == f"{new_id[:6]}********{new_id[-4:]}"
    assert body["sex"] == "female" and body["birth_date"] == "1988-08-08"
    assert body["tags"] == ["veteran"]
    assert body["extra"] == {"has_car": True}
    person = Person.objects.get(pk=body["id"])
    assert person.grid == world.grid_a and person.household == records.household_a


def test_create_refusals_name_the_field(world, records):
    client = api(world.worker_a)
    bad = client.post(
        "/api/v1/people/", {"name": "孙七", "id_number": ID_A1[:-1] + "X", "house": "HA1"}
    )
    assert bad.status_code == 400 and bad.json()["field"] == "id_number"
    as_number = client.post(
        "/api/v1/people/", {"name": "孙七", "id_number": int(ID_A1), "house": "HA1"}, format="json"
    )
    assert as_number.status_code == 400 and as_number.json()["field"] == "id_number"
    assert "Excel" in as_number.json()["detail"]
    duplicate = client.post("/api/v1/people/", {"name": "张三", "id_number": ID_A1, "house": "HA1"})
    assert duplicate.status_code == 409 and duplicate.json()["field"] == "id_number"
    catalogue = client.post(
        "/api/v1/households/",
        {"number": "A2", "house": "HA1", "extra": {"yaks": "很多"}},
        format="json",
    )
    assert catalogue.status_code == 400 and catalogue.json()["field"] == "extra.yaks"
    unknown = client.post(
        "/api/v1/households/",
        {"number": "A2", "house": "HA1", "extra": {"goats": 3}},
        format="json",
    )
    assert unknown.status_code == 400 and unknown.json()["field"] == "extra.goats"
    no_grid = client.post("/api/v1/people/", {"name": "无处"}, format="json")
    assert no_grid.status_code == 400 and no_grid.json()["field"] == "grid"
    assert not Household.objects.filter(number="A2").exists()
    assert not Person.objects.filter(name__in=["孙七", "无处"]).exists()


def test_create_outside_scope_or_without_the_right(world, records):
    body = {"name": "孙七", "grid": world.grid_c.code}
    # A grid the worker cannot see is answered like one that does not exist.
    response = api(world.worker_a).post("/api/v1/people/", body, format="json")
    assert response.status_code == 404
    assert (
        api(world.clerk)
        .post("/api/v1/people/", {"name": "孙七", "grid": world.grid_a.code}, format="json")
        .status_code
        == 403
    )
    assert not Person.objects.filter(name="孙七").exists()


def test_patch_changes_only_what_is_sent(world, records):
    client = api(world.worker_a)
    response = client.patch(
        f"/api/v1/people/{records.zhang.pk}/",
        {"occupation": "牧民", "extra": {"has_car": False}, "reason": "入户核实"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    zhang = Person.objects.get(pk=records.zhang.pk)
    assert zhang.occupation == "牧民"
    assert zhang.id_number == ID_A1 and zhang.phone == PHONE_A1
    assert zhang.extra == {"has_car": False}
    entry = AuditEntry.objects.filter(action="person.update").latest("seq")
    assert entry.reason == "入户核实"
    assert client.put(f"/api/v1/people/{records.zhang.pk}/", {}).status_code == 405
    assert client.delete(f"/api/v1/people/{records.zhang.pk}/").status_code == 405


def test_patch_refusals(world, records):
    url = f"/api/v1/people/{records.zhang.pk}/"
    assert api(world.clerk).patch(url, {"occupation": "x"}, format="json").status_code == 403
    assert api(world.worker_b).patch(url, {"occupation": "x"}, format="json").status_code == 404
    bad = api(world.worker_a).patch(url, {"sex": "female"}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "sex"
    assert Person.objects.get(pk=records.zhang.pk).occupation == ""


def test_patch_a_households_head(world, records):
    client = api(world.township_manager)
    url = f"/api/v1/households/{records.household_a.pk}/"
    response = client.patch(url, {"head": records.li.pk, "reason": "户主变更"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["head_name"] == "李四"
    stranger = client.patch(url, {"head": records.wang.pk}, format="json")
    assert stranger.status_code == 400 and stranger.json()["field"] == "head"
    assert Household.objects.get(pk=records.household_a.pk).head == records.li


# --- the data catalogue -------------------------------------------------------------------


def test_catalogue_fields(world, records):
    client = api(world.worker_a)
    fields = client.get("/api/v1/catalogue-fields/", {"kind": "household"}).json()
    assert [(f["key"], f["type"], f["unit"]) for f in fields] == [
        ("yaks", "number", "头"),
        ("pasture_type", "choice", ""),
    ]
    assert fields[1]["choices"] == ["冬春草场", "夏秋草场"]
    everything = client.get("/api/v1/catalogue-fields/").json()
    assert {f["key"] for f in everything} == {"yaks", "pasture_type", "has_car"}
    county = api(world.county_manager)
    assert (
        county.get(
            "/api/v1/catalogue-fields/", {"kind": "person", "region": world.township_b.code}
        ).json()
        == []
    )
    assert (
        client.get("/api/v1/catalogue-fields/", {"region": world.township_b.code}).status_code
        == 404
    )
    bad = client.get("/api/v1/catalogue-fields/", {"kind": "cattle"})
    assert bad.status_code == 400 and bad.json()["field"] == "kind"


def test_catalogue_totals(world, records):
    url = f"/api/v1/regions/{world.county.code}/catalogue-totals/"
    totals = api(world.county_manager).get(url, {"kind": "household", "key": "yaks"}).json()
    assert (totals["count"], totals["sum"], totals["unit"]) == (2, 43, "头")
    # The township manager sees only their township's households.
    township = f"/api/v1/regions/{world.township_a.code}/catalogue-totals/"
    mine = api(world.township_manager).get(township, {"kind": "household", "key": "yaks"})
    assert mine.json()["sum"] == 40
    assert (
        api(world.township_manager).get(url, {"kind": "household", "key": "yaks"}).status_code
        == 404
    )
    choices = api(world.county_manager).get(url, {"kind": "household", "key": "pasture_type"})
    assert choices.json()["by_choice"] == {"冬春草场": 1, "夏秋草场": 0}
    assert api(world.county_manager).get(url, {"kind": "household"}).status_code == 400
    assert api(world.county_manager).get(url, {"kind": "x", "key": "yaks"}).status_code == 400
