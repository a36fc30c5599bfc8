"""Managing the data catalogue: region administrators define extra fields for their subtree.

Fields are never deleted, only deactivated, so the values records hold stay readable. A key
is unique along a path of the tree: a region cannot define a key that an ancestor or a
descendant already defines for the same kind (the values of both would share `extra[key]`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gezhi.accounts.roles import Action
from gezhi.core.audit import audit_record
from gezhi.core.errors import DomainError, InvalidInput
from gezhi.regions.models import Region
from gezhi.regions.services import require_region_action
from gezhi.registry.catalogue import path_prefixes, split_multi
from gezhi.registry.choices import FieldType, RecordKind
from gezhi.registry.models import CatalogueField
from gezhi.registry.services.base import MODELS, field_label

KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,47}")
CHOICE_TYPES = (FieldType.CHOICE, FieldType.MULTI_CHOICE)


def catalogue_snapshot(field: CatalogueField) -> dict[str, Any]:
    """What the audit log keeps of a catalogue field."""
    return {
        "region": field.region.code,
        "kind": field.kind,
        "key": field.key,
        "label": field.label,
        "type": field.type,
        "unit": field.unit,
        "choices": list(field.choices),
        "required": field.required,
        "help_text": field.help_text,
        "order": field.order,
        "is_active": field.is_active,
    }


def _clean_label(label: str) -> str:
    label = (label or "").strip()
    if not label:
        raise InvalidInput(_("请填写字段名称"), field="label")
    if len(label) > 64:
        raise InvalidInput(_("字段名称不能超过 64 个字符"), field="label")
    return label


def _clean_type(value: str) -> str:
    if value not in FieldType.values:
        raise InvalidInput(
            _("字段类型“%(value)s”不可用（%(types)s）")
            % {"value": value, "types": "、".join(str(t.label) for t in FieldType)},
            field="type",
        )
    return value


def _clean_choices(field_type: str, choices: Iterable[Any] | str) -> list[str]:
    items = split_multi(choices) if isinstance(choices, str) else list(choices or ())
    options: list[str] = []
    for item in items:
        text = str(item).strip()
        if text and text not in options:
            options.append(text)
    if field_type in CHOICE_TYPES and not options:
        raise InvalidInput(_("单选、多选字段须至少有一个选项"), field="choices")
    if field_type not in CHOICE_TYPES and options:
        raise InvalidInput(_("只有单选、多选字段可以设置选项"), field="choices")
    return options


def _clean_text(value: str, name: str, max_length: int) -> str:
    text = (value or "").strip()
    if len(text) > max_length:
        raise InvalidInput(
            _("%(field)s不能超过 %(max)d 个字符")
            % {"field": field_label(CatalogueField, name), "max": max_length},
            field=name,
        )
    return text


def _records_with_value(field: CatalogueField):
    """Records of the field's kind in its subtree that hold a value under its key."""
    model = MODELS[field.kind]
    return model._default_manager.filter(
        grid_path__startswith=field.region_path, extra__has_key=field.key
    )


@transaction.atomic
def catalogue_field_create(
    *,
    actor,
    region: Region,
    kind: str,
    key: str,
    label: str,
    type: str,
    unit: str = "",
    choices: Iterable[Any] | str = (),
    required: bool = False,
    help_text: str = "",
    order: int = 0,
) -> CatalogueField:
    """Define an extra field for records of `kind` in `region`'s subtree."""
    require_region_action(actor, Action.CATALOGUE_MANAGE, region)
    if region.valid_to is not None and region.valid_to <= timezone.localdate():
        raise InvalidInput(_("区域%(region)s已停用") % {"region": region}, field="region")
    if kind not in RecordKind.values:
        raise InvalidInput(_("适用对象“%(value)s”不可用") % {"value": kind}, field="kind")
    key = (key or "").strip()
    if not KEY_RE.fullmatch(key):
        raise InvalidInput(
            _("字段标识“%(key)s”应以小写字母开头，只含小写字母、数字和下划线，最长 48 个字符")
            % {"key": key},
            field="key",
        )
    model = MODELS[kind]
    if key in {f.name for f in model._meta.get_fields()} or key in ("crs",):
        raise InvalidInput(
            _("字段标识“%(key)s”与%(kind)s的基本字段重名")
            % {"key": key, "kind": model._meta.verbose_name},
            field="key",
        )
    clash = (
        CatalogueField.objects.filter(kind=kind, key=key)
        .filter(
            Q(region_path__in=path_prefixes(region.path)) | Q(region_path__startswith=region.path)
        )
        .select_related("region")
        .first()
    )
    if clash is not None:
        raise DomainError(
            _("字段标识“%(key)s”已在%(region)s定义（%(label)s），上下级区域不能重复定义")
            % {"key": key, "region": clash.region.name, "label": clash.label},
            field="key",
            code="duplicate",
        )
    field_type = _clean_type(type)
    field = CatalogueField.objects.create(
        region=region,
        region_path=region.path,
        kind=kind,
        key=key,
        label=_clean_label(label),
        type=field_type,
        unit=_clean_text(unit, "unit", 16) if field_type == FieldType.NUMBER else "",
        choices=_clean_choices(field_type, choices),
        required=bool(required),
        help_text=_clean_text(help_text, "help_text", 255),
        order=max(0, int(order or 0)),
    )
    audit_record(actor=actor, action="catalogue.create", obj=field, after=catalogue_snapshot(field))
    return field


