"""A register record's readable history: who changed what, when, and where it moved.

Built from three sources, never stored twice:
- the audit entries of the record (`object_type` + `object_id`): creation and every update,
  with the changed fields before and after (ID numbers and phones already masked there);
- the `GridMove` rows of the record (moves by hand, with its house, or after a redraw; the
  audit entries of moves are skipped, the GridMove says the same);
- the bulk-import entries that list the record (docs/decisions/005-bulk-import-audit.md): one
  `<kind>.import` entry per import, whose `after["created_ids"]` / `after["updated_ids"]`
  hold the primary keys as ranges `[[first, last], ...]` or plain lists (see
  `registry.services.record_import_audit`); a people import's `household_heads_set` names
  the households whose head it set. An update an import made through an update service has
  that service's own entry (its reason names the file), and is not repeated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from gezhi.core.models import AuditEntry
from gezhi.lib.ethnicity import ethnicity_name
from gezhi.regions.models import Region
from gezhi.registry.catalogue import display_value, path_prefixes
from gezhi.registry.choices import SENSITIVE_TAGS, PersonTag
from gezhi.registry.models import CatalogueField, GridMove, GridPlaced
from gezhi.registry.services.base import kind_of


@dataclass(frozen=True)
class Change:
    """One field's change: `field` is the model field name or `extra.<key>`."""

    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    """One event in a record's life, ready to show."""

    at: dt.datetime
    actor: str
    action: str  # create, update, move, import, reveal
    title: str
    changes: list[Change] = field(default_factory=list)
    reason: str = ""


def _titles() -> dict[str, str]:
    return {
        "create": _("登记"),
        "update": _("修改"),
        "move": _("迁移网格"),
        "reveal": _("查看敏感信息"),
    }


def ids_in_ranges(ranges: Any, pk: int) -> bool:
    """Whether `pk` is in `[[first, last], ...]` (a plain list of ids is accepted too)."""
    for item in ranges or ():
        if isinstance(item, (list, tuple)) and len(item) == 2:
            if item[0] <= pk <= item[1]:
                return True
        elif item == pk:
            return True
    return False


class _Display:
    """Turns stored values into text for one record (choices, catalogue fields, grids)."""

    def __init__(self, record: GridPlaced, user=None):
        self.model = type(record)
        self.kind = kind_of(record)
        self.grid_path = record.grid_path
        self.hide_sensitive_tags = False
        if user is not None:
            from gezhi.registry.services.privacy import can_reveal

            self.hide_sensitive_tags = not can_reveal(user, record)
        self._catalogue: dict[str, CatalogueField] | None = None
        self._regions: dict[str, str] = {}

    def catalogue(self) -> dict[str, CatalogueField]:
        if self._catalogue is None:
            # Fields along the record's path first, then anywhere (the record may have moved).
            rows = CatalogueField.objects.filter(kind=self.kind).order_by("-region_path")
            prefixes = set(path_prefixes(self.grid_path))
            ordered = sorted(rows, key=lambda f: f.region_path not in prefixes)
            self._catalogue = {}
            for row in ordered:
                self._catalogue.setdefault(row.key, row)
        return self._catalogue

    def region_name(self, code: str) -> str:
        if code not in self._regions:
            region = Region.objects.filter(code=code).only("name").first()
            self._regions[code] = f"{region.name}（{code}）" if region else code
        return self._regions[code]

    def label(self, name: str) -> str:
        if name.startswith("extra."):
            key = name.removeprefix("extra.")
            catalogue_field = self.catalogue().get(key)
            return catalogue_field.label if catalogue_field else key
        try:
            return str(getattr(self.model._meta.get_field(name), "verbose_name", name))
        except Exception:  # a field since removed
            return name

    def value(self, name: str, value: Any) -> str:
        if value is None or value == "" or value == []:
            return ""
        if name.startswith("extra."):
            catalogue_field = self.catalogue().get(name.removeprefix("extra."))
            return display_value(catalogue_field, value) if catalogue_field else str(value)
        if name == "grid":
            return self.region_name(str(value))
        if name == "ethnicity":
            return ethnicity_name(str(value), get_language() or "")
        if name == "tags":
            tags = [t for t in value if not (self.hide_sensitive_tags and t in SENSITIVE_TAGS)]
            labels = dict(PersonTag.choices)
            return "、".join(str(labels.get(t, t)) for t in tags)
        if isinstance(value, bool):
            return _("是") if value else _("否")
        try:
            model_field = self.model._meta.get_field(name)
        except Exception:
            return str(value)
        if isinstance(model_field, models.Field) and model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        return str(value)

    def changes(self, before: dict | None, after: dict | None) -> list[Change]:
        before, after = _flatten(before or {}), _flatten(after or {})
        result = []
        for name in [*after, *(k for k in before if k not in after)]:
            old, new = self.value(name, before.get(name)), self.value(name, after.get(name))
            if old == new and name == "tags":
                continue  # only hidden tags changed
            result.append(Change(name, self.label(name), old, new))
        return result


