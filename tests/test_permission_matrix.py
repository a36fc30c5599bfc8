"""The permission matrix: every URL of the project, every role of the cast, in and out of scope.

`MATRIX` has one line per URL name and method. Each line gives the status every role gets for
an object in township A (inside the township manager's scope) and for its twin in township B
(outside it); lists and other URLs without an object have the first group only. Roles, in
column order: anonymous, then the cast of tests/conftest.py, then a security administrator.

    anon  nobody logged in                  wkA/wkB  grid workers of grid A / grid B
    adm   system administrator              clk      department clerk (department serving A)
    cty   county manager                    agt      hotline agent (county)
    twn   township manager (township A)     aud/cit/out  auditor, citizen, outsider (no role)
    sec   security administrator

Adding a URL takes one line in `MATRIX` (and a line in `TARGETS` if it needs a new kind of
object). A URL that exists without a line fails `test_every_url_is_in_the_matrix`, and a URL
that answers POST (PATCH, PUT, DELETE for the API) without a line for that method fails
`test_every_write_method_is_in_the_matrix`. Every request runs inside a savepoint that is
rolled back, with the client's cookies put back, so each one sees the same world; a refused
write must leave the database unchanged.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone

from gezhi.accounts.choices import Role
from gezhi.core.models import AuditHead
from gezhi.regions.models import Department
from gezhi.regions.services import redraw_grids
from tests.conftest import make_region, make_user, square
from tests.registry.records import make_records

# Column order of MATRIX, and the short names its failure messages print.
ROLES = [
    "anon",
    "admin",
    "county_manager",
    "township_manager",
    "worker_a",
    "worker_b",
    "clerk",
    "agent",
    "auditor",
    "citizen",
    "outsider",
    "security",
]
SHORT = ["anon", "adm", "cty", "twn", "wkA", "wkB", "clk", "agt", "aud", "cit", "out", "sec"]

# Target kinds: `-` none; `grid` grid A | grid C; `dept` a department of township A | of B;
# `redraw` a redraw of grid B | of grid D (township B); `point` a point in grid A | in grid C.
# Write bodies: `assign` worker_b as second worker of grid A | C; `newdept` a department of
# township A | B; `patchdept` a new phone for dept; `split` grid A | grid C into two halves.
#
# name                   method  target     anon adm cty twn wkA wkB clk agt aud cit out sec   anon adm cty twn wkA wkB clk agt aud cit out sec
MATRIX = """
home                     GET     -          302 200 200 200 200 200 200 200 200 200 200 200
login                    GET     -          200 302 302 302 302 302 302 302 302 302 302 302
login                    POST    -          200 302 302 302 302 302 302 302 302 302 302 302
logout                   POST    -          302 302 302 302 302 302 302 302 302 302 302 302
password-change          GET     -          302 200 200 200 200 200 200 200 200 200 200 200
password-change          POST    -          302 200 200 200 200 200 200 200 200 200 200 200
password-change-done     GET     -          302 200 200 200 200 200 200 200 200 200 200 200
region-browser           GET     -          302 200 200 200 200 200 200 200 200 200 200 200
region-detail            GET     grid       302 200 200 200 200 404 200 200 200 404 404 200 | 302 200 200 404 404 404 200 200 200 404 404 200
region-children          GET     grid       302 200 200 200 200 404 200 200 200 404 404 200 | 302 200 200 404 404 404 200 200 200 404 404 200
region-map               GET     grid       302 200 200 200 200 404 200 200 200 404 404 200 | 302 200 200 404 404 404 200 200 200 404 404 200
api-me                   GET     -          401 200 200 200 200 200 200 200 200 200 200 200
api:region-list          GET     -          401 200 200 200 200 200 200 200 200 200 200 200
api:region-detail        GET     grid       401 200 200 200 200 404 200 200 200 404 404 200 | 401 200 200 404 404 404 200 200 200 404 404 200
api:region-locate        GET     point      401 200 200 200 200 200 200 200 200 200 200 200 | 401 200 200 200 200 200 200 200 200 200 200 200
api:region-workers       GET     grid       401 200 200 200 200 404 200 200 200 404 404 200 | 401 200 200 404 404 404 200 200 200 404 404 200
api:region-workers       POST    assign     401 201 201 201 403 404 403 403 403 404 404 403 | 401 201 201 404 404 404 403 403 403 404 404 403
api:department-list      GET     -          401 200 200 200 200 200 200 200 200 200 200 200
api:department-list      POST    newdept    401 201 403 403 404 404 403 403 403 404 404 403 | 401 201 403 404 404 404 403 403 403 404 404 403
api:department-detail    GET     dept       401 200 200 200 404 404 200 200 404 404 404 404 | 401 200 200 404 404 404 200 200 404 404 404 404
api:department-detail    PATCH   patchdept  401 200 403 403 404 404 403 403 404 404 404 404 | 401 200 403 404 404 404 403 403 404 404 404 404
api:redraw-list          GET     -          401 200 200 200 200 200 200 200 200 200 200 200
api:redraw-list          POST    split      401 201 201 201 403 404 403 403 403 404 404 403 | 401 201 201 404 404 404 403 403 403 404 404 403
api:redraw-detail        GET     redraw     401 200 200 200 404 200 200 200 200 404 404 200 | 401 200 200 404 404 404 200 200 200 404 404 200
registry-person-list             GET     -                  302 200 200 200 200 200 200 200 403 403 403 403
registry-person-create           GET     -                  302 200 200 200 200 200 403 403 403 403 403 403
registry-person-create           POST    newperson          302 200 200 200 200 200 403 403 403 403 403 403 | 302 200 200 200 200 200 403 403 403 403 403 403
registry-person-detail           GET     person             302 200 200 200 200 404 200 200 404 404 404 404 | 302 200 200 404 404 404 200 200 404 404 404 404
registry-person-update           GET     person             302 200 200 200 200 404 403 403 404 404 404 404 | 302 200 200 404 404 404 403 403 404 404 404 404
registry-person-update           POST    patchperson        302 200 200 200 200 404 403 403 404 404 404 404 | 302 200 200 404 404 404 403 403 404 404 404 404
registry-person-reveal           GET     revealperson       302 403 200 200 200 404 403 403 404 404 404 404 | 302 403 200 404 404 404 403 403 404 404 404 404
registry-person-reveal           POST    revealperson       302 403 200 200 200 404 403 403 404 404 404 404 | 302 403 200 404 404 404 403 403 404 404 404 404
registry-household-list          GET     -                  302 200 200 200 200 200 200 200 403 403 403 403
registry-household-create        GET     -                  302 200 200 200 200 200 403 403 403 403 403 403
registry-household-create        POST    newhousehold       302 200 200 200 200 200 403 403 403 403 403 403 | 302 200 200 200 200 200 403 403 403 403 403 403
registry-household-detail        GET     household          302 200 200 200 200 404 200 200 404 404 404 404 | 302 200 200 404 404 404 200 200 404 404 404 404
registry-household-update        GET     household          302 200 200 200 200 404 403 403 404 404 404 404 | 302 200 200 404 404 404 403 403 404 404 404 404
registry-household-update        POST    patchhousehold     302 200 200 200 200 404 403 403 404 404 404 404 | 302 200 200 404 404 404 403 403 404 404 404 404
registry-house-list              GET     -                  302 200 200 200 200 200 200 200 403 403 403 403
registry-house-create            GET     -                  302 200 200 200 200 200 403 403 403 403 403 403
registry-house-create            POST    newhouse           302 200 200 200 200 200 403 403 403 403 403 403 | 302 200 200 200 200 200 403 403 403 403 403 403
registry-house-detail            GET     house              302 200 200 200 200 404 200 200 404 404 404 404 | 302 200 200 404 404 404 200 200 404 404 404 404
registry-house-update            GET     house              302 200 200 200 200 404 403 403 404 404 404 404 | 302 200 200 404 404 404 403 403 404 404 404 404
registry-house-update            POST    patchhouse         302 200 200 200 200 404 403 403 404 404 404 404 | 302 200 200 404 404 404 403 403 404 404 404 404
registry-house-reveal            GET     revealhouse        302 403 200 200 200 404 403 403 404 404 404 404 | 302 403 200 404 404 404 403 403 404 404 404 404
registry-house-reveal            POST    revealhouse        302 403 200 200 200 404 403 403 404 404 404 404 | 302 403 200 404 404 404 403 403 404 404 404 404
registry-unit-list               GET     -                  302 200 200 200 200 200 200 200 403 403 403 403
registry-unit-create             GET     -                  302 200 200 200 200 200 403 403 403 403 403 403
registry-unit-create             POST    newunit            302 200 200 200 200 200 403 403 403 403 403 403 | 302 200 200 200 200 200 403 403 403 403 403 403
registry-unit-detail             GET     unit               302 200 200 200 200 404 200 200 404 404 404 404 | 302 200 200 404 404 404 200 200 404 404 404 404
registry-unit-update             GET     unit               302 200 200 200 200 404 403 403 404 404 404 404 | 302 200 200 404 404 404 403 403 404 404 404 404
registry-unit-update             POST    patchunit          302 200 200 200 200 404 403 403 404 404 404 404 | 302 200 200 404 404 404 403 403 404 404 404 404
registry-unit-reveal             GET     revealunit         302 403 200 200 200 404 403 403 404 404 404 404 | 302 403 200 404 404 404 403 403 404 404 404 404
registry-unit-reveal             POST    revealunit         302 403 200 200 200 404 403 403 404 404 404 404 | 302 403 200 404 404 404 403 403 404 404 404 404
registry-organisation-list       GET     -                  302 200 200 200 200 200 200 200 403 403 403 403
registry-organisation-create     GET     -                  302 200 200 200 200 200 403 403 403 403 403 403
registry-organisation-create     POST    neworganisation    302 200 200 200 200 200 403 403 403 403 403 403 | 302 200 200 200 200 200 403 403 403 403 403 403
registry-organisation-detail     GET     organisation       302 200 200 200 200 404 200 200 404 404 404 404 | 302 200 200 404 404 404 200 200 404 404 404 404
registry-organisation-update     GET     organisation       302 200 200 200 200 404 403 403 404 404 404 404 | 302 200 200 404 404 404 403 403 404 404 404 404
registry-organisation-update     POST    patchorganisation  302 200 200 200 200 404 403 403 404 404 404 404 | 302 200 200 404 404 404 403 403 404 404 404 404
registry-organisation-reveal     GET     revealorganisation 302 403 200 200 200 404 403 403 404 404 404 404 | 302 403 200 404 404 404 403 403 404 404 404 404
registry-organisation-reveal     POST    revealorganisation 302 403 200 200 200 404 403 403 404 404 404 404 | 302 403 200 404 404 404 403 403 404 404 404 404
api:person-list                  GET     -                  401 200 200 200 200 200 200 200 403 403 403 403
api:person-list                  POST    newperson          401 201 201 201 201 404 403 403 403 403 403 403 | 401 201 201 404 404 404 403 403 403 403 403 403
api:person-detail                GET     person             401 200 200 200 200 404 200 200 403 403 403 403 | 401 200 200 404 404 404 200 200 403 403 403 403
api:person-detail                PATCH   patchperson        401 200 200 200 200 404 403 403 403 403 403 403 | 401 200 200 404 404 404 403 403 403 403 403 403
api:person-reveal                POST    revealperson       401 403 200 200 200 404 403 403 403 403 403 403 | 401 403 200 404 404 404 403 403 403 403 403 403
api:person-picture               GET     person             401 200 200 200 200 404 200 200 403 403 403 403 | 401 200 200 404 404 404 200 200 403 403 403 403
api:household-list               GET     -                  401 200 200 200 200 200 200 200 403 403 403 403
api:household-list               POST    newhousehold       401 201 201 201 201 404 403 403 403 403 403 403 | 401 201 201 404 404 404 403 403 403 403 403 403
api:household-detail             GET     household          401 200 200 200 200 404 200 200 403 403 403 403 | 401 200 200 404 404 404 200 200 403 403 403 403
api:household-detail             PATCH   patchhousehold     401 200 200 200 200 404 403 403 403 403 403 403 | 401 200 200 404 404 404 403 403 403 403 403 403
api:house-list                   GET     -                  401 200 200 200 200 200 200 200 403 403 403 403
api:house-list                   POST    newhouse           401 201 201 201 201 404 403 403 403 403 403 403 | 401 201 201 404 404 404 403 403 403 403 403 403
api:house-detail                 GET     house              401 200 200 200 200 404 200 200 403 403 403 403 | 401 200 200 404 404 404 200 200 403 403 403 403
api:house-detail                 PATCH   patchhouse         401 200 200 200 200 404 403 403 403 403 403 403 | 401 200 200 404 404 404 403 403 403 403 403 403
api:house-reveal                 POST    revealhouse        401 403 200 200 200 404 403 403 403 403 403 403 | 401 403 200 404 404 404 403 403 403 403 403 403
api:unit-list                    GET     -                  401 200 200 200 200 200 200 200 403 403 403 403
api:unit-list                    POST    newunit            401 201 201 201 201 404 403 403 403 403 403 403 | 401 201 201 404 404 404 403 403 403 403 403 403
api:unit-detail                  GET     unit               401 200 200 200 200 404 200 200 403 403 403 403 | 401 200 200 404 404 404 200 200 403 403 403 403
api:unit-detail                  PATCH   patchunit          401 200 200 200 200 404 403 403 403 403 403 403 | 401 200 200 404 404 404 403 403 403 403 403 403
api:unit-reveal                  POST    revealunit         401 403 200 200 200 404 403 403 403 403 403 403 | 401 403 200 404 404 404 403 403 403 403 403 403
api:organisation-list            GET     -                  401 200 200 200 200 200 200 200 403 403 403 403
api:organisation-list            POST    neworganisation    401 201 201 201 201 404 403 403 403 403 403 403 | 401 201 201 404 404 404 403 403 403 403 403 403
api:organisation-detail          GET     organisation       401 200 200 200 200 404 200 200 403 403 403 403 | 401 200 200 404 404 404 200 200 403 403 403 403
api:organisation-detail          PATCH   patchorganisation  401 200 200 200 200 404 403 403 403 403 403 403 | 401 200 200 404 404 404 403 403 403 403 403 403
api:organisation-reveal          POST    revealorganisation 401 403 200 200 200 404 403 403 403 403 403 403 | 401 403 200 404 404 404 403 403 403 403 403 403
api:catalogue-field-list         GET     -                  401 200 200 200 200 200 200 200 403 403 403 403
api:region-catalogue-totals      GET     totals             401 200 200 200 404 404 200 200 403 403 403 403 | 401 200 200 404 404 404 200 200 403 403 403 403
registry-import                  GET     -                  302 200 200 200 403 403 403 403 403 403 403 403
registry-import                  POST    -                  302 400 400 400 403 403 403 403 403 403 403 403
registry-import-confirm          POST    -                  302 404 404 404 403 403 403 403 403 403 403 403
registry-import-report           GET     -                  302 404 404 404 403 403 403 403 403 403 403 403
registry-import-template         GET     importkind         302 200 200 200 403 403 403 403 403 403 403 403 | 302 200 200 404 403 403 403 403 403 403 403 403
registry-export                  GET     importkind         302 200 200 200 403 403 403 403 403 403 403 403 | 302 200 200 404 403 403 403 403 403 403 403 403
registry-export                  POST    importkind         302 400 400 400 403 403 403 403 403 403 403 403 | 302 400 400 400 403 403 403 403 403 403 403 403
"""

# The OpenAPI schema and its docs page, public by design (they describe the API, not data):
# checked only for "anonymous gets the page or a login refusal, a logged-in user gets it".
SIMPLE = {"api-schema", "api-docs"}
# Not ours to cover: the Django admin (tests/accounts/test_admin.py), static and media files,
# and Django's language switch.
SKIP_PREFIXES = ("admin/", settings.STATIC_URL.lstrip("/"), settings.MEDIA_URL.lstrip("/"))
SKIP_NAMES = {"set_language"}
API_PREFIX = "api/v1/"


# --- the URL patterns ----------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    key: str  # the URL name; "api:" in front for the REST API's (pages and API share names)
    route: str
    callback: Callable

    @property
    def is_api(self) -> bool:
        return self.route.startswith(API_PREFIX)


def _join(prefix: str, pattern) -> str:
    part = str(pattern)
    return prefix + (part[1:] if part.startswith("^") else part)


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        route = _join(prefix, pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def endpoints() -> list[Endpoint]:
    """Every URL pattern of the project that the matrix must cover (or check simply)."""
    found = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES) or pattern.name in SKIP_NAMES:
            continue
        name = pattern.name or route
        api = route.startswith(API_PREFIX) and not name.startswith("api")
        key = f"api:{name}" if api else name
        found.append(Endpoint(key, route, pattern.callback))
    return found


def build_path(endpoint: Endpoint, kwargs: dict) -> str:
    """The URL of `endpoint` with `kwargs` filled in (path converters or regex groups)."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m[1]]), endpoint.route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m[1]]), path)
    path = "/" + path.replace("^", "").replace("$", "")
    assert resolve(path).func is endpoint.callback, f"{path} does not resolve to {endpoint.key}"
    return path


