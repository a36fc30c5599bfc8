"""What the register services share: access checks, grids, references, snapshots, moves."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import user_scope
from gezhi.core.audit import audit_record
from gezhi.core.errors import InvalidInput, NotFound
from gezhi.lib.masking import mask_id_number, mask_phone
from gezhi.regions.models import Region
from gezhi.regions.services import require_region_action
from gezhi.registry.catalogue import clean_extra, fields_for
from gezhi.registry.choices import RecordKind
from gezhi.registry.models import (
    GridMove,
    GridPlaced,
    House,
    Household,
    Organisation,
    Person,
    Unit,
)
from gezhi.registry.validation import Cleaned

MODELS: dict[str, type[GridPlaced]] = {
    RecordKind.PERSON: Person,
    RecordKind.HOUSEHOLD: Household,
    RecordKind.HOUSE: House,
    RecordKind.UNIT: Unit,
    RecordKind.ORGANISATION: Organisation,
}
KINDS: dict[type[models.Model], str] = {model: kind for kind, model in MODELS.items()}

R = TypeVar("R", bound=GridPlaced)

# Personal data kept masked in pages, API, exports and the audit log itself.
MASKED_ID_FIELDS = frozenset(
    {"id_number", "owner_id_number", "legal_representative_id_number", "document_number"}
)
PHONE_FIELDS = frozenset({"phone", "owner_phone", "security_officer_phone"})
SENSITIVE_FIELDS = MASKED_ID_FIELDS | PHONE_FIELDS

# Not part of snapshots: set by the system, or kept as history elsewhere (grid: GridMove).
UNSNAPSHOTTED = frozenset({"id", "grid", "grid_path", "created_at", "updated_at"})


def kind_of(record: models.Model) -> str:
    return KINDS[type(record)]


def record_label(record: models.Model) -> str:
    """ "房屋 H001" for messages: the kind's name and the record's own name."""
    return f"{record._meta.verbose_name}“{record}”"


# --- access -----------------------------------------------------------------------------------


def require_record_action(actor, action: str, record: GridPlaced) -> None:
    """Let `actor` do `action` on `record`, or refuse as the API answers.

    Out of sight (no `registry.view` on its grid): NotFound, as if missing. Visible but not
    allowed: PermissionDenied. `actor=None` is the system (commands, imports, the demo).
    """
    if actor is None or user_scope(actor, action).covers(record.grid_path):
        return
    if user_scope(actor, Action.REGISTRY_VIEW).covers(record.grid_path):
        raise PermissionDenied(_("无权对%(record)s执行此操作") % {"record": record_label(record)})
    raise NotFound(_("%(kind)s不存在") % {"kind": record._meta.verbose_name})


def visible(actor, grid_path: str) -> bool:
    """Whether `actor` may see records at `grid_path` (the system sees everything)."""
    return actor is None or user_scope(actor, Action.REGISTRY_VIEW).covers(grid_path)


def lock(record: R) -> R:
    """The record re-read under a row lock, so concurrent updates apply one after the other."""
    return (
        type(record)._default_manager.select_for_update().select_related("grid").get(pk=record.pk)
    )


def field_label(model: type[models.Model], name: str) -> str:
    """A field's verbose name, as the user reads it."""
    return str(getattr(model._meta.get_field(name), "verbose_name", name))


# --- grids and references ---------------------------------------------------------------------


def resolve_grid(value: Any) -> Region:
    """An active grid given as a Region, its code or its primary key; InvalidInput otherwise."""
    if isinstance(value, Region):
        grid = value
    else:
        lookup = {"pk": value} if isinstance(value, int) else {"code": str(value).strip()}
        found = Region.objects.filter(**lookup).first()
        if found is None and isinstance(value, str) and value.strip().isdigit():
            found = Region.objects.filter(pk=int(value), level="grid").first()
        if found is None:
            raise InvalidInput(_("网格 %(code)s 不存在") % {"code": value}, field="grid")
        grid = found
    if not grid.is_grid:
        raise InvalidInput(
            _("%(region)s不是网格：记录只能归属网格") % {"region": grid}, field="grid"
        )
    if grid.valid_to is not None and grid.valid_to <= timezone.localdate():
        raise InvalidInput(_("网格%(region)s已停用") % {"region": grid}, field="grid")
    return grid


