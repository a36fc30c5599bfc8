"""The register pages: lists, details, forms and the reveal, scoped and masked."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gezhi.core.models import AuditEntry
from gezhi.registry.models import House, Household, Organisation, Person, Unit
from tests.registry.records import (
    ID_A1,
    ID_A2,
    ID_B1,
    PHONE_A1,
    id_number,
    make_records,
)


@pytest.fixture
def records(world):
    return make_records(world)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def listed(response) -> list[str]:
    return sorted(str(r) for r in response.context["page"])


def reveals() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="personal_data.reveal").order_by("seq"))


# --- access ---------------------------------------------------------------------------------


def test_pages_need_a_login(world, records):
    for url in (
        "/registry/people/",
        f"/registry/people/{records.zhang.pk}/",
        "/registry/houses/new/",
        f"/registry/people/{records.zhang.pk}/reveal/?field=id_number",
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert response.url.startswith("/login/")


def test_lists_are_scoped(world, records):
    url = "/registry/people/"
    assert listed(client_for(world.worker_a).get(url)) == ["张三", "张小明", "李四"]
    assert listed(client_for(world.worker_b).get(url)) == ["王五"]
    assert listed(client_for(world.township_manager).get(url)) == [
        "张三",
        "张小明",
        "李四",
        "王五",
    ]
    assert len(listed(client_for(world.county_manager).get(url))) == 5
    assert listed(client_for(world.township_manager).get("/registry/units/")) == ["金东五金店"]


def test_users_without_the_registers_are_refused(world, records):
    for user in (world.citizen, world.outsider, world.auditor):
        client = client_for(user)
        assert client.get("/registry/people/").status_code == 403
        assert client.get(f"/registry/people/{records.zhang.pk}/").status_code == 404


def test_record_outside_scope_is_a_404_like_a_missing_one(world, records):
    client = client_for(world.worker_a)
    assert client.get(f"/registry/people/{records.zhang.pk}/").status_code == 200
    assert client.get(f"/registry/people/{records.wang.pk}/").status_code == 404
    assert client.get("/registry/people/999999/").status_code == 404
    manager = client_for(world.township_manager)
    assert manager.get(f"/registry/households/{records.household_c.pk}/").status_code == 404
    assert manager.get(f"/registry/units/{records.unit_c.pk}/").status_code == 404
    assert manager.get(f"/registry/people/{records.zhao.pk}/edit/").status_code == 404
    assert manager.get(f"/registry/people/{records.zhao.pk}/reveal/").status_code == 404


def test_nav_links_for_those_who_see_the_registers(world, records):
    assert 'href="/registry/people/"' in html(client_for(world.worker_a).get("/"))
    assert 'href="/registry/people/"' not in html(client_for(world.citizen).get("/"))


# --- lists ----------------------------------------------------------------------------------


def test_list_masks_id_numbers_and_phones(world, records):
    response = client_for(world.county_manager).get("/registry/people/")
    page = html(response)
    assert ID_A1 not in page and PHONE_A1 not in page and ID_B1 not in page
    assert f"{ID_A1[:6]}********{ID_A1[-4:]}" in page
    assert "138****5678" in page


def test_list_search_filters_and_count(world, records):
    client = client_for(world.township_manager)
    response = client.get("/registry/people/", {"q": "张"})
    assert listed(response) == ["张三", "张小明"]
    assert "共 2 条" in html(response)
    assert listed(client.get("/registry/people/", {"q": ID_A2[-4:]})) == ["李四"]
    assert listed(client.get("/registry/people/", {"tags": "left_behind_child"})) == ["张小明"]
    assert listed(client.get("/registry/people/", {"population_type": "floating"})) == ["王五"]
    assert listed(client.get("/registry/people/", {"grid": world.grid_b.code})) == ["王五"]


def test_list_with_a_wrong_filter_says_so(world, records):
    response = client_for(world.county_manager).get(
        "/registry/people/", {"age_min": "六十", "sex": "female"}
    )
    assert response.status_code == 200
    assert "age_min" in response.context["form"].errors
    # The filters that are right still apply.
    assert listed(response) == ["李四", "王五"]


def test_people_and_households_link_to_each_other(world, records):
    client = client_for(world.worker_a)
    assert 'href="/registry/households/">按户查看' in html(client.get("/registry/people/"))
    assert 'href="/registry/people/">按人查看' in html(client.get("/registry/households/"))


@pytest.mark.urls("tests.registry.urls_with_export")
def test_export_button_carries_the_lists_filters(world, records):
    from django.urls import reverse

    export = reverse("registry-export", args=["people"])
    page = html(
        client_for(world.township_manager).get(
            "/registry/people/", {"q": "张", "sex": "male", "page": "1", "sort": "name"}
        )
    )
    assert f'href="{export}?q=%E5%BC%A0&amp;sex=male"' in page
    # Grid workers keep their grid's registers but do not export them.
    assert export not in html(client_for(world.worker_a).get("/registry/people/"))


def test_list_catalogue_columns_filters_and_sorting(world, records):
    client = client_for(world.county_manager)
    response = client.get("/registry/households/", {"sort": "-extra__yaks"})
    page = html(response)
    assert "牦牛" in page and "40 头" in page
    assert [str(r) for r in response.context["page"]] == ["A1", "C1"]
    assert [
        str(r) for r in client.get("/registry/households/", {"sort": "extra__yaks"}).context["page"]
    ] == [
        "C1",
        "A1",
    ]
    assert listed(client.get("/registry/households/", {"extra__yaks__min": "10"})) == ["A1"]
    # The filter panel offers the catalogue's fields.
    assert 'name="extra__yaks__min"' in page
    assert 'name="extra__pasture_type"' in page


def test_list_columns_follow_the_region(world, records):
    client = client_for(world.county_manager)
    assert "有私家车" in html(client.get("/registry/people/", {"region": world.township_a.code}))
    assert "有私家车" not in html(
        client.get("/registry/people/", {"region": world.township_b.code})
    )


def test_list_sorting_by_column(world, records):
    client = client_for(world.worker_a)
    by_birth = client.get("/registry/people/", {"sort": "-birth_date"})
    assert [p.name for p in by_birth.context["page"]] == ["张小明", "李四", "张三"]
    # An unknown sort falls back to the default, by name.
    assert client.get("/registry/people/", {"sort": "password"}).status_code == 200


def test_sensitive_tags_only_for_those_who_may_reveal(world, records):
    url = f"/registry/people/{records.zhang.pk}/"
    assert "残疾人" in html(client_for(world.county_manager).get(url))
    page = html(client_for(world.clerk).get(url))
    assert "独居老人" in page and "残疾人" not in page
    people = html(client_for(world.clerk).get("/registry/people/"))
    assert "残疾人" not in people  # neither in the rows nor among the filter's tags


def many_records(world, n: int) -> None:
    """`n` more houses, households, units, organisations and people in grid A, each person
    in a household at a house (bulk: only test data)."""
    place = {"grid": world.grid_a, "grid_path": world.grid_a.path}
    houses = House.objects.bulk_create(
        House(code=f"HX{i:03d}", address=f"金东路{100 + i}号", **place) for i in range(n)
    )
    households = Household.objects.bulk_create(
        Household(number=f"X{i:03d}", house=houses[i], extra={"yaks": i}, **place) for i in range(n)
    )
    people = Person.objects.bulk_create(
        Person(
            name=f"居民{i:03d}",
            phone=f"1390000{i:04d}",
            house=houses[i],
            household=households[i],
            tags=["low_income"],
            extra={"has_car": i % 2 == 0},
            **place,
        )
        for i in range(n)
    )
    for household, person in zip(households, people, strict=True):
        household.head = person
    Household.objects.bulk_update(households, ["head"])
    units = Unit.objects.bulk_create(
        Unit(name=f"商铺{i:03d}", house=houses[i], phone="13800000000", **place) for i in range(n)
    )
    Organisation.objects.bulk_create(
        Organisation(name=f"协会{i:03d}", kind="social", unit=units[i], **place) for i in range(n)
    )


def form_values(response) -> dict:
    """What the browser would post back: every field's current value."""
    form = response.context["form"]
    values = {}
    for name in form.fields:
        value = form[name].value()
        if value not in (None, "", []):
            values[name] = value
    return values