# --- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    key: str
    method: str
    target: str
    statuses: tuple[list[int], list[int] | None]


def parse_matrix(text: str) -> list[Row]:
    rows = []
    for line in text.strip().splitlines():
        key, method, target, rest = line.split(None, 3)
        groups = [[int(s) for s in group.split()] for group in rest.split("|")]
        for group in groups:
            assert len(group) == len(ROLES), f"{key} {method}: {len(group)} statuses"
        assert len(groups) == (1 if target == "-" else 2), f"{key} {method}: groups vs target"
        rows.append(Row(key, method, target, (groups[0], groups[1] if len(groups) > 1 else None)))
    seen = [(r.key, r.method) for r in rows]
    assert len(seen) == len(set(seen)), "a URL name and method is listed twice"
    return rows


ROWS = parse_matrix(MATRIX)


@dataclass
class Target:
    kwargs: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    body: dict | None = None


def halves(codes: tuple[str, str], x0: float, y0: float, x1: float, y1: float) -> list[dict]:
    """New grids for splitting the square (x0, y0)-(x1, y1) into a west and an east half."""
    mid = (x0 + x1) / 2
    return [
        {"code": codes[0], "name": "西半网格", "boundary": square(x0, y0, mid, y1)},
        {"code": codes[1], "name": "东半网格", "boundary": square(mid, y0, x1, y1)},
    ]