def grid_at(lng: float, lat: float) -> Region | None:
    """The grid holding a WGS-84 point, from the shared point index."""
    from gezhi.regions.geoindex import locate_point

    return locate_point(lng, lat).grid


def require_grid(actor, grid: Region) -> None:
    """The actor may place and change records in `grid`."""
    require_region_action(actor, Action.REGISTRY_CHANGE, grid)


# Natural keys by which a reference may be given as text.
NATURAL_KEYS: dict[type[models.Model], str] = {
    House: "code",
    Household: "number",
    Unit: "credit_code",
    Person: "id_number",
}


def resolve_ref(actor, model: type[R], value: Any, field: str) -> R | None:
    """A referenced record (instance, primary key or natural key) that the actor may see."""
    if value is None or value == "":
        return None
    record: R | None
    if isinstance(value, model):
        record = value
    else:
        if isinstance(value, int):
            lookup: dict[str, Any] = {"pk": value}
        else:
            lookup = {NATURAL_KEYS.get(model, "pk"): str(value).strip()}
        record = model._default_manager.filter(**lookup).select_related("grid").first()
        if record is None and isinstance(value, str) and value.strip().isdigit():
            # A primary key as text, as a form's select sends it.
            record = model._default_manager.filter(pk=int(value)).select_related("grid").first()
    if record is None or not visible(actor, record.grid_path):
        raise InvalidInput(
            _("%(kind)s“%(value)s”不存在") % {"kind": model._meta.verbose_name, "value": value},
            field=field,
        )
    return record


def resolve_region(actor, value: Any, field: str) -> Region | None:
    if value is None or value == "":
        return None
    if isinstance(value, Region):
        return value
    lookup = {"pk": value} if isinstance(value, int) else {"code": str(value).strip()}
    region = Region.objects.filter(**lookup).first()
    if region is None or (
        actor is not None and not user_scope(actor, Action.REGION_VIEW).covers(region.path)
    ):
        raise InvalidInput(_("区域 %(code)s 不存在") % {"code": value}, field=field)
    return region


# --- validation outcome -----------------------------------------------------------------------


def raise_issues(cleaned: Cleaned) -> None:
    """InvalidInput with every error (the first one's field), if there is any."""
    errors = cleaned.errors
    if errors:
        raise InvalidInput("；".join(e.message for e in errors), field=errors[0].field)


def cleaned_extra(
    kind: str, grid_path: str, values: dict[str, Any] | None, *, partial: bool
) -> dict[str, Any]:
    """Catalogue values checked against the fields that apply at `grid_path`.

    Blank values come back as None, so an update can clear them.
    """
    values = dict(values or {})
    fields = fields_for(kind, grid_path)
    cleaned, errors = clean_extra(fields, values, partial=partial)
    if errors:
        raise InvalidInput("；".join(e.message for e in errors), field=f"extra.{errors[0].key}")
    return {key: cleaned.get(key) for key in values}


def merge_extra(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(current or {})
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


# --- snapshots for the audit log --------------------------------------------------------------


def masked(name: str, value: Any) -> Any:
    """A value as the audit log keeps it: ID numbers and phones masked."""
    if not value:
        return value
    if name in MASKED_ID_FIELDS:
        return mask_id_number(str(value))
    if name in PHONE_FIELDS:
        return mask_phone(str(value))
    return value


def field_value(record: models.Model, model_field: models.Field) -> Any:
    """A field's value for a snapshot: references by their readable key, the rest as stored."""
    if model_field.is_relation:
        related = getattr(record, model_field.name)
        if related is None:
            return None
        if isinstance(related, Region):
            return related.code
        key = NATURAL_KEYS.get(type(related))
        if key and getattr(related, key, "") and key != "id_number":
            return getattr(related, key)
        return f"{related} #{related.pk}"
    return getattr(record, model_field.attname)


def snapshot_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        f for f in model._meta.concrete_fields if f.name not in UNSNAPSHOTTED and f.name != "extra"
    ]


