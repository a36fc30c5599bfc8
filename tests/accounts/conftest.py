import pytest

from gezhi.accounts.choices import Role
from tests.conftest import make_user


@pytest.fixture
def security_admin(world):
    """The deployment's security administrator (not part of the shared cast)."""
    return make_user("security", Role.SECURITY_ADMIN)
