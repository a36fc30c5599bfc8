"""Departments (functional grids): created and changed by those with `department.change`."""

import pytest
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient

from gezhi.core.audit import audit_verify
from gezhi.core.errors import InvalidInput, NotFound
from gezhi.core.models import AuditEntry
from gezhi.regions.models import Department
from gezhi.regions.services import department_create, department_update


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_create_and_update_are_audited(world):
    department = department_create(
        actor=world.admin,
        code="320612-SW",
        name="水务局",
        region=world.county,
        serves=[world.township_a, world.township_b],
        phone=" 0513-1234567 ",
    )
    assert department.phone == "0513-1234567"
    assert {r.code for r in department.serves.all()} == {"320612001", "320612101"}
    created = AuditEntry.objects.get(action="department.create", object_id=str(department.pk))
    assert created.after["serves"] == ["320612001", "320612101"]

    department_update(
        actor=world.admin, department=department, name="水利局", serves=[world.township_b]
    )
    department.refresh_from_db()
    assert department.name == "水利局"
    assert [r.code for r in department.serves.all()] == ["320612101"]
    updated = AuditEntry.objects.get(action="department.update", object_id=str(department.pk))
    assert updated.before["name"] == "水务局" and updated.after["name"] == "水利局"
    assert updated.before["serves"] == ["320612001", "320612101"]

    # Nothing changed: nothing logged.
    department_update(actor=world.admin, department=department, name="水利局")
    assert AuditEntry.objects.filter(action="department.update").count() == 1
    assert audit_verify().ok


def test_deactivate(world):
    department_update(actor=world.admin, department=world.department, is_active=False)
    world.department.refresh_from_db()
    assert not world.department.is_active


def test_bad_input(world):
    with pytest.raises(InvalidInput, match="已存在"):
        department_create(actor=world.admin, code="320612-CG", name="重复", region=world.county)
    with pytest.raises(InvalidInput):
        department_create(actor=world.admin, code="X", name="  ", region=world.county)
    with pytest.raises(InvalidInput):
        department_update(actor=world.admin, department=world.department, name="")


def test_who_may_change_departments(world):
    # The county manager sees the county but may not change departments; township A's
    # manager does not see the county at all.
    with pytest.raises(PermissionDenied):
        department_create(actor=world.county_manager, code="A", name="A", region=world.county)
    with pytest.raises(NotFound):
        department_create(actor=world.township_manager, code="A", name="A", region=world.county)
    with pytest.raises(PermissionDenied):
        department_update(actor=world.clerk, department=world.department, name="改名")
    assert not Department.objects.filter(code="A").exists()


def test_create_and_patch_by_api(world):
    body = {"code": "320612-JT", "name": "交通局", "region": "320612", "serves": ["320612101"]}
    response = api(world.admin).post("/api/v1/departments/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["serves"] == ["320612101"]

    response = api(world.admin).patch(
        "/api/v1/departments/320612-JT/", {"phone": "12345", "is_active": False}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["phone"] == "12345" and response.json()["is_active"] is False


@pytest.mark.parametrize(
    ("who", "status"),
    [("county_manager", 403), ("clerk", 403), ("agent", 403), ("township_manager", 404)],
)
def test_patch_by_api_refused(world, who, status):
    response = api(world.cast[who]).patch(
        f"/api/v1/departments/{world.department.code}/", {"name": "改名"}, format="json"
    )
    assert response.status_code == status
    world.department.refresh_from_db()
    assert world.department.name == "城管局"


@pytest.mark.parametrize(("who", "status"), [("county_manager", 403), ("outsider", 404)])
def test_create_by_api_refused(world, who, status):
    body = {"code": "320612-JT", "name": "交通局", "region": "320612"}
    response = api(world.cast[who]).post("/api/v1/departments/", body, format="json")
    assert response.status_code == status
    assert not Department.objects.filter(code="320612-JT").exists()
