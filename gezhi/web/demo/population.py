"""The demo's population: houses, households, people, units and organisations in every grid,
and the data catalogues of 达日县 and 拉孜县.

Each grid gets about `people_per_grid` people (more in a community, fewer on the pastures),
in families whose ages, relations and identity numbers agree (`families.py`). Houses stand at
random points inside their grid: communities have housing estates (路/号/栋/单元/室),
villages numbered houses in groups (组/号), and 达日县's herders a winter house on their
cooperative's winter pasture and often a summer house on its summer pasture. Shops, works,
schools, clinics and township offices get credit codes, and every village its Party branch
(`units.py`).

Everything is generated in memory from one random seed per county, then imported the way a
county would load its registers: a CSV file per kind through the registry's importer, which
checks every row by the registers' rules and writes one audit entry per file (decision 005).
The catalogue fields are defined through the catalogue service. A county that already holds
register records is left alone, so seeding twice adds nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from gezhi.regions.choices import Level
from gezhi.regions.models import Region
from gezhi.registry.catalogue import clean_extra
from gezhi.registry.choices import (
    HouseUse,
    Ownership,
    PopulationType,
    RecordKind,
    RentalStatus,
    ResidenceType,
)
from gezhi.registry.importexport import KINDS, Kind, import_kind
from gezhi.registry.models import CatalogueField, House, Household, Organisation, Person, Unit
from gezhi.registry.services import catalogue_field_create
from gezhi.web.demo.families import (
    FEMALE,
    MALE,
    Family,
    FamilyMaker,
    age_of,
    pick,
)
from gezhi.web.demo.holdings import HOLDINGS
from gezhi.web.demo.identities import Numbers, birth_date_for
from gezhi.web.demo.localities import (
    LOCALITIES,
    TIBETAN_STEMS,
    TRADE_STEMS,
    CatalogueSpec,
    Locality,
)
from gezhi.web.demo.places import CountyPlan
from gezhi.web.demo.tiling import sample_points
from gezhi.web.demo.units import UnitsAndOrganisations, owner_of

DEFAULT_PEOPLE_PER_GRID = 50
# People in a grid relative to `people_per_grid`, by what the grid is.
LOCALE_WEIGHT = {"urban": 1.5, "rural": 0.9, "pastoral": 0.55}

HOUSE_HAZARDS = {
    "urban": ("楼道内停放电动车充电", "燃气软管老化", "消防通道堆放杂物", "阳台私拉电线"),
    "rural": ("土坯房年久失修，墙体开裂", "私拉乱接电线", "屋后堆放柴草", "房屋地基沉降"),
    "pastoral": ("冬季取暖炉具烟道未清理", "牛粪燃料堆放靠近住房", "房屋墙体开裂"),
}
HAN_ESTATE_SUFFIXES = ("花园", "小区", "新村", "苑", "家园", "名邸")
TIBETAN_ESTATE_SUFFIXES = ("小区", "家园", "新村")


@dataclass
class Place:
    """A grid and where it lies, with its counters and the points left to build on."""

    grid: Region
    village: Region
    township: Region
    area: Region | None
    locale: str  # "urban" (a community), "rural" (a village) or "pastoral" (达日县's villages)
    prefix: str  # the address down to the village: 通州区金沙街道新桥社区
    polygon: BaseGeometry
    index_in_village: int
    first_in_village: bool
    first_in_township: bool
    points: list[tuple[float, float]] = field(default_factory=list)
    houses: int = 0
    households: int = 0
    house_numbers: Counter = field(default_factory=Counter)
    residents: list[Person] = field(default_factory=list)  # adults who may run a unit
    office: House | None = None  # the village committee's, in the village's first grid

    @property
    def is_community(self) -> bool:
        """A community (居委会, codes 001-199) rather than a village (村委会, 200-399)."""
        return int(self.village.code[9:]) < 200

    @property
    def town(self) -> str:
        """The township's name without 街道, 镇 or 乡 (金沙街道 -> 金沙)."""
        name = self.township.name
        for suffix in ("街道", "生态旅游区", "镇", "乡"):
            if name.endswith(suffix):
                return name.removesuffix(suffix)
        return name

    @property
    def groups(self) -> list[int]:
        """The village groups (组) in this grid: three per grid, numbered through the village."""
        return [self.index_in_village * 3 + i for i in (1, 2, 3)]


