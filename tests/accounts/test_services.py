"""Account services: who may manage accounts (三权分立), scope, and the audit entries."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from rest_framework.test import APIClient

from gezhi.accounts.choices import Role
from gezhi.accounts.models import Membership, User
from gezhi.accounts.services import membership_end, membership_grant, user_create, user_unlock
from gezhi.core.audit import audit_verify
from gezhi.core.errors import DomainError, InvalidInput, NotFound
from gezhi.core.models import AuditEntry
from tests.conftest import make_user

STRONG = "Qiao-lu-2026!x"


def last_entry(action) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("seq")


def sees(user, code) -> bool:
    client = APIClient()
    client.force_authenticate(User.objects.get(pk=user.pk))
    return client.get(f"/api/v1/regions/{code}/").status_code == 200


@pytest.fixture
def county_security(world):
    """A security administrator for township B only."""
    return make_user("security_b", Role.SECURITY_ADMIN, world.township_b)


# --- user_create ---------------------------------------------------------------------------


def test_security_admin_creates_an_account(world, security_admin):
    user = user_create(
        actor=security_admin, username="zhangsan", password=STRONG, display_name="张三"
    )
    assert user.check_password(STRONG)
    assert user.password_changed_at is not None
    entry = last_entry("user.create")
    assert entry.actor_id == security_admin.pk
    assert entry.object_id == str(user.pk)
    assert entry.after["username"] == "zhangsan"
    assert "password" not in entry.after
    assert audit_verify().ok


@pytest.mark.parametrize("who", ["admin", "auditor", "county_manager", "citizen", "outsider"])
def test_only_the_security_admin_creates_accounts(world, who):
    with pytest.raises(PermissionDenied):
        user_create(actor=world.cast[who], username="zhangsan", password=STRONG)
    assert not User.objects.filter(username="zhangsan").exists()


def test_superuser_may_create_accounts(world):
    root = User.objects.create_superuser("root", password=STRONG)
    assert user_create(actor=root, username="zhangsan", password=STRONG).pk


def test_duplicate_username_is_refused(world, security_admin):
    with pytest.raises(InvalidInput) as caught:
        user_create(actor=security_admin, username="Worker_A", password=STRONG)
    assert caught.value.field == "username"


def test_account_without_password_cannot_log_in(world, security_admin):
    user = user_create(actor=security_admin, username="sso_only", password=None)
    assert not user.has_usable_password()


# --- membership_grant / membership_end -----------------------------------------------------


def test_grant_gives_scope_and_is_audited(world, security_admin):
    assert not sees(world.outsider, world.grid_c.code)
    membership = membership_grant(
        actor=security_admin,
        user=world.outsider,
        role=Role.REGION_MANAGER,
        region=world.township_b,
    )
    assert sees(world.outsider, world.grid_c.code)
    assert not sees(world.outsider, world.grid_a.code)
    entry = last_entry("membership.grant")
    assert entry.object_id == str(membership.pk)
    assert entry.after["region"] == world.township_b.code


@pytest.mark.parametrize("who", ["admin", "auditor", "county_manager"])
def test_other_roles_cannot_grant(world, who):
    with pytest.raises(PermissionDenied):
        membership_grant(
            actor=world.cast[who],
            user=world.outsider,
            role=Role.GRID_WORKER,
            region=world.grid_c,
        )
    assert not world.outsider.memberships.exists()


def test_nobody_grants_themselves_a_role(world, security_admin):
    with pytest.raises(PermissionDenied):
        membership_grant(actor=security_admin, user=security_admin, role=Role.SYSTEM_ADMIN)


def test_one_account_holds_one_of_the_three_admin_roles(world, security_admin):
    with pytest.raises(DomainError) as caught:
        membership_grant(actor=security_admin, user=world.auditor, role=Role.SYSTEM_ADMIN)
    assert "三权分立" in caught.value.message


def test_role_needs_the_right_kind_of_place(world, security_admin):
    with pytest.raises(InvalidInput) as caught:
        membership_grant(actor=security_admin, user=world.outsider, role=Role.DEPARTMENT_STAFF)
    assert caught.value.field == "department"
    with pytest.raises(InvalidInput) as caught:
        membership_grant(actor=security_admin, user=world.outsider, role=Role.GRID_WORKER)
    assert caught.value.field == "region"


def test_same_membership_twice_is_refused(world, security_admin):
    with pytest.raises(DomainError):
        membership_grant(
            actor=security_admin, user=world.worker_a, role=Role.GRID_WORKER, region=world.grid_a
        )


def test_regional_security_admin_stays_in_their_region(world, county_security):
    # In township B: fine.
    membership_grant(
        actor=county_security, user=world.outsider, role=Role.GRID_WORKER, region=world.grid_c
    )
    # Township A is out of scope: answered as if it did not exist.
    newcomer = make_user("newcomer")
    with pytest.raises(NotFound):
        membership_grant(
            actor=county_security, user=newcomer, role=Role.GRID_WORKER, region=world.grid_a
        )
    # A deployment-wide role is for a deployment-wide security admin only.
    with pytest.raises(PermissionDenied):
        membership_grant(actor=county_security, user=newcomer, role=Role.AUDITOR)
    # Accounts placed elsewhere are out of reach.
    with pytest.raises(NotFound):
        membership_grant(
            actor=county_security, user=world.worker_a, role=Role.GRID_WORKER, region=world.grid_c
        )


def test_end_takes_the_scope_away_and_keeps_the_history(world, security_admin):
    membership = world.township_manager.memberships.get()
    assert sees(world.township_manager, world.grid_a.code)
    membership_end(actor=security_admin, membership=membership, reason="调岗")
    assert not sees(world.township_manager, world.grid_a.code)
    membership.refresh_from_db()
    assert membership.valid_to is not None
    assert Membership.objects.filter(pk=membership.pk).exists()
    entry = last_entry("membership.end")
    assert entry.reason == "调岗"
    assert entry.before["valid_to"] is None
    with pytest.raises(DomainError):
        membership_end(actor=security_admin, membership=membership)


def test_end_refused_for_other_roles_and_out_of_scope(world, county_security):
    membership = world.township_manager.memberships.get()
    with pytest.raises(PermissionDenied):
        membership_end(actor=world.admin, membership=membership)
    with pytest.raises(NotFound):
        membership_end(actor=county_security, membership=membership)
    membership.refresh_from_db()
    assert membership.valid_to is None


# --- user_unlock ---------------------------------------------------------------------------


def lock(user):
    User.objects.filter(pk=user.pk).update(
        locked_until=timezone.now() + timedelta(minutes=10), failed_logins=0
    )
    user.refresh_from_db()


def test_unlock(world, security_admin):
    lock(world.worker_a)
    user = user_unlock(actor=security_admin, user=world.worker_a, reason="本人来电核实")
    assert not user.is_locked
    assert not User.objects.get(pk=world.worker_a.pk).is_locked
    entry = last_entry("user.unlock")
    assert entry.actor_id == security_admin.pk
    assert entry.before["locked_until"] is not None
    assert entry.after["locked_until"] is None
    assert entry.reason == "本人来电核实"


def test_unlock_of_an_unlocked_account_says_so(world, security_admin):
    with pytest.raises(DomainError):
        user_unlock(actor=security_admin, user=world.worker_a)


@pytest.mark.parametrize("who", ["admin", "auditor", "county_manager", "worker_a"])
def test_only_the_security_admin_unlocks(world, who):
    lock(world.worker_b)
    with pytest.raises(PermissionDenied):
        user_unlock(actor=world.cast[who], user=world.worker_b)
    assert User.objects.get(pk=world.worker_b.pk).is_locked


def test_regional_security_admin_unlocks_only_their_accounts(world, county_security):
    lock(world.worker_a)
    with pytest.raises(NotFound):
        user_unlock(actor=county_security, user=world.worker_a)