@pytest.mark.parametrize(
    "url",
    [
        "/registry/people/",
        "/registry/households/",
        "/registry/houses/",
        "/registry/units/",
        "/registry/organisations/",
    ],
)
def test_list_queries_do_not_grow_with_the_rows(world, records, url, django_assert_max_num_queries):
    client = client_for(world.county_manager)
    client.get(url)  # session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    many_records(world, 60)
    with CaptureQueriesContext(connection) as lots:
        assert client.get(url).status_code == 200
    assert len(lots) == len(few)
    with django_assert_max_num_queries(16):
        client.get(url)


def test_list_pages_by_fifty(world, records):
    many_records(world, 60)
    client = client_for(world.worker_a)
    first = client.get("/registry/people/")
    assert len(first.context["page"]) == 50
    assert "共 63 条" in html(first)
    second = client.get("/registry/people/", {"page": 2})
    assert len(second.context["page"]) == 13


def test_detail_queries_are_bounded(world, records, django_assert_max_num_queries):
    many_records(world, 30)
    # Thirty of them join 张三's household and house.
    Person.objects.filter(name__startswith="居民").update(
        household=records.household_a, house=records.house_a
    )
    client = client_for(world.township_manager)
    client.get("/")
    with django_assert_max_num_queries(24):
        assert client.get(f"/registry/people/{records.zhang.pk}/").status_code == 200
    with django_assert_max_num_queries(24):
        assert client.get(f"/registry/houses/{records.house_a.pk}/").status_code == 200
    with django_assert_max_num_queries(24):
        assert client.get(f"/registry/households/{records.household_a.pk}/").status_code == 200