# kind -> the world -> (target in township A, target in township B)
TARGETS: dict[str, Callable] = {
    "-": lambda w: (Target(), None),
    "grid": lambda w: (Target({"code": w.grid_a.code}), Target({"code": w.grid_c.code})),
    "point": lambda w: (
        Target(query={"lng": 120.1, "lat": 32.2}),
        Target(query={"lng": 120.7, "lat": 32.2}),
    ),
    "assign": lambda w: (
        Target({"code": w.grid_a.code}, body={"worker": "worker_b", "is_primary": False}),
        Target({"code": w.grid_c.code}, body={"worker": "worker_b", "is_primary": False}),
    ),
    "dept": lambda w: (Target({"code": w.dept_a.code}), Target({"code": w.dept_b.code})),
    "patchdept": lambda w: (
        Target({"code": w.dept_a.code}, body={"phone": "0513-0000"}),
        Target({"code": w.dept_b.code}, body={"phone": "0513-0000"}),
    ),
    "newdept": lambda w: (
        Target(body={"code": "X-NEW", "name": "新部门", "region": w.township_a.code}),
        Target(body={"code": "X-NEW", "name": "新部门", "region": w.township_b.code}),
    ),
    "redraw": lambda w: (Target({"pk": w.redraw_a.pk}), Target({"pk": w.redraw_b.pk})),
    "split": lambda w: (
        Target(
            body={
                "kind": "split",
                "old_grids": [w.grid_a.code],
                "new_grids": halves(
                    ("320612001001011", "320612001001012"), 120.0, 32.0, 120.25, 32.5
                ),
            }
        ),
        Target(
            body={
                "kind": "split",
                "old_grids": [w.grid_c.code],
                "new_grids": halves(
                    ("320612101001011", "320612101001012"), 120.5, 32.0, 121.0, 32.5
                ),
            }
        ),
    ),
}


