import pytest

from gezhi.accounts.choices import Role
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # A real hasher, only a cheap one: these tests log in dozens of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def security_admin(world):
    """The deployment's security administrator (not part of the shared cast)."""
    return make_user("security", Role.SECURITY_ADMIN)
