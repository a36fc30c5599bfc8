"""Reads of the registers: scope, access, search, the filter sets, a person's whole picture."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import QueryDict
from django.test import RequestFactory

from gezhi.core.errors import NotFound
from gezhi.registry.filters import FILTERSETS
from gezhi.registry.models import House, Household, Organisation, Person, Unit
from gezhi.registry.selectors import (
    PICTURE_SECTIONS,
    PictureSection,
    access_record,
    birth_date_bounds,
    catalogue_fields_for_user,
    filter_grids,
    filter_regions,
    house_occupants,
    household_members,
    person_picture,
    records_for_user,
    register_picture_section,
    search_records,
)
from tests.registry.records import ID_A1, ID_B1, PHONE_A1, make_records


@pytest.fixture
def records(world):
    return make_records(world)


def names(queryset) -> list[str]:
    return sorted(str(r) for r in queryset)


# --- scope ----------------------------------------------------------------------------------


def test_grid_worker_sees_their_grid_only(world, records):
    assert names(records_for_user(world.worker_a, Person)) == ["张三", "张小明", "李四"]
    assert names(records_for_user(world.worker_b, Person)) == ["王五"]
    assert names(records_for_user(world.worker_a, House)) == ["金东路1号"]


def test_township_manager_sees_their_township(world, records):
    assert names(records_for_user(world.township_manager, Person)) == [
        "张三",
        "张小明",
        "李四",
        "王五",
    ]
    assert names(records_for_user(world.township_manager, Unit)) == ["金东五金店"]
    assert names(records_for_user(world.county_manager, Unit)) == ["石港加油站", "金东五金店"]


def test_users_without_the_registers_see_nothing(world, records):
    for user in (world.auditor, world.citizen, world.outsider):
        assert not records_for_user(user, Person).exists()


def test_access_outside_scope_is_the_same_as_missing(world, records):
    assert access_record(world.worker_a, Person, records.zhang.pk) == records.zhang
    with pytest.raises(NotFound):
        access_record(world.worker_a, Person, records.wang.pk)
    with pytest.raises(NotFound):
        access_record(world.worker_a, Person, 999999)
    with pytest.raises(NotFound):
        access_record(world.worker_a, Person, "not-a-number")
    with pytest.raises(NotFound):
        access_record(world.township_manager, Household, records.household_c.pk)


# --- search ---------------------------------------------------------------------------------


def search(user, model, text) -> list[str]:
    return names(search_records(records_for_user(user, model), text))


def test_search_by_part_of_a_chinese_name(world, records):
    assert search(world.township_manager, Person, "张") == ["张三", "张小明"]
    assert search(world.township_manager, Person, "小明") == ["张小明"]


def test_search_by_whole_id_number_or_its_last_digits(world, records):
    assert search(world.township_manager, Person, ID_A1) == ["张三"]
    assert search(world.township_manager, Person, ID_A1.lower()) == ["张三"]
    assert search(world.township_manager, Person, ID_B1[-6:]) == ["王五"]
    # Outside the scope, a whole ID number finds nothing.
    assert search(world.worker_b, Person, ID_A1) == []


def test_search_by_phone_whole_or_last_digits(world, records):
    assert search(world.county_manager, Person, PHONE_A1) == ["张三"]
    assert search(world.county_manager, Person, "5678") == ["张三"]


def test_search_by_address(world, records):
    assert search(world.county_manager, Person, "金东路9号") == ["王五"]
    assert search(world.county_manager, House, "石港路") == ["石港路3号"]
    assert search(world.county_manager, Household, "A1") == ["A1"]


def test_search_words_must_all_match(world, records):
    assert search(world.county_manager, Person, "张 金东路1号") == ["张三", "张小明"]
    assert search(world.county_manager, Person, "王 金东路1号") == []


def test_search_units_and_organisations(world, records):
    assert search(world.county_manager, Unit, "加油") == ["石港加油站"]
    assert search(world.county_manager, Unit, records.unit_a.credit_code) == ["金东五金店"]
    assert search(world.county_manager, Organisation, "党支部") == ["金东五金店党支部"]


# --- filters --------------------------------------------------------------------------------


def filtered(user, model, query: str) -> list[str]:
    request = RequestFactory().get("/", QueryDict(query))
    request.user = user
    filterset = FILTERSETS[model](
        request.GET, queryset=records_for_user(user, model), request=request
    )
    assert filterset.is_valid(), filterset.errors
    return names(filterset.qs)


def test_region_filter_takes_the_subtree(world, records):
    assert filtered(world.county_manager, Person, f"region={world.township_b.code}") == ["赵六"]
    assert filtered(world.county_manager, Person, f"region={world.village_a.code}") == [
        "张三",
        "张小明",
        "李四",
        "王五",
    ]
    assert filtered(world.county_manager, Person, "region=999") == []
    # A region outside the user's scope adds nothing to what they see.
    assert filtered(world.worker_a, Person, f"region={world.township_b.code}") == []


def test_grid_filter(world, records):
    assert filtered(world.county_manager, Person, f"grid={world.grid_b.code}") == ["王五"]


def test_population_type_sex_and_ethnicity(world, records):
    user = world.county_manager
    assert filtered(user, Person, "population_type=floating") == ["王五"]
    assert filtered(user, Person, "sex=female") == ["李四", "王五"]
    assert filtered(user, Person, "ethnicity=04") == ["王五"]


def test_age_range(world, records):
    user = world.county_manager
    assert filtered(user, Person, "age_min=60") == ["张三", "李四"]
    assert filtered(user, Person, "age_max=17") == ["张小明"]
    assert filtered(user, Person, "age_min=30&age_max=50") == ["王五", "赵六"]


def test_birth_date_bounds_count_whole_years():
    """Aged 60 on 2026-03-01: born after 1965-03-01, on or before 1966-03-01."""
    from django.db.models import Q

    today = dt.date(2026, 3, 1)
    assert birth_date_bounds(age_min=60, age_max=60, today=today) == Q(
        birth_date__lte=dt.date(1966, 3, 1)
    ) & Q(birth_date__gt=dt.date(1965, 3, 1))
    # 29 February has no twin in most years: the day before counts.
    assert birth_date_bounds(age_min=1, age_max=None, today=dt.date(2024, 2, 29)) == Q(
        birth_date__lte=dt.date(2023, 2, 28)
    )


def test_tags_any_of(world, records):
    user = world.county_manager
    assert filtered(user, Person, "tags=elderly_alone&tags=left_behind_child") == [
        "张三",
        "张小明",
    ]
    assert filtered(user, Person, "tags=veteran") == []


def test_sensitive_tag_finds_only_people_the_user_may_reveal(world, records):
    # The county manager may reveal; the department clerk may not: filtering on a sensitive
    # tag must not tell them who has it.
    assert filtered(world.county_manager, Person, "tags=disabled") == ["张三"]
    assert filtered(world.clerk, Person, "tags=disabled") == []
    assert filtered(world.clerk, Person, "tags=elderly_alone") == ["张三"]


def test_house_and_unit_filters(world, records):
    user = world.county_manager
    assert filtered(user, House, "use=commercial") == ["金东路9号"]
    assert filtered(user, Unit, "hazardous_chemicals=true") == ["石港加油站"]
    assert filtered(user, Unit, "hazardous_chemicals=false") == ["金东五金店"]
    assert filtered(user, Unit, "type=individual") == ["金东五金店"]
    assert filtered(user, Organisation, "kind=union") == ["石港加油站工会"]
    assert filtered(user, Person, f"household={records.household_a.pk}") == [
        "张三",
        "张小明",
        "李四",
    ]


def test_catalogue_number_filters(world, records):
    user = world.county_manager
    assert filtered(user, Household, "extra__yaks__min=10") == ["A1"]
    assert filtered(user, Household, "extra__yaks__max=10") == ["C1"]
    assert filtered(user, Household, "extra__yaks=3") == ["C1"]
    assert filtered(user, Household, "extra__yaks__min=2.5&extra__yaks__max=3.5") == ["C1"]


def test_catalogue_choice_and_yes_no_filters(world, records):
    user = world.county_manager
    assert filtered(user, Household, "extra__pasture_type=冬春草场") == ["A1"]
    assert filtered(user, Person, "extra__has_car=true") == ["张三"]
    assert filtered(user, Person, "extra__has_car=false") == ["李四"]


def test_catalogue_filters_follow_the_region(world, records):
    """The car field is defined for township A: a list of township B has no such filter."""
    request = RequestFactory().get("/", {"region": world.township_b.code})
    request.user = world.county_manager
    filterset = FILTERSETS[Person](request.GET, request=request)
    assert "extra__has_car" not in filterset.filters
    request = RequestFactory().get("/", {"region": world.township_a.code})
    request.user = world.county_manager
    filterset = FILTERSETS[Person](request.GET, request=request)
    assert "extra__has_car" in filterset.filters


def test_catalogue_fields_for_user(world, records):
    assert [f.key for f in catalogue_fields_for_user(world.worker_a, "person")] == ["has_car"]
    assert catalogue_fields_for_user(world.outsider, "person") == []
    # A grid worker of township A sees the county's household fields, which apply there.
    assert [f.key for f in catalogue_fields_for_user(world.worker_a, "household")] == [
        "yaks",
        "pasture_type",
    ]
    assert [f.key for f in catalogue_fields_for_user(world.county_manager, "person")] == ["has_car"]
    assert catalogue_fields_for_user(world.county_manager, "person", world.township_b) == []


def test_multiple_choice_filter(world, records):
    from gezhi.registry.services import catalogue_field_create, household_update

    catalogue_field_create(
        actor=None,
        region=world.county,
        kind="household",
        key="animals",
        label="牲畜",
        type="multi_choice",
        choices=["牦牛", "藏羊", "马"],
    )
    household_update(
        actor=None, household=records.household_a, data={}, extra={"animals": ["牦牛", "马"]}
    )
    household_update(
        actor=None, household=records.household_c, data={}, extra={"animals": ["藏羊"]}
    )
    user = world.county_manager
    assert filtered(user, Household, "extra__animals=马") == ["A1"]
    assert filtered(user, Household, "extra__animals=藏羊") == ["C1"]


def test_filter_places(world, records):
    assert [r.code for r in filter_regions(world.township_manager)] == [
        world.township_a.code,
        world.village_a.code,
    ]
    assert [g.code for g in filter_grids(world.township_manager)] == [
        world.grid_a.code,
        world.grid_b.code,
    ]
    assert [g.code for g in filter_grids(world.county_manager, world.township_b)] == [
        world.grid_c.code
    ]


# --- the whole picture ----------------------------------------------------------------------


def test_person_picture(world, records):
    picture = person_picture(world.worker_a, records.zhang)
    assert picture.household == records.household_a
    assert [p.name for p in picture.household_members] == ["李四", "张小明"]
    assert picture.house == records.house_a
    assert [p.name for p in picture.co_occupants] == ["李四", "张小明"]
    assert [u.name for u in picture.units] == ["金东五金店"]
    assert picture.sections == []


def test_person_picture_stays_in_scope(world, records):
    """A grid worker of grid B reading a person of grid B living at a house of grid A (as
    may happen after a move) sees neither the house nor its occupants."""
    from gezhi.registry.services import person_update

    person_update(actor=None, person=records.wang, data={"house": "HA1", "grid": world.grid_b.code})
    wang = Person.objects.get(pk=records.wang.pk)
    picture = person_picture(world.worker_b, wang)
    assert picture.house is None
    assert picture.co_occupants == []
    picture = person_picture(world.township_manager, wang)
    assert picture.house == records.house_a
    assert [p.name for p in picture.co_occupants] == ["张三", "李四", "张小明"]


def test_picture_sections_are_extensible(world, records):
    @register_picture_section
    def calls(user, person):
        if person.name != "张三":
            return None
        return PictureSection(key="calls", title="来电", template="x.html", items=[1, 2])

    try:
        picture = person_picture(world.worker_a, records.zhang)
        assert [(s.key, s.items) for s in picture.sections] == [("calls", [1, 2])]
        assert person_picture(world.worker_a, records.li).sections == []
    finally:
        PICTURE_SECTIONS.remove(calls)


def test_household_members_head_first_and_house_occupants(world, records):
    assert [p.name for p in household_members(world.worker_a, records.household_a)] == [
        "张三",
        "李四",
        "张小明",
    ]
    assert [p.name for p in house_occupants(world.worker_b, records.house_a)] == []
