"""Login lockout after repeated failures, on every way of logging in with a password."""

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.test import Client
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication
from rest_framework.test import APIRequestFactory

from gezhi.accounts.models import User
from gezhi.core.models import AuditEntry
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.GEZHI_LOGIN_MAX_FAILURES = 3
    settings.GEZHI_LOGIN_LOCKOUT_MINUTES = 15


def login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def fail(client, username, times):
    for _ in range(times):
        response = login(client, username, "wrong-password")
        assert response.status_code == 200  # the form again, with an error


def test_locks_after_max_failures_and_refuses_the_right_password(world):
    client = Client()
    fail(client, "worker_a", 2)
    assert not User.objects.get(username="worker_a").is_locked
    fail(client, "worker_a", 1)
    user = User.objects.get(username="worker_a")
    assert user.is_locked
    assert user.locked_until - timezone.now() > timedelta(minutes=14)

    response = login(client, "worker_a", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "账号已锁定至" in page
    assert timezone.localtime(user.locked_until).strftime("%H:%M") in page


def test_a_wrong_password_before_the_limit_says_nothing_about_locks(world):
    response = login(Client(), "worker_a", "wrong-password")
    assert "账号已锁定" not in response.content.decode()


def test_lock_runs_out(world):
    client = Client()
    fail(client, "worker_a", 3)
    # Move the lock into the past instead of waiting for it.
    User.objects.filter(username="worker_a").update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    response = login(client, "worker_a", PASSWORD)
    assert response.status_code == 302
    user = User.objects.get(username="worker_a")
    assert user.locked_until is None
    assert user.failed_logins == 0


def test_success_resets_the_failure_count(world):
    client = Client()
    fail(client, "worker_a", 2)
    assert User.objects.get(username="worker_a").failed_logins == 2
    assert login(client, "worker_a", PASSWORD).status_code == 302
    assert User.objects.get(username="worker_a").failed_logins == 0
    client.post("/logout/")
    fail(client, "worker_a", 2)  # two more do not reach the limit of three
    assert not User.objects.get(username="worker_a").is_locked
    assert login(client, "worker_a", PASSWORD).status_code == 302


def test_lock_is_per_account(world):
    fail(Client(), "worker_a", 3)
    assert login(Client(), "worker_b", PASSWORD).status_code == 302


def test_unknown_username_fails_quietly_and_is_audited(world):
    response = login(Client(), "nobody", "whatever-1A")
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action="auth.login_failed").latest("seq")
    assert entry.object_id == "nobody"


def test_admin_login_is_locked_too(world):
    User.objects.filter(username="admin").update(is_staff=True)
    client = Client()
    for _ in range(3):
        client.post("/admin/login/", {"username": "admin", "password": "wrong-password"})
    response = client.post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 200
    assert "账号已锁定至" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_drf_basic_authentication_is_locked_too(world):
    # No endpoint uses HTTP basic authentication today; if one is added it gets the lockout.
    fail(Client(), "worker_a", 3)
    request = APIRequestFactory().get(
        "/api/v1/me/", HTTP_AUTHORIZATION=_basic("worker_a", PASSWORD)
    )
    with pytest.raises(exceptions.AuthenticationFailed):
        BasicAuthentication().authenticate(request)
    assert authenticate(None, username="worker_a", password=PASSWORD) is None


def test_drf_session_needs_a_login_that_the_lock_refuses(world):
    client = Client()
    fail(client, "worker_a", 3)
    login(client, "worker_a", PASSWORD)
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_lock_and_failures_are_audited(world):
    before = AuditEntry.objects.count()
    fail(Client(), "worker_a", 3)
    actions = list(AuditEntry.objects.order_by("seq")[before:].values_list("action", "object_repr"))
    assert actions.count(("auth.login_failed", "worker_a")) == 3
    assert ("user.lock", "worker_a") in actions


def _basic(username, password):
    import base64

    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return f"Basic {token}"
