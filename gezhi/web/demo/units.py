"""Units and organisations for the demo's population: shops, factories, schools, clinics and
township governments with their credit codes; Party branches, social organisations,
cooperatives and unions.

`UnitsAndOrganisations` is a part of `population.CountyPopulation`: it uses the county's
random generator, numbers and names (`rng`, `numbers`, `families`), its houses (`new_house`,
`owner_fields`, `street_number`) and its lists of records.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from gezhi.regions.models import Region
from gezhi.registry.choices import (
    HouseUse,
    OrganisationKind,
    Ownership,
    PoliticalStatus,
    PopulationType,
    RentalStatus,
    UnitType,
)
from gezhi.registry.models import Organisation, Person, Unit
from gezhi.web.demo.families import FEMALE, MALE, age_of
from gezhi.web.demo.identities import birth_date_for
from gezhi.web.demo.localities import UnitKind

if TYPE_CHECKING:
    from gezhi.web.demo.population import CountyPopulation, Place

    Base = CountyPopulation
else:
    Base = object

KINDERGARTEN = UnitKind("{county}{village}幼儿园", UnitType.SCHOOL, "52", (8, 25), area=(400, 1500))
PROPERTY_MANAGER = UnitKind("{city}{stem}物业服务有限公司", UnitType.ENTERPRISE, "91", (10, 40))
VILLAGE_CLINIC = UnitKind(
    "{county}{township}{village}卫生室", UnitType.HOSPITAL, "52", (1, 3), area=(60, 150)
)
# Cooperatives of a township in each county (达日县's are its herding areas, 片区).
COOPERATIVE_TRADES = {"320612": "蔬菜", "511504": "茶叶", "350605": "芦柑", "540225": "农牧民"}

# Which units employ people of an occupation, to give some residents a workplace.
EMPLOYERS = {
    "教师": (UnitType.SCHOOL,),
    "医护人员": (UnitType.HOSPITAL,),
    "机关事业单位人员": (UnitType.GOVERNMENT, UnitType.SCHOOL, UnitType.HOSPITAL),
    "企业职工": (UnitType.ENTERPRISE, UnitType.VENUE),
    "工人": (UnitType.ENTERPRISE,),
    "务工": (UnitType.ENTERPRISE, UnitType.VENUE),
    "餐饮服务人员": (UnitType.VENUE, UnitType.INDIVIDUAL),
    "保洁员": (UnitType.VENUE, UnitType.ENTERPRISE),
}
PUBLIC_BODY = "11", "12"  # credit code prefixes of government bodies and public institutions


class UnitsAndOrganisations(Base):
    # --- units -------------------------------------------------------------------------

    def add_units(self, place: Place) -> None:
        """The grid's shops and works; the village's clinic or kindergarten in its first
        grid; the township's offices in the township's first grid."""
        rng = self.rng
        loc = self.locality
        scale = min(2.0, max(0.3, self.people_per_grid / 50))
        if place.first_in_township:
            self.township_units(place)
        if place.first_in_village:
            if place.is_community:
                self.unit(place, KINDERGARTEN)
                if loc.names == "han":
                    self.unit(place, PROPERTY_MANAGER)
            else:
                self.unit(place, VILLAGE_CLINIC)
        if place.locale == "urban":
            for _ in range(max(0, round(rng.gauss(3.0, 1.2) * scale))):
                self.unit(place, rng.choice(loc.shops))
            return
        if rng.random() < (0.6 if place.locale == "rural" else 0.25) * scale:
            self.unit(place, rng.choice(loc.village_shops))
        if rng.random() < loc.industry_rate:
            self.unit(place, rng.choice(loc.industries))

    def township_units(self, place: Place) -> None:
        """The township's government, school and health centre; the county hospital (and
        middle school) at the county seat."""
        loc = self.locality
        tibetan = loc.names != "han"
        name = place.township.name
        county = self.county.name
        if name.endswith("街道"):
            government = f"{county}人民政府{name}办事处"
            health = "{county}{township}社区卫生服务中心"
        elif name.endswith(("镇", "乡")):
            government, health = f"{county}{name}人民政府", "{county}{township}卫生院"
        else:
            government, health = f"{county}{name}管理委员会", "{county}{township}卫生院"
        kinds = [
            UnitKind(government, UnitType.GOVERNMENT, "11", (30, 90), HouseUse.OFFICE, (800, 3000)),
            UnitKind(
                loc.school,
                UnitType.SCHOOL,
                "12",
                (25, 60) if tibetan else (40, 120),
                HouseUse.OTHER,
                (3000, 15000),
            ),
            UnitKind(
                health,
                UnitType.HOSPITAL,
                "12",
                (8, 30) if tibetan else (15, 80),
                HouseUse.OTHER,
                (800, 4000),
            ),
        ]
        if not tibetan and not name.endswith("乡"):
            kinds.append(
                UnitKind(
                    "{county}{town}初级中学",
                    UnitType.SCHOOL,
                    "12",
                    (50, 150),
                    HouseUse.OTHER,
                    (5000, 20000),
                )
            )
        if place.township.code == self.plan.code + self.plan.townships[0].code:
            kinds.append(
                UnitKind(
                    "{county}人民医院",
                    UnitType.HOSPITAL,
                    "12",
                    (40, 120) if tibetan else (150, 600),
                    HouseUse.OTHER,
                    (8000, 40000),
                )
            )
            if tibetan:
                kinds.append(
                    UnitKind(
                        "{county}民族中学",
                        UnitType.SCHOOL,
                        "12",
                        (40, 90),
                        HouseUse.OTHER,
                        (8000, 20000),
                    )
                )
        for kind in kinds:
            self.unit(place, kind)

    def unit_address(self, place: Place, *, industrial: bool = False) -> str:
        """A street address in a community; in a village a works in its industrial zone, or a
        house in a group (组); at a herding village's settlement."""
        if place.locale == "urban":
            road = self.rng.choice(self.locality.roads)
            return f"{place.prefix}{road}{self.street_number(place, road)}号"
        if industrial:
            self.village_numbers[place.village.pk, "industry"] += 1
            number = self.village_numbers[place.village.pk, "industry"]
            return f"{place.prefix}工业集中区{number}号"
        if place.locale == "pastoral":
            # A herding village's shops, clinic and offices stand at its settlement (定居点).
            self.village_numbers[place.village.pk, "settlement"] += 1
            number = self.village_numbers[place.village.pk, "settlement"]
            return f"{place.prefix}定居点{number}号"
        group = self.rng.choice(place.groups)
        place.house_numbers[group] += 1
        return f"{place.prefix}{group}组{place.house_numbers[group]}号"

    def unit(self, place: Place, kind: UnitKind) -> Unit:
        """A unit of `kind` in its own house (shop front, works, office) in the grid."""
        rng = self.rng
        loc = self.locality
        name = kind.pattern.format(
            county=self.county.name,
            city=loc.city_short,
            province=loc.province_short,
            town=place.town,
            township=place.township.name,
            village=place.village.name,
            stem=rng.choice(self.stems),
            surname=self.makers.names["han"].surname(),
        )
        address = self.unit_address(place, industrial=kind.use == HouseUse.INDUSTRIAL)
        public = kind.prefix in PUBLIC_BODY
        # A sole trader (个体工商户) lives in the grid and runs the business.
        owner = self.resident(place) if kind.prefix == "92" else None
        if not public and rng.random() < 0.4:
            rental, ownership = RentalStatus.RENTED, Ownership.PRIVATE
            owned_by = self.owner_fields(None)
        elif owner is not None:
            rental, ownership = RentalStatus.SELF_OCCUPIED, Ownership.PRIVATE
            owned_by = owner_of(owner)
        else:
            rental = RentalStatus.SELF_OCCUPIED
            ownership = Ownership.PUBLIC if public else Ownership.ENTERPRISE
            owned_by = {"owner_name": name}
        house = self.new_house(
            place,
            address=address,
            use=kind.use,
            ownership=ownership,
            rental_status=rental,
            area_m2=self.square_metres(*kind.area),
            **owned_by,
        )
        employees = rng.randint(*kind.employees)
        representative = owner or self.resident(place) or self.stranger()
        officer = None
        if employees >= 20 or kind.type in (
            UnitType.GOVERNMENT,
            UnitType.SCHOOL,
            UnitType.HOSPITAL,
        ):
            officer = self.resident(place) or self.stranger()
        if public:
            phone = self.numbers.landline(loc.landline)
        else:
            phone = representative.phone or self.numbers.mobile()
        unit = Unit(
            # Government bodies and schools kept the organisation codes they had before 2015.
            credit_code=self.numbers.credit_code(kind.prefix, self.plan.code, new_style=not public),
            name=name,
            type=kind.type,
            address=address,
            lng=house.lng,
            lat=house.lat,
            house=house,
            legal_representative=representative.name,
            legal_representative_id_number=representative.id_number,
            phone=phone,
            employees=employees,
            security_officer=officer.name if officer else "",
            security_officer_phone=(officer.phone or self.numbers.mobile()) if officer else "",
            hazardous_chemicals=bool(kind.hazardous),
            hazardous_chemicals_note=kind.hazardous,
            hazards=rng.choice(kind.hazards) if kind.hazards and rng.random() < 0.3 else "",
            grid=place.grid,
            grid_path=place.grid.path,
        )
        if owner is not None:
            owner.workplace = name
            owner.occupation = "个体经营"
        self.units.append(unit)
        return unit

    def resident(self, place: Place) -> Person | None:
        """A working-age registered adult of the grid who has no workplace yet."""
        candidates = [
            p
            for p in place.residents
            if not p.workplace
            and p.population_type == PopulationType.REGISTERED
            and 23 <= age_of(p) <= 62
        ]
        return self.rng.choice(candidates) if candidates else None

    def stranger(self) -> Person:
        """Someone who lives outside the demo's grids (a manager, a school head): a name,
        an identity number and a phone, not a register record."""
        sex = MALE if self.rng.random() < 0.7 else FEMALE
        birth = birth_date_for(self.rng, self.rng.randint(32, 58))
        return Person(
            name=self.makers.name(sex, birth.year),
            id_number=self.numbers.id_number(self.plan.code, birth, sex),
            phone=self.numbers.mobile(),
        )

    def assign_workplaces(self, places: list[Place]) -> None:
        """Residents whose occupation a unit of their township has work for get it as their
        workplace, up to the unit's number of employees."""
        rng = self.rng
        township_of = {p.grid.pk: p.township.pk for p in places}
        units_of: dict[int, list[Unit]] = defaultdict(list)
        for unit in self.units:
            units_of[township_of[unit.grid.pk]].append(unit)
        vacancies = Counter({id(u): (u.employees or 0) - 1 for u in self.units})
        for family in self.families:
            units = units_of.get(township_of[family.place.grid.pk], [])
            for person in family.members:
                types = EMPLOYERS.get(person.occupation)
                if person.workplace or not types or rng.random() < 0.3:
                    continue
                open_units = [u for u in units if u.type in types and vacancies[id(u)] > 0]
                if open_units:
                    unit = rng.choice(open_units)
                    vacancies[id(unit)] -= 1
                    person.workplace = unit.name

    # --- organisations -----------------------------------------------------------------

    def add_organisations(self, places: list[Place]) -> None:
        """Each village's Party branch, social organisations and cooperatives of the
        townships, 达日县's herding cooperatives, and unions and Party branches in large
        units."""
        rng = self.rng
        county = self.county.name
        party_members: Counter = Counter()
        secretaries: dict[int, list[Person]] = defaultdict(list)
        village_of = {p.grid.pk: p.village.pk for p in places}
        for person in self.people:
            if person.political_status in (
                PoliticalStatus.CPC_MEMBER,
                PoliticalStatus.CPC_PROBATIONARY,
            ):
                village = village_of[person.grid.pk]
                party_members[village] += 1
                if (
                    35 <= age_of(person) <= 65
                    and person.population_type == PopulationType.REGISTERED
                ):
                    secretaries[village].append(person)
        households_of_area = Counter(f.place.area.pk for f in self.families if f.place.area)
        areas_seen: set[int] = set()
        for place in places:
            if place.first_in_village:
                candidates = secretaries[place.village.pk]
                office = place.office.address if place.office else ""
                self.organisation(
                    place,
                    name=f"中共{place.township.name}{place.village.name}支部委员会",
                    kind=OrganisationKind.PARTY,
                    region=place.village,
                    leader=rng.choice(candidates) if candidates else None,
                    members=max(party_members[place.village.pk], 3),
                    address=office,
                    authority=f"中共{place.township.name}委员会",
                )
                if place.is_community and self.locality.names == "han" and rng.random() < 0.6:
                    self.organisation(
                        place,
                        name=f"{county}{place.village.name}居家养老服务中心",
                        kind=OrganisationKind.SOCIAL,
                        region=place.village,
                        prefix="52",
                        members=rng.randint(5, 20),
                        address=office,
                    )
            if place.first_in_township:
                self.township_organisations(place)
            if place.area is not None and place.area.pk not in areas_seen:
                areas_seen.add(place.area.pk)
                self.organisation(
                    place,
                    name=f"{county}{place.village.name}{place.area.name}",
                    kind=OrganisationKind.COOPERATIVE,
                    region=place.area,
                    prefix="93",
                    members=max(households_of_area[place.area.pk], 5),
                )
        place_of = {p.grid.pk: p for p in places}
        for unit in list(self.units):
            self.unit_organisations(place_of[unit.grid.pk], unit)

    def township_organisations(self, place: Place) -> None:
        rng = self.rng
        county = self.county.name
        self.organisation(
            place,
            name=f"{county}{place.town}老年人协会",
            kind=OrganisationKind.SOCIAL,
            region=place.township,
            prefix="51",
            members=rng.randint(40, 300),
        )
        if rng.random() < 0.5:
            self.organisation(
                place,
                name=f"{county}{place.town}志愿者协会",
                kind=OrganisationKind.VOLUNTEER,
                region=place.township,
                prefix="51",
                members=rng.randint(30, 200),
            )
        trade = COOPERATIVE_TRADES.get(self.plan.code)
        if trade and not place.township.name.endswith("街道"):
            self.organisation(
                place,
                name=f"{county}{place.town}{rng.choice(self.stems)}{trade}专业合作社",
                kind=OrganisationKind.COOPERATIVE,
                region=place.township,
                prefix="93",
                members=rng.randint(10, 80),
            )

    def unit_organisations(self, place: Place, unit: Unit) -> None:
        """A union in a unit of 50 or more, a Party branch in an enterprise of 100 or more."""
        employees = unit.employees or 0
        if employees >= 50 and unit.type in (
            UnitType.ENTERPRISE,
            UnitType.SCHOOL,
            UnitType.HOSPITAL,
        ):
            self.organisation(
                place,
                name=f"{unit.name}工会委员会",
                kind=OrganisationKind.UNION,
                region=place.township,
                prefix="81",
                members=round(employees * self.rng.uniform(0.7, 0.95)),
                address=unit.address,
                unit=unit,
                authority=f"{self.county.name}总工会",
            )
        if employees >= 100 and unit.type == UnitType.ENTERPRISE:
            self.organisation(
                place,
                name=f"中共{unit.name}支部委员会",
                kind=OrganisationKind.PARTY,
                region=place.township,
                members=max(3, round(employees * self.rng.uniform(0.03, 0.08))),
                address=unit.address,
                unit=unit,
                authority=f"中共{place.township.name}委员会",
            )

    def organisation(
        self,
        place: Place,
        *,
        name: str,
        kind: str,
        region: Region,
        members: int,
        prefix: str = "",
        leader: Person | None = None,
        address: str = "",
        unit: Unit | None = None,
        authority: str = "",
    ) -> Organisation:
        """An organisation; with a credit code when `prefix` (its authority and type) is
        given: Party organisations have none."""
        leader = leader or self.resident(place) or self.stranger()
        credit_code = self.numbers.credit_code(prefix, self.plan.code) if prefix else ""
        if not authority:
            office = "市场监督管理局" if prefix == "93" else "民政局"
            authority = f"{self.county.name}{office}"
        organisation = Organisation(
            name=name,
            kind=kind,
            credit_code=credit_code,
            # Since 2016 a registration certificate carries the credit code as its number.
            registration_number=credit_code if prefix in ("51", "52") else "",
            registering_authority=authority,
            unit=unit,
            region=region,
            leader=leader.name,
            phone=leader.phone or self.numbers.mobile(),
            members=members,
            address=address or self.unit_address(place),
            grid=place.grid,
            grid_path=place.grid.path,
        )
        self.organisations.append(organisation)
        return organisation


def owner_of(person: Person) -> dict[str, str]:
    """A house's owner fields for `person`."""
    return {
        "owner_name": person.name,
        "owner_id_number": person.id_number,
        "owner_phone": person.phone,
    }