# The registers (tests/registry/records.py): a record of each kind in township A | B, new
# records for grid A | C, a change, and a reveal with a reason (`<kind>`, `new<kind>`,
# `patch<kind>`, `reveal<kind>`); `totals` sums a catalogue field over township A | B.
REGISTRY_TWINS = {
    "person": ("zhang", "zhao", {"name": "新居民"}, {"occupation": "牧民"}, "id_number"),
    "household": ("household_a", "household_c", {"number": "N1"}, {"address": "新址"}, None),
    "house": (
        "house_a",
        "house_c",
        {"code": "HN1", "address": "新址"},
        {"hazards": "无"},
        "owner_phone",
    ),
    "unit": ("unit_a", "unit_c", {"name": "新单位"}, {"employees": 5}, "phone"),
    "organisation": (
        "org_a",
        "org_c",
        {"name": "新组织", "kind": "party"},
        {"leader": "王"},
        "phone",
    ),
}


def _registry_targets() -> dict[str, Callable]:
    targets: dict[str, Callable] = {}
    for kind, (a, b, new, patch, revealed) in REGISTRY_TWINS.items():
        targets[kind] = lambda w, a=a, b=b: (
            Target({"pk": getattr(w.registry, a).pk}),
            Target({"pk": getattr(w.registry, b).pk}),
        )
        targets[f"new{kind}"] = lambda w, new=new: (
            Target(body={**new, "grid": w.grid_a.code}),
            Target(body={**new, "grid": w.grid_c.code}),
        )
        targets[f"patch{kind}"] = lambda w, a=a, b=b, patch=patch: (
            Target({"pk": getattr(w.registry, a).pk}, body=patch),
            Target({"pk": getattr(w.registry, b).pk}, body=patch),
        )
        if revealed:
            body = {"field": revealed, "reason": "核对"}
            targets[f"reveal{kind}"] = lambda w, a=a, b=b, body=body: (
                Target({"pk": getattr(w.registry, a).pk}, query=body, body=body),
                Target({"pk": getattr(w.registry, b).pk}, query=body, body=body),
            )
    targets["totals"] = lambda w: (
        Target({"code": w.township_a.code}, query={"kind": "household", "key": "yaks"}),
        Target({"code": w.township_b.code}, query={"kind": "household", "key": "yaks"}),
    )
    return targets