def _flatten(values: dict) -> dict:
    flat = {}
    for name, value in values.items():
        if name == "extra" and isinstance(value, dict):
            flat.update({f"extra.{k}": v for k, v in value.items()})
        else:
            flat[name] = value
    return flat


def record_history(
    record: GridPlaced, *, user=None, include_reveals: bool = False
) -> list[HistoryEntry]:
    """The record's history, newest first.

    With `user`, tags that user may not see (sensitive ones without the reveal permission)
    are left out of the changes. Reveals of personal data are in the audit log; with
    `include_reveals` they are listed here too.
    """
    display = _Display(record, user)
    titles = _titles()
    label = record._meta.label_lower
    kind = kind_of(record)
    audit = list(
        AuditEntry.objects.filter(object_type=label, object_id=str(record.pk)).order_by("seq")
    )
    imports = [
        entry
        for entry in AuditEntry.objects.filter(object_type=label, action=f"{kind}.import").order_by(
            "seq"
        )
        if ids_in_ranges((entry.after or {}).get("created_ids"), record.pk)
        or ids_in_ranges((entry.after or {}).get("updated_ids"), record.pk)
    ]
    if kind == "household":
        # A people import names the heads it set on households without one.
        imports += [
            entry
            for entry in AuditEntry.objects.filter(action="person.import").order_by("seq")
            if ids_in_ranges((entry.after or {}).get("household_heads_set"), record.pk)
        ]
    moves = list(
        GridMove.objects.filter(kind=kind, record_id=record.pk).select_related(
            "from_grid", "to_grid", "actor"
        )
    )
    users = _actor_names({e.actor_id for e in (*audit, *imports) if e.actor_id})

    rows: list[tuple[dt.datetime, int, HistoryEntry]] = []

    def add(at: dt.datetime, seq: int, **values: Any) -> None:
        rows.append((at, seq, HistoryEntry(at=at, **values)))

    for entry in audit:
        verb = entry.action.rsplit(".", 1)[-1]
        if verb == "move":
            continue
        if entry.action == "personal_data.reveal":
            if not include_reveals:
                continue
            field_name = (entry.after or {}).get("field", "")
            changes = [Change(field_name, display.label(field_name), "", "")]
            verb = "reveal"
        else:
            changes = display.changes(entry.before, entry.after)
        add(
            entry.created_at,
            entry.seq,
            actor=users.get(entry.actor_id or 0, entry.actor_name or _("系统")),
            action=verb,
            title=titles.get(verb, entry.action),
            changes=changes,
            reason=entry.reason,
        )
    for entry in imports:
        after = entry.after or {}
        source = str(after.get("file", ""))
        if ids_in_ranges(after.get("created_ids"), record.pk) and entry.action == f"{kind}.import":
            title = _("批量导入新增")
        elif entry.action != f"{kind}.import":
            title = _("批量导入设置户主")
        elif any(source and source in e.reason for e in audit):
            continue  # the import updated it through a service, whose entry says what changed
        else:
            title = _("批量导入更新")
        add(
            entry.created_at,
            entry.seq,
            actor=users.get(entry.actor_id or 0, entry.actor_name or _("系统")),
            action="import",
            title=f"{title}（{source}）" if source else title,
            reason=entry.reason,
        )
    # A move's audit entry is not shown, but its sequence number orders the GridMove among
    # the entries written in the same instant.
    move_entries = [e for e in audit if e.action.endswith(".move")]
    for grid_move in sorted(moves, key=lambda m: (m.moved_at, m.pk)):
        seq = 0
        for entry in move_entries:
            if (entry.before or {}).get("grid") == grid_move.from_grid.code and (
                entry.after or {}
            ).get("grid") == grid_move.to_grid.code:
                seq = entry.seq
                move_entries.remove(entry)
                break
        change = Change(
            "grid",
            str(record._meta.get_field("grid").verbose_name),
            f"{grid_move.from_grid.name}（{grid_move.from_grid.code}）",
            f"{grid_move.to_grid.name}（{grid_move.to_grid.code}）",
        )
        add(
            grid_move.moved_at,
            seq,
            actor=_user_name(grid_move.actor) if grid_move.actor else _("系统"),
            action="move",
            title=titles["move"],
            changes=[change],
            reason=grid_move.reason,
        )
    rows.sort(key=lambda row: (row[0], row[1]), reverse=True)
    return [row[2] for row in rows]


def _user_name(user) -> str:
    return getattr(user, "display_name", "") or user.get_username()


def _actor_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    User = get_user_model()
    return {user.pk: _user_name(user) for user in User.objects.filter(pk__in=ids)}