# --- details --------------------------------------------------------------------------------


def test_person_page_shows_the_whole_picture_masked(world, records):
    response = client_for(world.worker_a).get(f"/registry/people/{records.zhang.pk}/")
    page = html(response)
    assert ID_A1 not in page and PHONE_A1 not in page
    assert "138****5678" in page
    picture = response.context["picture"]
    assert [p.name for p in picture.household_members] == ["李四", "张小明"]
    assert [u.name for u in picture.units] == ["金东五金店"]
    assert "金东五金店" in page and "户号 A1" in page
    # The catalogue value, as its definition shows it.
    assert "有私家车" in page
    # The history: the registration.
    assert "登记" in page


def test_house_household_unit_pages(world, records):
    client = client_for(world.township_manager)
    house = client.get(f"/registry/houses/{records.house_a.pk}/")
    assert sorted(p.name for p in house.context["occupants"]) == ["张三", "张小明", "李四"]
    assert [u.name for u in house.context["units"]] == ["金东五金店"]
    household = client.get(f"/registry/households/{records.household_a.pk}/")
    assert [p.name for p in household.context["members"]] == ["张三", "李四", "张小明"]
    assert "40 头" in html(household)
    unit = client.get(f"/registry/units/{records.unit_a.pk}/")
    assert [o.name for o in unit.context["organisations"]] == ["金东五金店党支部"]
    assert unit.context["representative"] == records.zhang
    assert ID_A1 not in html(unit)
    organisation = client.get(f"/registry/organisations/{records.org_a.pk}/")
    assert "金东五金店" in html(organisation)


# --- reveal ---------------------------------------------------------------------------------


def test_reveal_asks_for_a_reason_then_shows_the_value_once_and_logs_it(world, records):
    client = client_for(world.worker_a)
    url = f"/registry/people/{records.zhang.pk}/reveal/"
    form = client.get(url, {"field": "id_number"}, headers={"HX-Request": "true"})
    assert form.status_code == 200
    assert 'name="reason"' in html(form) and ID_A1 not in html(form)
    assert reveals() == []

    refused = client.post(
        url, {"field": "id_number", "reason": " "}, headers={"HX-Request": "true"}
    )
    assert "请填写查看事由" in html(refused) and ID_A1 not in html(refused)
    assert reveals() == []

    shown = client.post(
        url, {"field": "id_number", "reason": "入户核对身份"}, headers={"HX-Request": "true"}
    )
    assert ID_A1 in html(shown)
    assert shown["Cache-Control"] == "no-store"
    [entry] = reveals()
    assert (entry.actor_id, entry.object_id, entry.reason) == (
        world.worker_a.pk,
        str(records.zhang.pk),
        "入户核对身份",
    )
    assert entry.after == {"field": "id_number"}
    # Once: the page shows it masked again.
    assert ID_A1 not in html(client.get(f"/registry/people/{records.zhang.pk}/"))