@dataclass
class PopulationSummary:
    """What the registers hold for one demo county."""

    code: str
    name: str
    people: int = 0
    households: int = 0
    houses: int = 0
    units: int = 0
    organisations: int = 0
    created: bool = False  # seeded by this run


class CountyPopulation(UnitsAndOrganisations):
    """Generates one county's registers in memory (`build`), then writes them (`write`)."""

    def __init__(
        self,
        county: Region,
        plan: CountyPlan,
        *,
        seed: int,
        people_per_grid: int,
        taken_ids: set[str],
        taken_codes: set[str],
    ):
        self.county = county
        self.plan = plan
        self.locality: Locality = LOCALITIES[plan.code]
        self.people_per_grid = people_per_grid
        # A string seed hashes the same way in every process (str hashes do not).
        self.rng = random.Random(f"gezhi-demo-{seed}-{plan.code}-population")
        self.np_rng = np.random.default_rng([seed, int(plan.code), 17])
        self.numbers = Numbers(self.rng, taken_ids, taken_codes)
        self.makers = FamilyMaker(
            rng=self.rng, plan=plan, locality=self.locality, numbers=self.numbers
        )
        self.stems = TRADE_STEMS if self.locality.names == "han" else TIBETAN_STEMS
        self.province, self.city = county_ancestors(county)
        self.houses: list[House] = []
        self.households: list[Household] = []
        self.people: list[Person] = []
        self.units: list[Unit] = []
        self.organisations: list[Organisation] = []
        self.families: list[Family] = []
        self.landlords: list[Person] = []  # registered adults who may own a second flat
        self.overseas_left = 2 if self.locality.overseas else 0
        self.village_numbers: Counter = Counter()  # numbers shared by a village's grids

    # --- places ------------------------------------------------------------------------

    def places(self) -> list[Place]:
        """The county's grids in code order, each with its village, township and area."""
        regions = {r.pk: r for r in Region.objects.subtree(self.county)}
        grids = sorted(Region.objects.subtree(self.county).grids().active(), key=lambda r: r.code)
        places: list[Place] = []
        in_village: Counter = Counter()
        seen_townships: set[int] = set()
        for grid in grids:
            parent = regions[grid.parent_id]
            area = parent if parent.level == Level.AREA else None
            village = regions[area.parent_id] if area else parent
            township = regions[village.parent_id]
            if int(village.code[9:]) < 200:
                locale = "urban"
            elif self.plan.areas_per_village:
                locale = "pastoral"
            else:
                locale = "rural"
            places.append(
                Place(
                    grid=grid,
                    village=village,
                    township=township,
                    area=area,
                    locale=locale,
                    prefix=f"{self.county.name}{township.name}{village.name}",
                    polygon=shape(grid.boundary),
                    index_in_village=in_village[village.pk],
                    first_in_village=in_village[village.pk] == 0,
                    first_in_township=township.pk not in seen_townships,
                )
            )
            in_village[village.pk] += 1
            seen_townships.add(township.pk)
        return places

    def point(self, place: Place) -> tuple[float, float]:
        """A random point inside the grid, to 1e-6 degrees (about 10 cm)."""
        while not place.points:
            try:
                raw = sample_points(place.polygon, 64, self.np_rng)
            except ValueError:  # too thin to sample: its representative point
                inner = place.polygon.representative_point()
                place.points = [(inner.x, inner.y)]
                break
            rounded = np.round(raw, 6)
            # Rounding may push a point on the edge out of the grid: keep those still inside.
            inside = shapely.contains_xy(place.polygon, rounded[:, 0], rounded[:, 1])
            place.points = [(float(x), float(y)) for x, y in rounded[inside]]
        return place.points.pop()

    def square_metres(self, low: float, high: float) -> Decimal:
        return Decimal(f"{self.rng.uniform(low, high):.2f}")

    # --- building it -------------------------------------------------------------------

    def build(self, catalogue: list[CatalogueField]) -> None:
        places = self.places()
        for place in places:
            self.populate(place)
        for place in places:
            self.add_units(place)
        self.assign_workplaces(places)
        self.add_organisations(places)
        self.fill_catalogue(catalogue)

    def populate(self, place: Place) -> None:
        """Families until the grid has its share of people, then their houses."""
        rng = self.rng
        weight = LOCALE_WEIGHT[place.locale] * rng.uniform(0.7, 1.3)
        target = max(1, round(self.people_per_grid * weight))
        families: list[Family] = []
        if self.overseas_left and place.locale == "urban":
            families.append(self.makers.overseas_family(place, couple=self.overseas_left == 2))
            self.overseas_left -= 1
        share = {
            "urban": self.locality.floating_urban,
            "rural": self.locality.floating_rural,
            "pastoral": 0.0,
        }[place.locale]
        while sum(len(f.members) for f in families) < target:
            origin = rng.choice(self.locality.origins) if rng.random() < share else None
            families.append(self.makers.family(place, origin))
        if place.locale == "urban":
            self.estate_flats(place, families)
        elif place.locale == "rural":
            self.village_houses(place, families)
        else:
            self.pastoral_houses(place, families)
        self.village_office(place)
        for family in families:
            self.settle(family)

    def settle(self, family: Family) -> None:
        """Members live at the household's house; registered members are registered there."""
        house = family.household.house
        family.household.address = house.address
        for person in family.members:
            person.house = house
            person.current_address = house.address
            if person.population_type == PopulationType.REGISTERED:
                person.registered_address = f"{self.province}{self.city}{house.address}"
            if age_of(person) >= 18 and not person.tags:
                family.place.residents.append(person)
        self.families.append(family)
        self.households.append(family.household)
        self.people.extend(family.members)
        if not family.floating and family.kind != "overseas":
            self.landlords.extend(p for p in family.members[:1] if age_of(p) >= 25)

    # --- houses ------------------------------------------------------------------------

    def new_house(self, place: Place, *, address: str, point=None, **fields) -> House:
        """A house in the grid, coded after the grid (grid code + 5 digits)."""
        lng, lat = point or self.point(place)
        place.houses += 1
        house = House(
            code=f"{place.grid.code}{place.houses:05d}",
            address=address,
            lng=lng,
            lat=lat,
            grid=place.grid,
            grid_path=place.grid.path,
            **fields,
        )
        if not house.hazards and self.rng.random() < 0.015:
            house.hazards = self.rng.choice(HOUSE_HAZARDS[place.locale])
        self.houses.append(house)
        return house

    def owner_fields(self, family: Family | None) -> dict[str, str]:
        """The owner of a house: the family's head when they own it, else a landlord (a
        resident of the county seeded earlier, or someone living elsewhere)."""
        if family is not None:
            return owner_of(family.members[0])
        if self.landlords:
            return owner_of(self.rng.choice(self.landlords))
        sex = MALE if self.rng.random() < 0.6 else FEMALE
        birth = birth_date_for(self.rng, self.rng.randint(35, 70))
        return {
            "owner_name": self.makers.name(sex, birth.year),
            "owner_id_number": self.numbers.id_number(self.plan.code, birth, sex),
            "owner_phone": self.numbers.mobile(),
        }

    def street_number(self, place: Place, road: str) -> int:
        """The next number on `road` in this grid's stretch of it (odd and even sides)."""
        place.house_numbers[road] += self.rng.randint(1, 6) * 2
        return place.index_in_village * 120 + place.house_numbers[road] - self.rng.randint(0, 1)

    def estate_flats(self, place: Place, families: list[Family]) -> None:
        """Flats in housing estates: one per family, and a few empty ones."""
        rng = self.rng
        loc = self.locality
        needed = len(families) + round(len(families) * rng.uniform(0.03, 0.09))
        suffixes = HAN_ESTATE_SUFFIXES if loc.names == "han" else TIBETAN_ESTATE_SUFFIXES
        flats: list[dict] = []
        while len(flats) < needed:
            floors = rng.randint(*loc.floors)
            stairs = 2 if floors <= 6 else rng.randint(1, 2)  # 单元 per building
            remaining = needed - len(flats)
            buildings = min(8, -(-round(remaining * 1.2) // (floors * stairs * 2)))
            estate = rng.choice(loc.estates) + rng.choice(suffixes)
            road = rng.choice(loc.roads)
            gate = f"{road}{self.street_number(place, road)}号{estate}"
            points = {b: self.point(place) for b in range(1, buildings + 1)}
            slots = [
                (b, s, f, r)
                for b in range(1, buildings + 1)
                for s in range(1, stairs + 1)
                for f in range(1, floors + 1)
                for r in (1, 2)
            ]
            for b, s, f, r in sorted(rng.sample(slots, min(remaining, len(slots)))):
                flats.append(
                    {
                        "address": f"{place.prefix}{gate}{b}栋{s}单元{f}{r:02d}室",
                        "building": str(b),
                        "unit_no": str(s),
                        "room": f"{f}{r:02d}",
                        "point": points[b],
                    }
                )
        rng.shuffle(flats)
        for index, flat in enumerate(flats):
            family = families[index] if index < len(families) else None
            ownership = pick(
                rng, {Ownership.PRIVATE: 90, Ownership.PUBLIC: 5, Ownership.ENTERPRISE: 5}
            )
            residence = family.members[0].residence_type if family else ""
            if family is None:
                rental, owner = RentalStatus.VACANT, self.owner_fields(None)
            elif family.floating and residence == ResidenceType.OWN:
                rental, owner = RentalStatus.SELF_OCCUPIED, self.owner_fields(family)
            elif family.floating or family.kind == "overseas" or rng.random() < 0.06:
                rental, owner = RentalStatus.RENTED, self.owner_fields(None)
                if residence == ResidenceType.EMPLOYER:
                    ownership = Ownership.ENTERPRISE  # a firm's staff flat
            else:
                rental, owner = RentalStatus.SELF_OCCUPIED, self.owner_fields(family)
            house = self.new_house(
                place,
                address=flat["address"],
                point=flat["point"],
                building=flat["building"],
                unit_no=flat["unit_no"],
                room=flat["room"],
                use=HouseUse.RESIDENTIAL,
                ownership=ownership,
                rental_status=rental,
                area_m2=self.square_metres(48, 140),
                **owner,
            )
            if family is not None:
                family.household.house = house

    def group_house(self, place: Place, family: Family | None, **fields) -> House:
        group = self.rng.choice(place.groups)
        place.house_numbers[group] += 1
        low, high = self.locality.rural_area
        return self.new_house(
            place,
            address=f"{place.prefix}{group}组{place.house_numbers[group]}号",
            use=HouseUse.RESIDENTIAL,
            ownership=Ownership.PRIVATE,
            area_m2=self.square_metres(low, high),
            **self.owner_fields(family),
            **fields,
        )

    def village_houses(self, place: Place, families: list[Family]) -> None:
        """One house per village family in its group, a few empty ones; floating families
        rent part of a villager's house."""
        rng = self.rng
        own = [f for f in families if not f.floating]
        houses: list[House] = []
        for family in own + [None] * round(len(own) * rng.uniform(0.04, 0.1)):
            status = RentalStatus.SELF_OCCUPIED if family else RentalStatus.VACANT
            house = self.group_house(place, family, rental_status=status)
            if family is not None:
                family.household.house = house
                houses.append(house)
        for family in families:
            if not family.floating:
                continue
            if houses:
                house = houses.pop(rng.randrange(len(houses)))
                house.rental_status = RentalStatus.PARTLY_RENTED
            else:
                house = self.group_house(place, None, rental_status=RentalStatus.RENTED)
            family.household.house = house

    def pastoral_houses(self, place: Place, families: list[Family]) -> None:
        """A herder family's winter house on the winter pasture and, for most, a house on the
        summer pasture; herding households are numbered through their cooperative (片区)."""
        rng = self.rng
        pasture = f"{place.prefix}{place.area.name if place.area else ''}"
        key = place.area.pk if place.area else place.village.pk
        low, high = self.locality.rural_area
        for family in families:
            self.village_numbers[key, "herder"] += 1
            number = self.village_numbers[key, "herder"]
            owner = self.owner_fields(family)
            family.household.house = self.new_house(
                place,
                address=f"{pasture}冬季牧场牧户{number}号",
                use=HouseUse.RESIDENTIAL,
                ownership=Ownership.PRIVATE,
                rental_status=RentalStatus.SELF_OCCUPIED,
                area_m2=self.square_metres(low, high),
                **owner,
            )
            if rng.random() < 0.6:
                self.new_house(
                    place,
                    address=f"{pasture}夏季牧场牧户{number}号",
                    use=HouseUse.PASTORAL,
                    ownership=Ownership.PRIVATE,
                    rental_status=RentalStatus.SELF_OCCUPIED,
                    area_m2=self.square_metres(20, 60),
                    **owner,
                )

    def village_office(self, place: Place) -> None:
        """The village (or community) committee's office, in the village's first grid."""
        if not place.first_in_village:
            return
        committee = "居民委员会" if place.is_community else "村民委员会"
        place.office = self.new_house(
            place,
            address=f"{place.prefix}{committee}",
            use=HouseUse.OFFICE,
            ownership=Ownership.PUBLIC if place.is_community else Ownership.COLLECTIVE,
            rental_status=RentalStatus.SELF_OCCUPIED,
            area_m2=self.square_metres(150, 600),
        )

    # --- the data catalogue -------------------------------------------------------------

    def fill_catalogue(self, fields: list[CatalogueField]) -> None:
        """Every household gets values for the county's catalogue, checked against the
        definitions as a form would check them."""
        holdings = HOLDINGS.get(self.plan.code)
        if not fields or holdings is None:
            return
        for family in self.families:
            cleaned, errors = clean_extra(fields, holdings(self.rng, family))
            if errors:
                raise ValueError(f"demo catalogue values do not fit: {errors}")
            family.household.extra = cleaned

    # --- writing -----------------------------------------------------------------------

    def write(self, *, actor, folder: Path) -> None:
        """Import the registers as a county would: one CSV file per kind, in the order the
        references need, through the registry's importer, which checks every row by the
        registers' rules, sets the household heads and writes one audit entry per file."""
        records = {
            "houses": self.houses,
            "households": self.households,
            "people": self.people,
            "units": self.units,
            "organisations": self.organisations,
        }
        for kind, rows in records.items():
            path = folder / f"demo-{self.county.code}-{kind}.csv"
            write_csv(path, KINDS[kind], rows)
            result = import_kind(KINDS[kind], path, actor=actor)
            if result.errors or not result.written:
                problems = "; ".join(
                    f"{e.row} {e.column} {e.value!r}: {e.message}" for e in result.errors[:5]
                )
                raise RuntimeError(f"the demo's {path.name} did not import: {problems}")


def cell(value: Any) -> str:
    """A value as a CSV cell the importer reads back (choices by their stored code)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "、".join(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


# How a CSV names the record a reference points to.
REFERENCE_KEYS = {
    "grid": "code",
    "house": "code",
    "household": "number",
    "unit": "credit_code",
    "region": "code",
}


def write_csv(path: Path, kind: Kind, records: list) -> None:
    """The records as an import file of `kind`: its columns by field name, catalogue values
    by their keys."""
    names = [c.name for c in kind.columns if c.name != "crs"]
    extra_keys = sorted({key for record in records for key in record.extra})
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(names + extra_keys)
        for record in records:
            row = []
            for name in names:
                if name in REFERENCE_KEYS:
                    target = getattr(record, name)
                    row.append("" if target is None else getattr(target, REFERENCE_KEYS[name]))
                else:
                    row.append(cell(getattr(record, name)))
            row += [cell(record.extra.get(key)) for key in extra_keys]
            writer.writerow(row)


def county_ancestors(county: Region) -> tuple[str, str]:
    """The names of the county's province and city, for registered addresses."""
    above = {r.level: r.name for r in county.ancestors()}
    return above.get(Level.PROVINCE, ""), above.get(Level.CITY, "")


def catalogue_fields(
    county: Region, specs: tuple[CatalogueSpec, ...], *, actor
) -> list[CatalogueField]:
    """The county's household catalogue fields, defined at the county (so every village and
    grid below it uses them) through the catalogue service if missing."""
    fields = []
    for order, spec in enumerate(specs, start=1):
        field = CatalogueField.objects.filter(
            region=county, kind=RecordKind.HOUSEHOLD, key=spec.key
        ).first()
        if field is None:
            field = catalogue_field_create(
                actor=actor,
                region=county,
                kind=RecordKind.HOUSEHOLD,
                key=spec.key,
                label=spec.label,
                type=spec.type,
                unit=spec.unit,
                choices=spec.choices,
                required=spec.required,
                help_text=spec.help_text,
                order=order,
            )
        fields.append(field)
    return fields


def population_summary(county: Region, *, created: bool = False) -> PopulationSummary:
    """Counts of the county's register records."""
    within = {"grid_path__startswith": county.path}
    return PopulationSummary(
        code=county.code,
        name=county.name,
        people=Person.objects.filter(**within).count(),
        households=Household.objects.filter(**within).count(),
        houses=House.objects.filter(**within).count(),
        units=Unit.objects.filter(**within).count(),
        organisations=Organisation.objects.filter(**within).count(),
        created=created,
    )


def has_population(county: Region) -> bool:
    """Whether any register record lies in the county."""
    within = {"grid_path__startswith": county.path}
    return any(
        model.objects.filter(**within).exists()
        for model in (Person, House, Household, Unit, Organisation)
    )


def seed_population(
    county: Region,
    plan: CountyPlan,
    *,
    seed: int,
    people_per_grid: int,
    actor,
    log: Callable[[str], None] | None = None,
) -> PopulationSummary:
    """Seed the county's registers unless it already holds register records.

    `actor` defines the catalogue fields (ensured either way) and imports the records; the
    demo passes the county's manager, as in a real deployment.
    """
    fields = catalogue_fields(county, LOCALITIES[plan.code].catalogue, actor=actor)
    if people_per_grid <= 0 or has_population(county):
        return population_summary(county)
    if log:
        log(_("%(name)s：生成实有人口、房屋、单位和组织…") % {"name": county.name})
    taken_ids = set(Person.objects.exclude(id_number="").values_list("id_number", flat=True))
    taken_codes = set(Unit.objects.exclude(credit_code="").values_list("credit_code", flat=True))
    taken_codes |= set(
        Organisation.objects.exclude(credit_code="").values_list("credit_code", flat=True)
    )
    population = CountyPopulation(
        county,
        plan,
        seed=seed,
        people_per_grid=people_per_grid,
        taken_ids=taken_ids,
        taken_codes=taken_codes,
    )
    population.build(fields)
    with tempfile.TemporaryDirectory(prefix="gezhi-demo-") as folder:
        population.write(actor=actor, folder=Path(folder))
    return population_summary(county, created=True)