TARGETS.update(_registry_targets())
# Import and export pages: a kind, for township A | B (`?region=`; POST bodies carry no file).
TARGETS["importkind"] = lambda w: (
    Target({"kind": "people"}, query={"region": w.township_a.code}),
    Target({"kind": "people"}, query={"region": w.township_b.code}),
)


# --- the world -----------------------------------------------------------------------------


@pytest.fixture
def matrix_world(world, settings):
    """The shared world, plus what the matrix needs: a security administrator, a department
    of each township, and a redraw in each township (dated next month, so today's tree and
    workers are unchanged)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world.security = make_user("security", Role.SECURITY_ADMIN)
    world.dept_a = Department.objects.create(
        code="320612001-SQ", name="金沙街道社区服务中心", region=world.township_a
    )
    world.dept_b = Department.objects.create(
        code="320612101-NJ", name="石港镇农技站", region=world.township_b
    )
    village_b2 = make_region(
        "320612101002", "石港二村", "village", world.township_b, square(120.5, 32.5, 121.0, 33.0)
    )
    grid_d = make_region(
        "320612101002001", "石港二村网格", "grid", village_b2, square(120.5, 32.5, 121.0, 33.0)
    )
    next_month = timezone.localdate() + timedelta(days=30)
    world.redraw_a = redraw_grids(
        actor=None,
        kind="split",
        old_grids=[world.grid_b],
        new_grids=halves(("320612001001021", "320612001001022"), 120.25, 32.0, 120.5, 32.5),
        effective_on=next_month,
    )
    world.redraw_b = redraw_grids(
        actor=None,
        kind="split",
        old_grids=[grid_d],
        new_grids=halves(("320612101002011", "320612101002012"), 120.5, 32.5, 121.0, 33.0),
        effective_on=next_month,
    )
    world.registry = make_records(world)
    return world


def clients(world) -> dict[str, Client]:
    result = {"anon": Client()}
    for role in ROLES[1:]:
        client = Client()
        client.force_login(getattr(world, role))
        result[role] = client
    return result


def fingerprint() -> tuple:
    """Row counts of every Gezhi model and the audit chain's head: what a write would change."""
    counts = tuple(
        (model._meta.label, model._default_manager.count())
        for model in apps.get_models()
        if model.__module__.startswith("gezhi.")
    )
    head = AuditHead.objects.filter(pk=1).values_list("last_seq", flat=True).first()
    return counts, head