def test_reveal_without_javascript_is_a_page(world, records):
    client = client_for(world.township_manager)
    url = f"/registry/units/{records.unit_a.pk}/reveal/"
    page = client.get(url, {"field": "legal_representative_id_number"})
    assert "<html" in html(page) and "查看完整信息" in html(page)
    shown = client.post(url, {"field": "legal_representative_id_number", "reason": "执法检查"})
    assert ID_A1 in html(shown)
    assert len(reveals()) == 1


def test_reveal_refused_without_the_permission_or_out_of_scope(world, records):
    url = f"/registry/people/{records.zhang.pk}/reveal/"
    body = {"field": "id_number", "reason": "想看看"}
    clerk = client_for(world.clerk)  # sees the registers, may not reveal
    assert clerk.get(url, {"field": "id_number"}).status_code == 403
    assert clerk.post(url, body).status_code == 403
    assert client_for(world.worker_b).post(url, body).status_code == 404
    assert client_for(world.citizen).post(url, body).status_code == 404
    assert reveals() == []
    # The detail page offers the reveal only to those who may.
    detail = f"/registry/people/{records.zhang.pk}/"
    assert "查看完整信息" not in html(clerk.get(detail))
    assert "查看完整信息" in html(client_for(world.worker_a).get(detail))


def test_reveal_of_a_field_that_is_not_personal_data(world, records):
    client = client_for(world.worker_a)
    response = client.post(
        f"/registry/people/{records.zhang.pk}/reveal/", {"field": "name", "reason": "核对"}
    )
    assert response.status_code == 200
    assert response.context["value"] is None
    assert reveals() == []


# --- forms ----------------------------------------------------------------------------------


def test_create_a_person(world, records):
    client = client_for(world.worker_a)
    new_id = id_number("32061219880808008")
    form = client.get("/registry/people/new/")
    assert form.status_code == 200
    assert "extra__has_car" in html(form)
    response = client.post(
        "/registry/people/new/",
        {
            "name": "孙七",
            "id_number": new_id,
            "phone": "13700001111",
            "house": "HA1",
            "population_type": "registered",
            "tags": ["veteran"],
            "extra__has_car": "true",
        },
    )
    person = Person.objects.get(id_number=new_id)
    assert response.status_code == 302
    assert response.url == f"/registry/people/{person.pk}/"
    assert person.grid == world.grid_a
    assert person.sex == "female"  # from the ID number
    assert person.tags == ["veteran"]
    assert person.extra == {"has_car": True}
    assert AuditEntry.objects.filter(action="person.create", object_id=str(person.pk)).exists()


def test_create_with_only_a_name_takes_the_defaults(world, records):
    response = client_for(world.worker_a).post(
        "/registry/people/new/", {"name": "无证人员", "house": "HA1"}
    )
    assert response.status_code == 302, response.context["form"].errors
    person = Person.objects.get(name="无证人员")
    assert (person.sex, person.population_type, person.id_number) == ("unknown", "registered", "")
    form = client_for(world.worker_a).get(f"/registry/people/{person.pk}/edit/")
    choices = dict(form.context["form"].fields["population_type"].choices)
    assert "" not in choices  # never emptied by mistake


