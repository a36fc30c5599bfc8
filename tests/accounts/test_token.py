"""`gezhi token USERNAME`: the user's API token, created once, that the API accepts."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gezhi.core.audit import audit_verify
from gezhi.core.models import AuditEntry


def run_token(username: str) -> str:
    out = StringIO()
    call_command("token", username, stdout=out)
    return out.getvalue().strip()


def test_prints_a_new_token_that_the_api_accepts(world):
    key = run_token("county_manager")
    assert key == Token.objects.get(user=world.county_manager).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "county_manager"


def test_the_same_token_comes_back_and_creation_is_audited_once(world):
    first = run_token("worker_a")
    second = run_token("worker_a")
    assert first == second
    assert Token.objects.filter(user=world.worker_a).count() == 1
    entries = AuditEntry.objects.filter(action="token.create", object_repr="worker_a")
    assert entries.count() == 1
    # The log says a token was issued; it never holds the key.
    assert first not in str(entries.get().after)
    assert audit_verify().ok


def test_unknown_user_is_a_usage_error(world):
    with pytest.raises(CommandError, match="nobody 不存在") as caught:
        run_token("nobody")
    assert caught.value.returncode == 2
    assert not Token.objects.exists()


def test_inactive_user_gets_no_token(world):
    world.outsider.is_active = False
    world.outsider.save()
    with pytest.raises(CommandError) as caught:
        run_token("outsider")
    assert caught.value.returncode == 2
    assert not Token.objects.exists()
