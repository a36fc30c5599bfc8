"""The session idle timeout: a session unused for SESSION_COOKIE_AGE is refused."""

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from gezhi.core.models import AuditEntry
from tests.conftest import PASSWORD


def logged_in(username) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def stored_session(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_settings_make_an_idle_timeout():
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert 0 < settings.SESSION_COOKIE_AGE <= 30 * 60


def test_idle_session_is_refused(world):
    client = logged_in("township_manager")
    assert client.get("/").status_code == 200
    # As if the last request had been SESSION_COOKIE_AGE ago and a second more.
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_each_request_pushes_the_expiry_back(world):
    client = logged_in("township_manager")
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(seconds=5)
    )
    assert client.get("/api/v1/me/").status_code == 200
    left = stored_session(client).expire_date - timezone.now()
    assert left > timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_logout_ends_the_session_and_is_audited(world):
    client = logged_in("township_manager")
    key = client.session.session_key
    assert client.post("/logout/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    actions = set(
        AuditEntry.objects.filter(object_repr="township_manager").values_list("action", flat=True)
    )
    assert {"auth.login", "auth.logout"} <= actions