def test_create_errors_land_on_their_fields(world, records):
    client = client_for(world.worker_a)
    bad_id = ID_A1[:-1] + ("0" if ID_A1[-1] != "0" else "1")
    response = client.post(
        "/registry/people/new/",
        {"name": "", "id_number": bad_id, "phone": "138abc", "house": "HA1"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "校验位" in " ".join(errors["id_number"])
    assert "phone" in errors and "name" in errors
    assert not Person.objects.filter(name="").exists()


def test_duplicate_id_number_is_an_error_on_the_field(world, records):
    response = client_for(world.worker_a).post(
        "/registry/people/new/", {"name": "张三", "id_number": ID_A1, "house": "HA1"}
    )
    assert response.status_code == 200
    assert "已登记" in " ".join(response.context["form"].errors["id_number"])


def test_catalogue_error_lands_on_the_catalogue_field(world, records):
    response = client_for(world.worker_a).post(
        "/registry/households/new/",
        {"number": "A2", "house": "HA1", "extra__yaks": "很多"},
    )
    assert response.status_code == 200
    assert "牦牛" in " ".join(response.context["form"].errors["extra__yaks"])
    assert not Household.objects.filter(number="A2").exists()


def test_create_form_shows_the_catalogue_of_the_chosen_grid(world, records):
    client = client_for(world.county_manager)
    assert "extra__has_car" in html(client.get("/registry/people/new/"))
    chosen = client.get("/registry/people/new/", {"grid": world.grid_c.code})
    assert "extra__has_car" not in html(chosen)
    assert "extra__has_car" in html(
        client.get("/registry/people/new/", {"grid": world.grid_a.code})
    )


def test_edit_keeps_personal_data_unless_retyped(world, records):
    client = client_for(world.worker_a)
    url = f"/registry/people/{records.zhang.pk}/edit/"
    form = client.get(url)
    page = html(form)
    # The edit form never carries the full ID number or phone.
    assert ID_A1 not in page and PHONE_A1 not in page
    data = form_values(form)
    data.update(occupation="牧民", extra__has_car="false", reason="入户核实")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    zhang = Person.objects.get(pk=records.zhang.pk)
    assert zhang.occupation == "牧民"
    assert zhang.id_number == ID_A1 and zhang.phone == PHONE_A1
    assert zhang.tags == ["elderly_alone", "disabled"]
    assert zhang.extra == {"has_car": False}
    detail = html(client.get(f"/registry/people/{records.zhang.pk}/"))
    assert "入户核实" in detail and "牧民" in detail


def test_edit_a_new_house_moves_the_person_to_its_grid(world, records):
    client = client_for(world.township_manager)
    url = f"/registry/people/{records.li.pk}/edit/"
    data = form_values(client.get(url))
    data.update(house="HB1", reason="搬家")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    li = Person.objects.get(pk=records.li.pk)
    assert (li.house.code, li.grid) == ("HB1", world.grid_b)
    assert "迁移网格" in html(client.get(f"/registry/people/{li.pk}/"))


def test_edit_by_someone_who_may_not_change_is_refused(world, records):
    url = f"/registry/people/{records.zhang.pk}/edit/"
    assert client_for(world.clerk).get(url).status_code == 403
    assert client_for(world.clerk).post(url, {"name": "X"}).status_code == 403
    assert client_for(world.worker_b).get(url).status_code == 404
    assert Person.objects.get(pk=records.zhang.pk).name == "张三"
    assert client_for(world.clerk).get("/registry/people/new/").status_code == 403


def test_edit_keeps_sensitive_tags_the_editor_cannot_see(world, records):
    """An editor who may change but not reveal never sees the sensitive tags, and saving
    the form must not drop them."""
    from gezhi.accounts.choices import Role
    from gezhi.accounts.models import Membership
    from tests.conftest import make_user

    editor = make_user("editor")
    Membership.objects.create(user=editor, role=Role.SYSTEM_ADMIN, region=world.township_a)
    client = client_for(editor)
    url = f"/registry/people/{records.zhang.pk}/edit/"
    form = client.get(url)
    assert "残疾人" not in html(form)
    data = form_values(form)
    data["tags"] = ["elderly_alone", "veteran"]
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    assert Person.objects.get(pk=records.zhang.pk).tags == ["elderly_alone", "veteran", "disabled"]


def test_edit_a_household_and_choose_its_head(world, records):
    client = client_for(world.township_manager)
    url = f"/registry/households/{records.household_a.pk}/edit/"
    data = form_values(client.get(url))
    data.update(head=str(records.li.pk), reason="户主变更")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    household = Household.objects.get(pk=records.household_a.pk)
    assert household.head == records.li
    assert Person.objects.get(pk=records.li.pk).relation_to_head == "head"


def test_create_house_unit_and_organisation(world, records):
    client = client_for(world.township_manager)
    house = client.post(
        "/registry/houses/new/",
        {
            "code": "HA9",
            "address": "金东路99号",
            "lng": "120.2",
            "lat": "32.1",
            "use": "residential",
        },
    )
    assert house.status_code == 302
    unit = client.post(
        "/registry/units/new/", {"name": "金东茶馆", "house": "HA9", "type": "venue"}
    )
    assert unit.status_code == 302
    organisation = client.post(
        "/registry/organisations/new/",
        {"name": "金东茶馆志愿队", "kind": "volunteer", "grid": world.grid_a.code},
    )
    assert organisation.status_code == 302
    missing_kind = client.post(
        "/registry/organisations/new/", {"name": "无类别", "grid": world.grid_a.code}
    )
    assert "kind" in missing_kind.context["form"].errors