def request(client: Client, method: str, path: str, target: Target):
    """One request whose writes are rolled back and whose cookie changes are undone.

    Returns (status, whether the database changed).
    """
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        if method == "GET":
            response = client.get(path, target.query)
            changed = False  # not checked: reads may touch the session
        else:
            before = fingerprint()
            response = client.generic(
                method, path, data=json.dumps(target.body or {}), content_type="application/json"
            )
            changed = fingerprint() != before
        transaction.set_rollback(True)
    client.cookies = cookies
    return response.status_code, changed


def _line(statuses) -> str:
    return " ".join(str(s) for s in statuses)


# --- the tests -----------------------------------------------------------------------------


def test_every_url_is_in_the_matrix():
    listed = {row.key for row in ROWS} | SIMPLE
    missing = sorted({e.key for e in endpoints()} - listed)
    assert not missing, f"URLs with no line in the permission matrix: {missing}"
    stale = sorted(listed - {e.key for e in endpoints()})
    assert not stale, f"lines in the permission matrix for URLs that no longer exist: {stale}"
    keys = [(e.key, e.route) for e in endpoints()]
    duplicates = sorted({k for k, _ in keys if [x for x, _ in keys].count(k) > 1})
    assert not duplicates, f"two URL patterns share a name, the matrix cannot tell: {duplicates}"


