"""Personal data: masked by default; revealed with the permission and a reason, and logged
without the value; sensitive tags only for those who may reveal."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from gezhi.core.audit import audit_verify
from gezhi.core.errors import InvalidInput, NotFound
from gezhi.core.models import AuditEntry
from gezhi.lib.codes import credit_check_char, id_check_char
from gezhi.registry.services import (
    can_reveal,
    house_create,
    masked_value,
    person_create,
    personal_data_reveal,
    sensitive_fields,
    unit_create,
    visible_tags,
)

ID_1 = "32061219800101001" + id_check_char("32061219800101001")
PHONE = "13812345678"


@pytest.fixture
def person(world):
    house_create(
        actor=world.worker_a,
        data={"code": "H1", "address": "金东路1号", "lng": 120.1, "lat": 32.2},
    )
    return person_create(
        actor=world.worker_a,
        data={
            "name": "张三",
            "id_number": ID_1,
            "phone": PHONE,
            "house": "H1",
            "tags": "独居老人、残疾人、社区矫正对象",
        },
    )


def reveals():
    return list(AuditEntry.objects.filter(action="personal_data.reveal").order_by("seq"))


def test_reveal_returns_the_value_and_logs_who_what_why_not_the_value(world, person):
    value = personal_data_reveal(
        actor=world.worker_a, record=person, field="id_number", reason="入户走访核对"
    )
    assert value == ID_1
    [entry] = reveals()
    assert entry.actor_id == world.worker_a.pk
    assert (entry.object_type, entry.object_id) == ("registry.person", str(person.pk))
    assert entry.after == {"field": "id_number"}
    assert entry.reason == "入户走访核对"
    assert ID_1 not in str(entry.before) + str(entry.after) + entry.reason + entry.object_repr
    assert audit_verify().ok


def test_reveal_reads_the_stored_value_not_the_instance(world, person):
    person.phone = "13900000000"  # unsaved change on a stale instance
    assert (
        personal_data_reveal(actor=world.worker_a, record=person, field="phone", reason="回访")
        == PHONE
    )


def test_reveal_needs_a_reason(world, person):
    with pytest.raises(InvalidInput) as exc:
        personal_data_reveal(actor=world.worker_a, record=person, field="phone", reason="  ")
    assert exc.value.field == "reason"
    assert reveals() == []


def test_reveal_only_of_sensitive_fields(world, person):
    with pytest.raises(InvalidInput) as exc:
        personal_data_reveal(actor=world.worker_a, record=person, field="name", reason="x")
    assert exc.value.field == "field"
    with pytest.raises(InvalidInput):
        personal_data_reveal(actor=world.worker_a, record=person, field="owner_phone", reason="x")
    assert reveals() == []


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("clerk", PermissionDenied),  # sees the record, masked
        ("agent", PermissionDenied),
        ("admin", PermissionDenied),  # the system administrator manages, does not read data
        ("worker_b", NotFound),  # another grid
        ("outsider", NotFound),
        ("auditor", NotFound),
        ("citizen", NotFound),
    ],
)
def test_reveal_refused_without_the_permission_in_scope(world, person, who, error):
    with pytest.raises(error):
        personal_data_reveal(actor=world.cast[who], record=person, field="phone", reason="x")
    assert not can_reveal(world.cast[who], person)
    assert reveals() == []


@pytest.mark.parametrize("who", ["worker_a", "township_manager", "county_manager"])
def test_reveal_allowed_in_scope(world, person, who):
    assert can_reveal(world.cast[who], person)
    assert personal_data_reveal(actor=world.cast[who], record=person, field="phone", reason="x")


def test_reveal_needs_a_user(world, person):
    with pytest.raises(PermissionDenied):
        personal_data_reveal(actor=None, record=person, field="phone", reason="x")


def test_masked_values_and_sensitive_fields(world, person):
    assert masked_value(person, "id_number") == f"{ID_1[:6]}********{ID_1[-4:]}"
    assert masked_value(person, "phone") == "138****5678"
    assert sensitive_fields(person) == ["document_number", "id_number", "phone"]
    code = "91320612MA1MCGXX0" + credit_check_char("91320612MA1MCGXX0")
    unit = unit_create(
        actor=world.worker_a,
        data={
            "name": "厂",
            "credit_code": code,
            "grid": world.grid_a.code,
            "legal_representative_id_number": ID_1,
            "security_officer_phone": "0513-12345678",
        },
    )
    assert "legal_representative_id_number" in sensitive_fields(unit)
    assert masked_value(unit, "security_officer_phone") == "*********5678"
    assert (
        personal_data_reveal(
            actor=world.worker_a, record=unit, field="security_officer_phone", reason="安全检查"
        )
        == "0513-12345678"
    )


def test_sensitive_tags_only_for_those_who_may_reveal(world, person):
    everything = ["elderly_alone", "disabled", "community_correction"]
    assert visible_tags(world.worker_a, person) == everything
    assert visible_tags(world.county_manager, person) == everything
    assert visible_tags(world.clerk, person) == ["elderly_alone"]
    assert visible_tags(world.agent, person) == ["elderly_alone"]
    assert visible_tags(None, person) == ["elderly_alone"]