UNCHANGED: Any = object()


@transaction.atomic
def catalogue_field_update(
    *,
    actor,
    field: CatalogueField,
    label: str = UNCHANGED,
    type: str = UNCHANGED,
    unit: str = UNCHANGED,
    choices: Iterable[Any] | str = UNCHANGED,
    required: bool = UNCHANGED,
    help_text: str = UNCHANGED,
    order: int = UNCHANGED,
    reason: str = "",
) -> CatalogueField:
    """Change a field's definition. Its key, kind and region stay. A new type is refused once
    records hold values; so is dropping an option that records use."""
    field = CatalogueField.objects.select_for_update().select_related("region").get(pk=field.pk)
    require_region_action(actor, Action.CATALOGUE_MANAGE, field.region)
    before = catalogue_snapshot(field)
    if type is not UNCHANGED and type != field.type:
        new_type = _clean_type(type)
        count = _records_with_value(field).count()
        if count:
            raise DomainError(
                _("已有 %(count)d 条记录填写了“%(label)s”，不能更改其类型")
                % {"count": count, "label": field.label},
                field="type",
            )
        field.type = new_type
        if new_type not in CHOICE_TYPES and choices is UNCHANGED:
            field.choices = []
        if new_type != FieldType.NUMBER and unit is UNCHANGED:
            field.unit = ""
    if label is not UNCHANGED:
        field.label = _clean_label(label)
    if choices is not UNCHANGED or field.type in CHOICE_TYPES and not field.choices:
        options = _clean_choices(field.type, field.choices if choices is UNCHANGED else choices)
        _check_dropped_options(field, [o for o in field.choices if o not in options])
        field.choices = options
    if unit is not UNCHANGED:
        field.unit = _clean_text(unit, "unit", 16) if field.type == FieldType.NUMBER else ""
    if required is not UNCHANGED:
        field.required = bool(required)
    if help_text is not UNCHANGED:
        field.help_text = _clean_text(help_text, "help_text", 255)
    if order is not UNCHANGED:
        field.order = max(0, int(order or 0))
    after = catalogue_snapshot(field)
    if after == before:
        return field
    field.save()
    changed = [k for k in after if after[k] != before[k]]
    audit_record(
        actor=actor,
        action="catalogue.update",
        obj=field,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
        reason=reason,
    )
    return field


def _check_dropped_options(field: CatalogueField, dropped: list[str]) -> None:
    if not dropped:
        return
    in_use: set[str] = set()
    for value in _records_with_value(field).values_list(f"extra__{field.key}", flat=True):
        values = value if isinstance(value, list) else [value]
        in_use.update(str(v) for v in values if str(v) in dropped)
    if in_use:
        raise DomainError(
            _("选项“%(options)s”已有记录使用，不能删除") % {"options": "、".join(sorted(in_use))},
            field="choices",
        )


def _set_active(actor, field: CatalogueField, active: bool, reason: str) -> CatalogueField:
    field = CatalogueField.objects.select_for_update().select_related("region").get(pk=field.pk)
    require_region_action(actor, Action.CATALOGUE_MANAGE, field.region)
    if field.is_active == active:
        return field
    field.is_active = active
    field.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="catalogue.activate" if active else "catalogue.deactivate",
        obj=field,
        before={"is_active": not active},
        after={"is_active": active},
        reason=reason,
    )
    return field


@transaction.atomic
def catalogue_field_deactivate(*, actor, field: CatalogueField, reason: str = "") -> CatalogueField:
    """Stop collecting a field: it leaves forms, lists and imports; values stay in records."""
    return _set_active(actor, field, False, reason)


@transaction.atomic
def catalogue_field_activate(*, actor, field: CatalogueField, reason: str = "") -> CatalogueField:
    """Collect a deactivated field again (its key stays reserved while inactive)."""
    return _set_active(actor, field, True, reason)
