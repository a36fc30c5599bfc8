"""Personal data: masked by default, revealed to a user with the permission who gives a reason.

Every reveal is an audit entry (`personal_data.reveal`: who, which record, which field, why);
the value itself never enters the log.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import user_scope
from gezhi.core.audit import audit_record
from gezhi.core.errors import InvalidInput, NotFound
from gezhi.registry.choices import SENSITIVE_TAGS
from gezhi.registry.models import GridPlaced, Person
from gezhi.registry.services.base import SENSITIVE_FIELDS, masked, record_label

REVEAL_ACTION = "personal_data.reveal"


def can_reveal(user, record: GridPlaced) -> bool:
    """Whether `user` may reveal `record`'s personal data (the permission at its grid)."""
    return user is not None and user_scope(user, Action.PERSONAL_DATA_REVEAL).covers(
        record.grid_path
    )


def sensitive_fields(record: GridPlaced) -> list[str]:
    """The masked fields `record` has (ID numbers, phones, document numbers)."""
    names = {f.name for f in type(record)._meta.concrete_fields}
    return sorted(SENSITIVE_FIELDS & names)


def masked_value(record: GridPlaced, field: str) -> str:
    """A sensitive field as everyone sees it by default."""
    return masked(field, getattr(record, field) or "") or ""


def visible_tags(user, person: Person) -> list[str]:
    """The person's tags this user may see: sensitive ones (health, criminal record) only with
    the reveal permission."""
    tags = list(person.tags or [])
    if can_reveal(user, person):
        return tags
    return [tag for tag in tags if tag not in SENSITIVE_TAGS]


@transaction.atomic
def personal_data_reveal(*, actor, record: GridPlaced, field: str, reason: str) -> str:
    """The full value of one masked field, for a user with `personal_data.reveal` at the
    record's grid who gives a reason; the reveal (not the value) lands in the audit log."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("查看个人敏感信息须由本人账号操作"))
    if not user_scope(actor, Action.PERSONAL_DATA_REVEAL).covers(record.grid_path):
        if user_scope(actor, Action.REGISTRY_VIEW).covers(record.grid_path):
            raise PermissionDenied(
                _("无权查看%(record)s的个人敏感信息") % {"record": record_label(record)}
            )
        raise NotFound(_("%(kind)s不存在") % {"kind": record._meta.verbose_name})
    if field not in sensitive_fields(record):
        raise InvalidInput(
            _("“%(field)s”不是可查看的敏感字段（可选：%(fields)s）")
            % {"field": field, "fields": "、".join(sensitive_fields(record))},
            field="field",
        )
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("请填写查看事由"), field="reason")
    value = type(record)._default_manager.values_list(field, flat=True).get(pk=record.pk) or ""
    audit_record(
        actor=actor,
        action=REVEAL_ACTION,
        obj=record,
        after={"field": field},
        reason=reason,
    )
    return value
