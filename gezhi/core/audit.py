"""Writing and verifying the hash-chained audit log.

Every service calls `audit_record` inside its own transaction, so the entry lands or vanishes
together with the write it describes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from gezhi.core.models import AuditEntry, AuditHead

GENESIS_HASH = "0" * 64


def _canonical(value: Any) -> Any:
    """JSON-safe form of a value, identical before saving and after loading back."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True))


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    created_at: str,
    actor_id: int | None,
    actor_name: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    before: Any,
    after: Any,
    reason: str,
) -> str:
    payload = json.dumps(
        [
            prev_hash,
            seq,
            created_at,
            actor_id,
            actor_name,
            action,
            object_type,
            object_id,
            object_repr,
            before,
            after,
            reason,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _timestamp(value) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry to the chain. Call it inside the transaction of the write it records."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:255]
    actor_id = getattr(actor, "pk", None)
    actor_name = getattr(actor, "username", "") or ("system" if actor is None else "")
    before, after = _canonical(before), _canonical(after)
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        created_at = timezone.now()
        seq = head.last_seq + 1
        digest = entry_hash(
            prev_hash=head.last_hash,
            seq=seq,
            created_at=_timestamp(created_at),
            actor_id=actor_id,
            actor_name=actor_name,
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr[:255],
            before=before,
            after=after,
            reason=reason[:255],
        )
        entry = AuditEntry.objects.create(
            seq=seq,
            created_at=created_at,
            actor_id=actor_id,
            actor_name=actor_name,
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr[:255],
            before=before,
            after=after,
            reason=reason[:255],
            prev_hash=head.last_hash,
            hash=digest,
        )
        AuditHead.objects.filter(pk=1).update(last_seq=seq, last_hash=digest)
    return entry


@dataclass
class ChainBreak:
    seq: int
    reason: str


@dataclass
class VerifyResult:
    checked: int
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _entries(batch: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def audit_verify() -> VerifyResult:
    """Recompute every hash in order; report the first entry that does not fit the chain."""
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    for entry in _entries():
        if entry.seq != expected_seq:
            return VerifyResult(
                checked, ChainBreak(expected_seq, f"entry {expected_seq} is missing")
            )
        if entry.prev_hash != prev_hash:
            return VerifyResult(
                checked, ChainBreak(entry.seq, "previous hash does not match the entry before")
            )
        digest = entry_hash(
            prev_hash=entry.prev_hash,
            seq=entry.seq,
            created_at=_timestamp(entry.created_at),
            actor_id=entry.actor_id,
            actor_name=entry.actor_name,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            object_repr=entry.object_repr,
            before=entry.before,
            after=entry.after,
            reason=entry.reason,
        )
        if digest != entry.hash:
            return VerifyResult(checked, ChainBreak(entry.seq, "content does not match its hash"))
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    head = AuditHead.objects.filter(pk=1).first()
    if head and (head.last_seq != checked or head.last_hash != prev_hash):
        return VerifyResult(
            checked,
            ChainBreak(checked + 1, f"chain ends at {checked} but its head says {head.last_seq}"),
        )
    return VerifyResult(checked, None)
