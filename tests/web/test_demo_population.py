"""The demo's population: valid identity numbers that agree with each person's sex and birth
date, families whose ages fit their relations, houses inside their grids, valid credit codes,
a Party branch in every village, 达日县's livestock catalogue filled in for every household,
and seeding that repeats itself exactly and never twice."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError
from django.forms.models import model_to_dict
from shapely.geometry import shape

from gezhi.accounts.models import User
from gezhi.core.audit import audit_verify
from gezhi.core.models import AuditEntry
from gezhi.lib.codes import credit_code_error, mobile_error, parse_id_number
from gezhi.lib.divisions import current_area_codes
from gezhi.regions.geoindex import get_index
from gezhi.regions.models import Region
from gezhi.registry.catalogue import clean_extra, fields_for
from gezhi.registry.choices import (
    OrganisationKind,
    PersonTag,
    PopulationType,
    RecordKind,
    RelationToHead,
)
from gezhi.registry.models import CatalogueField, House, Household, Organisation, Person, Unit
from gezhi.registry.validation import (
    clean_house,
    clean_household,
    clean_organisation,
    clean_person,
    clean_unit,
)
from gezhi.web.demo import places
from gezhi.web.demo.families import age_of
from gezhi.web.demo.identities import organisation_check_char
from gezhi.web.demo.localities import LOCALITIES
from gezhi.web.demo.population import seed_population
from gezhi.web.demo.seed import DEMO_SEED, SeedOptions, _geojson_features, seed_demo

DARI, TONGZHOU, CHANGTAI = "632624", "320612", "350605"
REGISTERS = (Person, Household, House, Unit, Organisation)


def small(county: str, people_per_grid: int = 15) -> SeedOptions:
    """One county, two townships of two villages (two areas each in 达日县), two grids each."""
    return SeedOptions(
        counties=(county,),
        townships=2,
        villages_per_township=2,
        areas_per_village=2,
        grids_per_village=2,
        people_per_grid=people_per_grid,
    )


@pytest.fixture
def dari(db):
    seed_demo(small(DARI))
    return Region.objects.get(code=DARI)


@pytest.fixture
def tongzhou(db):
    """Two street offices: communities only, with floating and overseas residents."""
    seed_demo(small(TONGZHOU, people_per_grid=30))
    return Region.objects.get(code=TONGZHOU)


@pytest.fixture
def changtai(db):
    """Two towns: each a seat community and villages."""
    seed_demo(small(CHANGTAI, people_per_grid=30))
    return Region.objects.get(code=CHANGTAI)


def within(model, county: Region):
    return model.objects.filter(grid_path__startswith=county.path)


def test_every_id_number_is_valid_unique_and_agrees_with_sex_and_birth_date(dari, tongzhou):
    for county in (dari, tongzhou):
        people = list(within(Person, county))
        assert len(people) > 100
        numbers = [p.id_number for p in people if p.id_number]
        assert len(numbers) == len(set(numbers))
        neighbours = {o.code for o in LOCALITIES[county.code].neighbours}
        for person in people:
            if person.population_type == PopulationType.OVERSEAS:
                assert not person.id_number
                continue
            parsed = parse_id_number(person.id_number)
            assert parsed.sex == person.sex, person.id_number
            assert parsed.birth_date == person.birth_date, person.id_number
            if person.population_type == PopulationType.FLOATING:
                # Registered where they come from: a real county elsewhere.
                assert parsed.area_code == person.registered_region_code != county.code
            elif person.relation_to_head in (RelationToHead.SPOUSE, RelationToHead.CHILD_IN_LAW):
                assert parsed.area_code in {county.code} | neighbours
            else:
                assert parsed.area_code == county.code, person.id_number


def test_ages_fit_relations_and_every_household_has_one_head(dari, changtai):
    for county in (dari, changtai):
        households = within(Household, county).prefetch_related("members")
        assert households.count() > 20
        for household in households:
            members = list(household.members.all())
            heads = [p for p in members if p.relation_to_head == RelationToHead.HEAD]
            assert len(heads) == 1, household.number
            assert household.head_id == heads[0].pk
            head = heads[0]
            for person in members:
                gap = (person.birth_date - head.birth_date).days / 365.25
                if person.relation_to_head == RelationToHead.CHILD:
                    assert gap >= 17, (household.number, person.name)
                if person.relation_to_head == RelationToHead.GRANDCHILD:
                    assert gap >= 34, (household.number, person.name)
                if person.relation_to_head == RelationToHead.PARENT:
                    assert gap <= -17, (household.number, person.name)
                if person.relation_to_head == RelationToHead.SPOUSE:
                    assert abs(gap) <= 8
                assert person.birth_date <= dt.date.today()


def test_houses_lie_inside_their_grids_and_people_in_their_houses_grid(dari, tongzhou):
    index = get_index()
    for county in (dari, tongzhou):
        houses = list(within(House, county).select_related("grid"))
        assert houses
        for house in houses:
            assert shape(house.grid.boundary).contains(shapely.Point(house.lng, house.lat))
            assert house.grid_path == house.grid.path
        # The point index the rest of the platform uses puts every house in the same grid.
        found, _ = index.locate_many([h.lng for h in houses], [h.lat for h in houses])
        assert [index.grids.codes[i] for i in found] == [h.grid.code for h in houses]
        for person in within(Person, county).select_related("house", "household", "grid"):
            assert person.house is not None
            assert person.grid_id == person.house.grid_id
            assert person.grid_path == person.grid.path
            assert person.household.house_id == person.house_id
            assert person.household.grid_id == person.grid_id
            assert person.current_address == person.house.address


def test_addresses_follow_the_place(dari, tongzhou, changtai):
    flats = within(House, tongzhou).exclude(room="")
    assert flats.exists()
    for flat in flats:
        assert flat.address.startswith("通州区") and flat.address.endswith("室")
        assert f"{flat.building}栋{flat.unit_no}单元{flat.room}室" in flat.address
    rural = within(House, changtai).filter(address__contains="组")
    assert rural.exists()
    assert all(h.address.endswith("号") and h.address.startswith("长泰区") for h in rural)
    winter = within(House, dari).filter(address__contains="冬季牧场牧户")
    summer = within(House, dari).filter(address__contains="夏季牧场牧户")
    assert winter.exists() and summer.exists()
    herders = within(Household, dari).filter(house__address__contains="冬季牧场")
    assert herders.count() == winter.count()


def test_names_fit_the_place(dari, tongzhou):
    # A Han child carries the surname of the father who heads the household.
    children = within(Person, tongzhou).filter(
        relation_to_head=RelationToHead.CHILD, household__head__sex="male"
    )
    assert children.exists()
    for child in children.select_related("household__head"):
        assert child.name[0] == child.household.head.name[0], child.name
    people = list(within(Person, dari))
    ethnicity = Counter(p.ethnicity for p in people)
    assert ethnicity["04"] / len(people) > 0.9  # 藏族
    tibetan = [p for p in people if p.ethnicity == "04"]
    assert all(2 <= len(p.name) <= 4 for p in tibetan)


def test_phones_groups_and_types(tongzhou, changtai):
    for county in (tongzhou, changtai):
        for person in within(Person, county):
            if person.phone:
                assert mobile_error(person.phone) is None
                assert age_of(person) >= 16
            tags = set(person.tags)
            assert tags <= set(PersonTag.values)
            if PersonTag.LEFT_BEHIND_CHILD in tags:
                assert age_of(person) < 16
                assert int(person.grid.parent.code[9:]) >= 200, "left behind in a village"
            if PersonTag.ELDERLY_ALONE in tags:
                assert age_of(person) >= 60
                assert person.household.members.count() == 1
    floating = within(Person, tongzhou).filter(population_type=PopulationType.FLOATING)
    assert floating.exists()
    assert not floating.filter(inflow_reason="").exists()
    assert not floating.filter(residence_type="").exists()
    overseas = within(Person, tongzhou).filter(population_type=PopulationType.OVERSEAS)
    assert overseas.count() == 3
    assert all(p.nationality and p.document_number and p.stay_until for p in overseas)
    tagged = Counter(t for p in within(Person, changtai) for t in p.tags)
    assert tagged[PersonTag.LEFT_BEHIND_CHILD] and tagged[PersonTag.ELDERLY_ALONE]


def test_units_have_valid_credit_codes_in_their_grid(tongzhou, dari):
    for county in (tongzhou, dari):
        units = list(within(Unit, county).select_related("house", "grid"))
        assert units
        types = Counter(u.type for u in units)
        assert types["government"] == 2  # a township government in each township
        assert types["school"] and types["hospital"]
        for unit in units:
            assert credit_code_error(unit.credit_code) is None, unit.credit_code
            assert unit.credit_code[2:8] == county.code
            # The organisation code (characters 9-17) has its own GB 11714 check character.
            assert organisation_check_char(unit.credit_code[8:16]) == unit.credit_code[16]
            assert unit.legal_representative
            parse_id_number(unit.legal_representative_id_number)
            assert unit.house.grid_id == unit.grid_id
            assert shape(unit.grid.boundary).contains(shapely.Point(unit.lng, unit.lat))
            if unit.hazardous_chemicals:
                assert unit.hazardous_chemicals_note
        prefixes = {u.credit_code[:2] for u in units}
        assert {"11", "12", "92"} <= prefixes


def test_the_organisation_check_character_follows_gb_11714():
    # The standard's own example, D2143569-X, and a registered company's 19220382-1.
    assert organisation_check_char("D2143569") == "X"
    assert organisation_check_char("19220382") == "1"


def test_every_village_has_its_party_branch_and_dari_its_cooperatives(dari):
    villages = Region.objects.subtree(dari).filter(level="village")
    branches = within(Organisation, dari).filter(kind=OrganisationKind.PARTY, unit=None)
    assert sorted(b.region_id for b in branches) == sorted(v.pk for v in villages)
    for branch in branches:
        assert branch.name.startswith("中共") and branch.name.endswith("支部委员会")
        assert branch.members >= 3
    areas = Region.objects.subtree(dari).filter(level="area")
    cooperatives = within(Organisation, dari).filter(kind=OrganisationKind.COOPERATIVE)
    assert {c.region_id for c in cooperatives} >= {a.pk for a in areas}
    for organisation in within(Organisation, dari).exclude(credit_code=""):
        assert credit_code_error(organisation.credit_code) is None


def test_dari_households_carry_the_livestock_catalogue(dari, tongzhou):
    fields = CatalogueField.objects.filter(region=dari, kind=RecordKind.HOUSEHOLD)
    assert {f.key for f in fields} >= {"yaks", "sheep", "horses", "settled", "main_income"}
    herds = 0
    for household in within(Household, dari):
        applicable = fields_for(RecordKind.HOUSEHOLD, household.grid_path)
        assert {f.key for f in applicable} == {f.key for f in fields}
        cleaned, errors = clean_extra(applicable, household.extra)
        assert errors == [], household.number
        assert cleaned == household.extra
        assert household.extra["yaks"] >= 0 and household.extra["main_income"]
        herds += household.extra["yaks"]
    assert herds > 100
    # A city district collects no livestock.
    household = within(Household, tongzhou).first()
    assert fields_for(RecordKind.HOUSEHOLD, household.grid_path) == []
    assert not within(Household, tongzhou).exclude(extra={}).exists()


def test_seeding_again_adds_nothing(dari):
    before = [within(m, dari).count() for m in REGISTERS] + [AuditEntry.objects.count()]
    report = seed_demo(small(DARI))
    assert report.already_seeded
    after = [within(m, dari).count() for m in REGISTERS] + [AuditEntry.objects.count()]
    assert after == before
    assert audit_verify().ok


def test_the_county_manager_imports_the_registers_through_the_importer(dari):
    manager = User.objects.get(username="dari_manager")
    for kind, model in (
        ("house", House),
        ("household", Household),
        ("person", Person),
        ("unit", Unit),
        ("organisation", Organisation),
    ):
        entry = AuditEntry.objects.get(action=f"{kind}.import")
        assert entry.actor_id == manager.pk
        assert entry.after["file"].startswith(f"demo-{DARI}-")
        assert entry.after["created"] == within(model, dari).count()
        assert entry.after["rejected"] == 0
    heads = AuditEntry.objects.get(action="person.import").after["household_heads_set"]
    assert sum(last - first + 1 for first, last in heads) == within(Household, dari).count()
    definitions = AuditEntry.objects.filter(action="catalogue.create", actor_id=manager.pk)
    assert definitions.count() == len(LOCALITIES[DARI].catalogue)


def test_the_same_seed_gives_the_same_population(dari):
    def snapshot():
        return sorted(
            within(Person, dari).values_list("id_number", "name", "house__address", "phone")
        )

    first = snapshot()
    for model in (Organisation, Unit, Person, Household, House):
        within(model, dari).delete()
    seed_population(
        dari, places.COUNTY_BY_CODE[DARI], seed=DEMO_SEED, people_per_grid=15, actor=None
    )
    assert snapshot() == first


def test_the_command_takes_people_per_grid_and_prints_the_population(db):
    out = io.StringIO()
    args = ["--seed-only", "--county", CHANGTAI, "--townships", "1"]
    args += ["--villages-per-township", "1", "--grids-per-village", "2"]
    call_command("demo", *args, "--people-per-grid", "10", stdout=out)
    changtai = Region.objects.get(code=CHANGTAI)
    people = within(Person, changtai).count()
    assert 10 <= people <= 80
    text = out.getvalue()
    assert "长泰区（350605）" in text and str(people) in text
    with pytest.raises(CommandError):
        call_command("demo", *args, "--people-per-grid", "-1", stdout=io.StringIO())


def test_no_population_when_asked_for_none(db):
    seed_demo(small(CHANGTAI, people_per_grid=0))
    changtai = Region.objects.get(code=CHANGTAI)
    assert not any(within(m, changtai).exists() for m in REGISTERS)


def test_every_record_passes_the_registers_own_checks(tongzhou, dari):
    checks = {
        Person: clean_person,
        House: clean_house,
        Household: clean_household,
        Unit: clean_unit,
        Organisation: clean_organisation,
    }
    for county in (tongzhou, dari):
        for model, clean in checks.items():
            records = list(within(model, county))
            assert records
            for record in records:
                result = clean(model_to_dict(record))
                assert result.errors == [], (record, result.errors)


def test_people_come_from_real_counties():
    """Floating people and spouses who married in carry area codes of current counties, so
    the importer has nothing to warn about, and their addresses name those counties."""
    counties = _geojson_features("district.geojson")
    for locality in LOCALITIES.values():
        for origin in locality.origins + locality.neighbours:
            assert origin.code in current_area_codes(), origin
            assert origin.place.endswith(counties[origin.code]["properties"]["name"]), origin
