import pytest
from django.db import connection

from gezhi.core.audit import audit_record, audit_verify
from gezhi.core.models import AppendOnlyError, AuditEntry


def test_chain_verifies_after_writes(world):
    result = audit_verify()
    assert result.ok
    assert result.checked == AuditEntry.objects.count() > 0


def test_tampering_is_found_at_the_changed_entry(world):
    audit_record(actor=world.admin, action="test.write", object_repr="x", after={"a": 1})
    target = AuditEntry.objects.order_by("seq")[3]
    with connection.cursor() as cursor:  # behind the app's back, as an intruder would
        cursor.execute(
            "UPDATE core_auditentry SET object_repr = %s WHERE seq = %s", ["forged", target.seq]
        )
    result = audit_verify()
    assert not result.ok
    assert result.first_break.seq == target.seq


def test_entries_cannot_be_changed_or_deleted_through_the_app(world):
    entry = AuditEntry.objects.first()
    entry.action = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.update(action="x")
