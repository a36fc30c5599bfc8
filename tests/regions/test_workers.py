"""Grid workers: one primary per grid, history kept, memberships (and so scope) in step."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from gezhi.accounts.choices import Role
from gezhi.accounts.models import Membership
from gezhi.accounts.scoping import user_scope
from gezhi.core.audit import audit_verify
from gezhi.core.errors import DomainError, InvalidInput, NotFound
from gezhi.core.models import AuditEntry
from gezhi.regions.models import GridAssignment
from gezhi.regions.services import grid_assign_worker, grid_release_worker
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def worker_memberships(user, grid):
    return Membership.objects.current().filter(user=user, role=Role.GRID_WORKER, region=grid)


def test_new_primary_ends_the_old_one_and_keeps_history(world):
    newcomer = make_user("newcomer")
    assignment = grid_assign_worker(actor=world.county_manager, grid=world.grid_a, worker=newcomer)

    rows = list(GridAssignment.objects.filter(grid=world.grid_a).order_by("started_at"))
    assert [(r.worker.username, r.ended_at is None) for r in rows] == [
        ("worker_a", False),
        ("newcomer", True),
    ]
    assert rows[0].ended_at == assignment.started_at
    assert list(world.grid_a.assignments.current()) == [assignment]
    assert AuditEntry.objects.filter(action="grid.release", object_id=str(rows[0].pk)).exists()
    assert AuditEntry.objects.filter(action="grid.assign", object_id=str(assignment.pk)).exists()
    assert audit_verify().ok


def test_memberships_follow_the_assignment(world):
    newcomer = make_user("newcomer")
    grid_assign_worker(actor=world.county_manager, grid=world.grid_a, worker=newcomer)

    assert worker_memberships(newcomer, world.grid_a).count() == 1
    assert not worker_memberships(world.worker_a, world.grid_a).exists()
    # The old membership is ended, not deleted.
    assert Membership.objects.filter(user=world.worker_a, region=world.grid_a).count() == 1


def test_scope_follows_the_worker(world):
    assert api(world.worker_b).get(f"/api/v1/regions/{world.grid_c.code}/").status_code == 404
    grid_assign_worker(actor=world.admin, grid=world.grid_c, worker=world.worker_b)
    assert api(world.worker_b).get(f"/api/v1/regions/{world.grid_c.code}/").status_code == 200

    grid_assign_worker(actor=world.admin, grid=world.grid_a, worker=world.worker_b)
    assert api(world.worker_a).get(f"/api/v1/regions/{world.grid_a.code}/").status_code == 404
    assert user_scope(world.worker_b, "region.view").covers(world.grid_a.path)


def test_assigning_the_current_primary_again_changes_nothing(world):
    before = AuditEntry.objects.count()
    again = grid_assign_worker(actor=world.admin, grid=world.grid_a, worker=world.worker_a)
    assert GridAssignment.objects.filter(grid=world.grid_a).count() == 1
    assert again.worker == world.worker_a and again.ended_at is None
    assert worker_memberships(world.worker_a, world.grid_a).count() == 1
    assert AuditEntry.objects.count() == before


def test_a_secondary_worker_stays_beside_the_primary(world):
    helper = make_user("helper")
    grid_assign_worker(actor=world.admin, grid=world.grid_a, worker=helper, is_primary=False)
    current = world.grid_a.assignments.current()
    assert {(a.worker.username, a.is_primary) for a in current} == {
        ("worker_a", True),
        ("helper", False),
    }
    # Promoting the helper ends both their secondary row and worker_a's primary row.
    grid_assign_worker(actor=world.admin, grid=world.grid_a, worker=helper, is_primary=True)
    current = world.grid_a.assignments.current()
    assert [(a.worker.username, a.is_primary) for a in current] == [("helper", True)]
    assert GridAssignment.objects.filter(grid=world.grid_a, worker=helper).count() == 2
    assert worker_memberships(helper, world.grid_a).count() == 1
    assert not worker_memberships(world.worker_a, world.grid_a).exists()


def test_the_database_allows_one_current_primary(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        GridAssignment.objects.create(grid=world.grid_a, worker=world.worker_b)


def test_release_ends_assignment_and_membership(world):
    assignment = GridAssignment.objects.get(grid=world.grid_a, worker=world.worker_a)
    grid_release_worker(actor=world.township_manager, assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.ended_at is not None
    assert not world.grid_a.assignments.current().exists()
    assert not worker_memberships(world.worker_a, world.grid_a).exists()
    # Releasing again is harmless.
    grid_release_worker(actor=world.township_manager, assignment=assignment)
    assert AuditEntry.objects.filter(action="grid.release").count() == 1


def test_worker_with_two_grids_keeps_the_other(world):
    grid_assign_worker(
        actor=world.admin, grid=world.grid_b, worker=world.worker_a, is_primary=False
    )
    assignment = GridAssignment.objects.get(grid=world.grid_a, worker=world.worker_a)
    grid_release_worker(actor=world.admin, assignment=assignment)
    assert not worker_memberships(world.worker_a, world.grid_a).exists()
    assert worker_memberships(world.worker_a, world.grid_b).count() == 1


def test_only_grids_that_are_in_force_take_workers(world):
    with pytest.raises(InvalidInput):
        grid_assign_worker(actor=world.admin, grid=world.village_a, worker=world.worker_a)
    world.grid_c.valid_to = world.grid_c.valid_from
    world.grid_c.save()
    with pytest.raises(DomainError):
        grid_assign_worker(actor=world.admin, grid=world.grid_c, worker=world.worker_a)


def test_scope_of_the_actor(world):
    # Grid C lies outside township A: for its manager it does not exist.
    with pytest.raises(NotFound):
        grid_assign_worker(actor=world.township_manager, grid=world.grid_c, worker=world.worker_b)
    # A grid worker sees their grid but may not assign: 403.
    with pytest.raises(PermissionDenied):
        grid_assign_worker(actor=world.worker_a, grid=world.grid_a, worker=world.worker_b)
    assert GridAssignment.objects.current().filter(grid=world.grid_a).get().worker == world.worker_a


def test_assign_by_api(world):
    url = f"/api/v1/regions/{world.grid_a.code}/workers/"
    response = api(world.township_manager).post(url, {"worker": "worker_b"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["worker_username"] == "worker_b"
    again = api(world.township_manager).post(url, {"worker": "worker_b"}, format="json")
    assert again.status_code == 200
    listed = api(world.township_manager).get(url).json()
    assert [row["worker_username"] for row in listed] == ["worker_b"]


@pytest.mark.parametrize(
    ("who", "status"),
    [("worker_a", 403), ("clerk", 403), ("agent", 403), ("worker_b", 404), ("outsider", 404)],
)
def test_assign_by_api_refused(world, who, status):
    url = f"/api/v1/regions/{world.grid_a.code}/workers/"
    response = api(world.cast[who]).post(url, {"worker": "outsider"}, format="json")
    assert response.status_code == status
    assert GridAssignment.objects.current().get(grid=world.grid_a).worker == world.worker_a


def test_assign_by_api_unknown_worker(world):
    url = f"/api/v1/regions/{world.grid_a.code}/workers/"
    response = api(world.admin).post(url, {"worker": "nobody"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "worker"