def raw_snapshot(record: GridPlaced) -> dict[str, Any]:
    """Every field's value (unmasked, for comparing), extra values under `extra`."""
    values = {f.name: field_value(record, f) for f in snapshot_fields(type(record))}
    values["extra"] = dict(record.extra or {})
    return values


def mask_snapshot(values: dict[str, Any]) -> dict[str, Any]:
    return {name: masked(name, value) for name, value in values.items()}


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """The changed fields only, masked: (before, after). Extra values compare key by key."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for name in after:
        if name == "extra":
            continue
        if before.get(name) != after.get(name):
            old[name], new[name] = masked(name, before.get(name)), masked(name, after.get(name))
    old_extra, new_extra = before.get("extra") or {}, after.get("extra") or {}
    keys = [k for k in {**old_extra, **new_extra} if old_extra.get(k) != new_extra.get(k)]
    if keys:
        old["extra"] = {k: old_extra.get(k) for k in keys}
        new["extra"] = {k: new_extra.get(k) for k in keys}
    return old, new


def audit_create(actor, record: GridPlaced, reason: str = "") -> None:
    after = mask_snapshot(raw_snapshot(record))
    after["grid"] = record.grid.code
    audit_record(
        actor=actor, action=f"{kind_of(record)}.create", obj=record, after=after, reason=reason
    )


def audit_update(actor, record: GridPlaced, before: dict, reason: str = "") -> bool:
    """Audit the fields that changed since `before` (a raw snapshot); False if none did."""
    old, new = diff(before, raw_snapshot(record))
    if not new:
        return False
    audit_record(
        actor=actor,
        action=f"{kind_of(record)}.update",
        obj=record,
        before=old,
        after=new,
        reason=reason,
    )
    return True


# --- moves between grids ----------------------------------------------------------------------


def move(actor, record: GridPlaced, to_grid: Region, reason: str) -> GridMove | None:
    """Put `record` in `to_grid` and write the GridMove and its audit entry (no checks).

    Followers (a house's occupants, households and units without a point of their own; a
    unit's organisations; a household's members without a house) move with it.
    """
    if record.grid_id == to_grid.pk:
        return None
    from_grid = record.grid
    record.grid, record.grid_path = to_grid, to_grid.path
    record.save(update_fields=["grid", "grid_path", "updated_at"])
    grid_move = GridMove.objects.create(
        kind=kind_of(record),
        record_id=record.pk,
        from_grid=from_grid,
        to_grid=to_grid,
        reason=reason[:255],
        actor=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action=f"{kind_of(record)}.move",
        obj=record,
        before={"grid": from_grid.code},
        after={"grid": to_grid.code},
        reason=reason,
    )
    for follower in followers(record):
        move(
            actor,
            follower,
            to_grid,
            _("随%(record)s迁移：%(reason)s") % {"record": record_label(record), "reason": reason}
            if reason
            else _("随%(record)s迁移") % {"record": record_label(record)},
        )
    return grid_move


def followers(record: GridPlaced) -> list[GridPlaced]:
    """The records whose grid follows `record`'s."""
    if isinstance(record, House):
        return [
            *record.occupants.select_related("grid").exclude(grid=record.grid_id),
            *record.households.select_related("grid").exclude(grid=record.grid_id),
            *record.units.select_related("grid")
            .filter(lng__isnull=True)
            .exclude(grid=record.grid_id),
        ]
    if isinstance(record, Unit):
        return list(record.organisations.select_related("grid").exclude(grid=record.grid_id))
    if isinstance(record, Household):
        return list(
            record.members.select_related("grid")
            .filter(house__isnull=True)
            .exclude(grid=record.grid_id)
        )
    return []
