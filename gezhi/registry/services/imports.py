"""The audit entry of a bulk import of register records (docs/decisions/005)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gezhi.core.audit import audit_record
from gezhi.core.models import AuditEntry
from gezhi.registry.services.base import MODELS


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """Primary keys as sorted, merged ranges: [1, 2, 3, 7] -> [[1, 3], [7, 7]].

    Rows written by one bulk insert have consecutive keys, so 100,000 rows are a few ranges.
    """
    ranges: list[list[int]] = []
    for pk in sorted(set(ids)):
        if ranges and pk == ranges[-1][1] + 1:
            ranges[-1][1] = pk
        else:
            ranges.append([pk, pk])
    return ranges


def record_import_audit(
    *,
    actor,
    kind: str,
    source: dict[str, Any],
    created_ids: Iterable[int] = (),
    updated_ids: Iterable[int] = (),
    counts: dict[str, int] | None = None,
) -> AuditEntry | None:
    """One `<kind>.import` entry for an import: the file (`source`: file name, sha256, rows...),
    the counts, and the keys of the records it created or updated, so each record's history
    can name the import. Call it inside the import's transaction; nothing is written when the
    import changed nothing."""
    created, updated = id_ranges(created_ids), id_ranges(updated_ids)
    if not created and not updated:
        return None
    model = MODELS[kind]
    return audit_record(
        actor=actor,
        action=f"{kind}.import",
        object_type=model._meta.label_lower,
        object_repr=str(source.get("file", ""))[:255],
        after={
            **source,
            **(counts or {}),
            "created_ids": created,
            "updated_ids": updated,
        },
    )