def test_every_write_method_is_in_the_matrix(matrix_world):
    """POST to every URL (and PATCH, PUT, DELETE to the API) as the system administrator:
    anything but 405 means the URL takes that method, and it needs its own line."""
    admin = clients(matrix_world)["admin"]
    listed = {(row.key, row.method) for row in ROWS}
    unlisted = []
    for endpoint in endpoints():
        if endpoint.key in SIMPLE:
            continue
        row = next((r for r in ROWS if r.key == endpoint.key), None)
        if row is None:
            continue  # test_every_url_is_in_the_matrix reports it
        target = TARGETS[row.target](matrix_world)[0]
        path = build_path(endpoint, target.kwargs)
        methods = ["POST", "PATCH", "PUT", "DELETE"] if endpoint.is_api else ["POST"]
        for method in methods:
            if (endpoint.key, method) in listed:
                continue
            status, changed = request(admin, method, path, Target())
            if status != 405 or changed:
                unlisted.append(f"{method} {endpoint.key} answered {status}")
    assert not unlisted, "write methods with no line in the permission matrix:\n" + "\n".join(
        unlisted
    )


def test_permission_matrix(matrix_world):
    by_key = {e.key: e for e in endpoints()}
    cast = clients(matrix_world)
    wrong = []
    for row in ROWS:
        endpoint = by_key[row.key]
        targets = TARGETS[row.target](matrix_world)
        for side, expected in enumerate(row.statuses):
            if expected is None:
                continue
            target = targets[side]
            path = build_path(endpoint, target.kwargs)
            got = []
            for role in ROLES:
                status, changed = request(cast[role], row.method, path, target)
                got.append(status)
                if row.method != "GET" and status >= 400 and changed:
                    wrong.append(f"{row.method} {path} as {role}: refused ({status}) but wrote")
            if got != expected:
                where = "in township A" if side == 0 else "in township B"
                wrong.append(
                    f"{row.key:24} {row.method:6} {where}\n"
                    f"  expected {_line(expected)}\n"
                    f"  got      {_line(got)}"
                )
    header = "roles:    " + " ".join(f"{r:3}" for r in SHORT)
    assert not wrong, header + "\n" + "\n".join(wrong)


def test_schema_and_docs_are_public_or_behind_a_login(client, admin_client):
    for key in sorted(SIMPLE):
        path = build_path(next(e for e in endpoints() if e.key == key), {})
        assert client.get(path).status_code in (200, 302, 401, 403), key
        assert admin_client.get(path).status_code == 200, key
