"""Password rules: Django's validators plus character classes, everywhere a password is set."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from gezhi.accounts.models import User
from gezhi.accounts.services import user_create
from gezhi.accounts.validators import CharacterClassValidator
from gezhi.core.errors import InvalidInput
from gezhi.core.models import AuditEntry
from tests.conftest import PASSWORD

STRONG = "Qiao-lu-2026!x"


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("abcdefghijkl", "password_too_simple"),  # one character class
        ("abcdefgh1234", "password_too_simple"),  # two classes
        ("Ab1!", "password_too_short"),
        ("Password1234", "password_too_common"),  # on the common-password list
        ("4829174620918", "password_entirely_numeric"),
    ],
)
def test_too_simple_passwords_are_rejected_with_the_reason(password, code):
    with pytest.raises(ValidationError) as caught:
        validate_password(password)
    assert code in {error.code for error in caught.value.error_list}
    assert all(caught.value.messages)  # each reason comes with its message


def test_password_like_the_username_is_rejected(db):
    with pytest.raises(ValidationError):
        validate_password("Wangxiaoming-1", user=User(username="wangxiaoming"))


def test_character_classes():
    rule = CharacterClassValidator(min_classes=3)
    rule.validate("Abcdefg-hij")  # upper, lower, symbol
    rule.validate("abcdefg-123")  # lower, symbol, digit
    with pytest.raises(ValidationError):
        rule.validate("abcdefg-hij")
    assert "3" in rule.get_help_text()


def test_strong_password_passes():
    validate_password(STRONG)


def test_user_create_refuses_a_weak_password_and_says_why(world, security_admin):
    with pytest.raises(InvalidInput) as caught:
        user_create(actor=security_admin, username="newbie", password="abcdefghijkl")
    assert caught.value.field == "password"
    assert "至少 3 类" in caught.value.message
    assert not User.objects.filter(username="newbie").exists()


def test_changing_ones_password_applies_the_rules_and_is_audited(world):
    client = Client()
    client.force_login(world.worker_a)
    response = client.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "abcdefghijkl",
            "new_password2": "abcdefghijkl",
        },
    )
    assert response.status_code == 200
    assert "至少 3 类" in response.content.decode()
    assert User.objects.get(pk=world.worker_a.pk).check_password(PASSWORD)

    response = client.post(
        "/password/", {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG}
    )
    assert response.status_code == 302
    assert response.url == "/password/done/"
    user = User.objects.get(pk=world.worker_a.pk)
    assert user.check_password(STRONG)
    assert user.password_changed_at is not None
    entry = AuditEntry.objects.filter(action="user.password_change").latest("seq")
    assert entry.actor_id == user.pk
    # Still logged in: the session follows the new password.
    assert client.get("/password/done/").status_code == 200


def test_password_page_needs_a_login(db):
    response = Client().get("/password/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_every_page_links_to_the_password_change(world):
    client = Client()
    client.force_login(world.worker_a)
    assert 'href="/password/"' in client.get("/").content.decode()
