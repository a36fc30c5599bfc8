"""The shared cast and a small place tree every test can use.

Tree (squares in degrees, so containment is easy to reason about):

    320612 通州区 (county)                         lng 120.0-121.0, lat 32.0-33.0
      320612001 金沙街道 (township A)              lng 120.0-120.5
        320612001001 金东社区 (village A)          lng 120.0-120.5, lat 32.0-32.5
          320612001001001 grid A                   lng 120.0-120.25
          320612001001002 grid B                   lng 120.25-120.5
      320612101 石港镇 (township B)                lng 120.5-121.0
        320612101001 石港村 (village B)            lng 120.5-121.0, lat 32.0-32.5
          320612101001001 grid C                   whole village

Cast: county manager, township manager (A), grid worker A, grid worker B, department clerk
(department serving township A), hotline agent (county), auditor, citizen, system admin,
and an outsider with no membership.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import translation

from gezhi.accounts.choices import Role
from gezhi.accounts.models import Membership, User
from gezhi.regions.models import Department, GridAssignment, Region

PASSWORD = "Gezhi-test-2026"


def square(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


def make_region(code, name, level, parent=None, boundary=None) -> Region:
    from gezhi.regions.services import region_create

    return region_create(
        actor=None, code=code, name=name, level=level, parent=parent, boundary=boundary
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """A real hasher, only a cheap one: the cast logs in hundreds of times across the suite."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _keep_the_language():
    """A request in English leaves English active in the test's thread; the next test expects
    the deployment's default language."""
    language = translation.get_language()
    yield
    translation.activate(language)


@dataclass
class World:
    county: Region
    township_a: Region
    township_b: Region
    village_a: Region
    village_b: Region
    grid_a: Region
    grid_b: Region
    grid_c: Region
    department: Department
    admin: User
    county_manager: User
    township_manager: User
    worker_a: User
    worker_b: User
    clerk: User
    agent: User
    auditor: User
    citizen: User
    outsider: User

    @property
    def cast(self) -> dict[str, User]:
        return {
            "admin": self.admin,
            "county_manager": self.county_manager,
            "township_manager": self.township_manager,
            "worker_a": self.worker_a,
            "worker_b": self.worker_b,
            "clerk": self.clerk,
            "agent": self.agent,
            "auditor": self.auditor,
            "citizen": self.citizen,
            "outsider": self.outsider,
        }


def make_user(username: str, role: str | None = None, region=None, department=None) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, display_name=username)
    if role:
        Membership.objects.create(user=user, role=role, region=region, department=department)
    return user


@pytest.fixture
def world(db) -> World:
    county = make_region("320612", "通州区", "county", None, square(120.0, 32.0, 121.0, 33.0))
    township_a = make_region(
        "320612001", "金沙街道", "township", county, square(120.0, 32.0, 120.5, 33.0)
    )
    township_b = make_region(
        "320612101", "石港镇", "township", county, square(120.5, 32.0, 121.0, 33.0)
    )
    village_a = make_region(
        "320612001001", "金东社区", "village", township_a, square(120.0, 32.0, 120.5, 32.5)
    )
    village_b = make_region(
        "320612101001", "石港村", "village", township_b, square(120.5, 32.0, 121.0, 32.5)
    )
    grid_a = make_region(
        "320612001001001", "金东一网格", "grid", village_a, square(120.0, 32.0, 120.25, 32.5)
    )
    grid_b = make_region(
        "320612001001002", "金东二网格", "grid", village_a, square(120.25, 32.0, 120.5, 32.5)
    )
    grid_c = make_region(
        "320612101001001", "石港一网格", "grid", village_b, square(120.5, 32.0, 121.0, 32.5)
    )
    department = Department.objects.create(code="320612-CG", name="城管局", region=county)
    department.serves.add(township_a)

    admin = make_user("admin", Role.SYSTEM_ADMIN)
    worker_a = make_user("worker_a", Role.GRID_WORKER, grid_a)
    worker_b = make_user("worker_b", Role.GRID_WORKER, grid_b)
    GridAssignment.objects.create(grid=grid_a, worker=worker_a)
    GridAssignment.objects.create(grid=grid_b, worker=worker_b)
    return World(
        county=county,
        township_a=township_a,
        township_b=township_b,
        village_a=village_a,
        village_b=village_b,
        grid_a=grid_a,
        grid_b=grid_b,
        grid_c=grid_c,
        department=department,
        admin=admin,
        county_manager=make_user("county_manager", Role.REGION_MANAGER, county),
        township_manager=make_user("township_manager", Role.REGION_MANAGER, township_a),
        worker_a=worker_a,
        worker_b=worker_b,
        clerk=make_user("clerk", Role.DEPARTMENT_STAFF, department=department),
        agent=make_user("agent", Role.HOTLINE_AGENT, county),
        auditor=make_user("auditor", Role.AUDITOR),
        citizen=make_user("citizen", Role.CITIZEN),
        outsider=make_user("outsider"),
    )
