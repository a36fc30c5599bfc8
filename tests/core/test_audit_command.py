"""`gezhi audit verify`: counts the entries and says OK, or names the first broken one."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from gezhi.core.audit import audit_record
from gezhi.core.models import AuditEntry


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_an_intact_chain_is_ok(world):
    audit_record(actor=world.admin, action="test.write", object_repr="x", after={"a": 1})
    output = verify()
    assert f"{AuditEntry.objects.count()} 条" in output
    assert "OK" in output


def test_an_empty_log_is_ok(db):
    assert "0 条" in verify()


def test_a_changed_entry_is_named(world):
    target = AuditEntry.objects.order_by("seq")[2]
    with connection.cursor() as cursor:  # behind the app's back, as an intruder would
        cursor.execute(
            "UPDATE core_auditentry SET after = %s WHERE seq = %s", ['{"forged": true}', target.seq]
        )
    with pytest.raises(CommandError) as caught:
        verify()
    assert caught.value.returncode == 1
    message = str(caught.value)
    assert f"第 {target.seq} 条" in message
    assert "OK" not in message


def test_a_deleted_entry_is_named(world):
    target = AuditEntry.objects.order_by("seq")[4]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE seq = %s", [target.seq])
    with pytest.raises(CommandError, match=f"第 {target.seq} 条") as caught:
        verify()
    assert caught.value.returncode == 1


def test_a_subcommand_is_required(db):
    with pytest.raises(CommandError):
        call_command("audit")
