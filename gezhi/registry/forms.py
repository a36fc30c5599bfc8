"""Forms of the register pages.

The forms only collect what the user typed: the rules live in `registry.validation` and the
services. Before calling a service the form runs the same checks (`validation.CLEANERS`) so
that every field with a problem gets its own message at once; a service's `InvalidInput`
then lands on the field it names (`extra.<key>` is the catalogue field `extra__<key>`).

ID numbers and phones are never put back into a form: an edit form shows them masked as a
placeholder, and a field left empty keeps its value (filling it in would be an unlogged
reveal).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import user_scope
from gezhi.core.errors import DomainError
from gezhi.lib.masking import mask_id_number
from gezhi.regions.models import Region
from gezhi.registry import services
from gezhi.registry.catalogue import fields_for
from gezhi.registry.choices import SENSITIVE_TAGS, FieldType, PersonTag, RecordKind
from gezhi.registry.models import CatalogueField, House, Household, Person, Unit
from gezhi.registry.selectors import KIND_MODELS, catalogue_fields_for_user, records_for_user
from gezhi.registry.validation import CLEANERS

EXTRA_PREFIX = "extra__"

# The fields of each form, in groups (a heading, the field names).
FORM_GROUPS: dict[str, list[tuple[Any, tuple[str, ...]]]] = {
    RecordKind.PERSON: [
        (
            gettext_lazy("基本信息"),
            (
                "name",
                "former_name",
                "id_number",
                "sex",
                "birth_date",
                "ethnicity",
                "population_type",
                "marital_status",
                "political_status",
                "education",
                "religion",
                "occupation",
                "workplace",
            ),
        ),
        (
            gettext_lazy("联系方式与住址"),
            (
                "phone",
                "registered_address",
                "registered_region_code",
                "grid",
                "house",
                "current_address",
                "household",
                "relation_to_head",
            ),
        ),
        (
            gettext_lazy("流动人口"),
            ("inflow_reason", "residence_type", "arrived_on"),
        ),
        (
            gettext_lazy("境外人员"),
            ("nationality", "document_type", "document_number", "stay_purpose", "stay_until"),
        ),
        (gettext_lazy("人群标签与备注"), ("tags", "notes")),
    ],
    RecordKind.HOUSEHOLD: [
        (gettext_lazy("户"), ("number", "grid", "house", "address", "head")),
    ],
    RecordKind.HOUSE: [
        (gettext_lazy("房屋"), ("code", "address", "building", "unit_no", "room")),
        (gettext_lazy("位置"), ("grid", "lng", "lat")),
        (
            gettext_lazy("用途与产权"),
            ("use", "ownership", "rental_status", "area_m2", "owner_name", "owner_id_number"),
        ),
        (gettext_lazy("联系与隐患"), ("owner_phone", "hazards")),
    ],
    RecordKind.UNIT: [
        (gettext_lazy("单位"), ("name", "credit_code", "type", "employees")),
        (gettext_lazy("位置"), ("address", "grid", "house", "lng", "lat")),
        (
            gettext_lazy("负责人"),
            (
                "legal_representative",
                "legal_representative_id_number",
                "phone",
                "security_officer",
                "security_officer_phone",
            ),
        ),
        (
            gettext_lazy("安全"),
            ("hazardous_chemicals", "hazardous_chemicals_note", "hazards"),
        ),
    ],
    RecordKind.ORGANISATION: [
        (
            gettext_lazy("组织"),
            ("name", "kind", "credit_code", "registration_number", "registering_authority"),
        ),
        (
            gettext_lazy("所属与联系"),
            ("grid", "unit", "region", "leader", "phone", "members", "address"),
        ),
    ],
}

# Marked as required in the forms (the services enforce it).
REQUIRED: dict[str, tuple[str, ...]] = {
    RecordKind.PERSON: ("name",),
    RecordKind.HOUSEHOLD: ("number",),
    RecordKind.HOUSE: ("code", "address"),
    RecordKind.UNIT: ("name",),
    RecordKind.ORGANISATION: ("name", "kind"),
}

# How a reference is typed in: the referenced record's natural key.
REFERENCE_HELP = {
    "house": gettext_lazy("房屋编码"),
    "household": gettext_lazy("户号"),
    "unit": gettext_lazy("依托单位的统一社会信用代码（无代码的填单位编号）"),
    "region": gettext_lazy("区域代码，如村（社区）的 12 位代码"),
}
GRID_HELP = {
    RecordKind.PERSON: gettext_lazy("留空则随所在房屋或户确定"),
    RecordKind.HOUSEHOLD: gettext_lazy("留空则随住址房屋确定"),
    RecordKind.HOUSE: gettext_lazy("留空则按经纬度自动确定"),
    RecordKind.UNIT: gettext_lazy("留空则按经纬度或所在房屋确定"),
    RecordKind.ORGANISATION: gettext_lazy("必填"),
}
NUMBER_FIELDS = (models.DecimalField, models.FloatField, models.PositiveIntegerField)


def _choices(model_field) -> list[tuple[str, str]]:
    return [("", "—")] + [(value, str(label)) for value, label in model_field.choices]


def catalogue_form_field(field: CatalogueField, initial=None) -> forms.Field:
    """A form field for a catalogue field, as its definition describes it."""
    label = f"{field.label}（{field.unit}）" if field.unit else field.label
    common: dict[str, Any] = {"label": label, "required": False, "help_text": field.help_text}
    if field.type == FieldType.NUMBER:
        widget = forms.TextInput(attrs={"inputmode": "decimal"})
        form_field: forms.Field = forms.CharField(widget=widget, **common)
    elif field.type == FieldType.DATE:
        form_field = forms.CharField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common
        )
    elif field.type == FieldType.BOOLEAN:
        form_field = forms.ChoiceField(
            choices=[("", "—"), ("true", _("是")), ("false", _("否"))], **common
        )
        if initial is not None:
            initial = "true" if initial else "false"
    elif field.type == FieldType.CHOICE:
        form_field = forms.ChoiceField(
            choices=[("", "—")] + [(str(c), str(c)) for c in field.choices], **common
        )
    elif field.type == FieldType.MULTI_CHOICE:
        form_field = forms.MultipleChoiceField(
            choices=[(str(c), str(c)) for c in field.choices],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    else:
        form_field = forms.CharField(**common)
    form_field.initial = initial
    form_field.catalogue = field
    if field.required:
        form_field.widget.attrs["aria-required"] = "true"
    return form_field


class RecordForm(forms.Form):
    """The fields of one kind of record and the catalogue fields of its grid."""

    kind: str = ""

    def __init__(self, *args, user, record=None, catalogue: list[CatalogueField], **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.record = record
        self.model = KIND_MODELS[self.kind]
        self.catalogue = catalogue
        self.groups: list[tuple[Any, list[str]]] = []
        for title, names in FORM_GROUPS[self.kind]:
            if record is None:
                names = tuple(n for n in names if n != "head")  # chosen among members later
            for name in names:
                self.fields[name] = self._field(name)
            self.groups.append((title, list(names)))
        extra = (record.extra or {}) if record is not None else {}
        self.catalogue_names: list[str] = []
        self.wide_names = {"tags", "notes", "hazards"}
        for catalogue_field in catalogue:
            name = f"{EXTRA_PREFIX}{catalogue_field.key}"
            self.fields[name] = catalogue_form_field(
                catalogue_field, extra.get(catalogue_field.key)
            )
            self.catalogue_names.append(name)
            if catalogue_field.type == FieldType.MULTI_CHOICE:
                self.wide_names.add(name)
        self.required_names = set(REQUIRED[self.kind]) | {
            f"{EXTRA_PREFIX}{f.key}" for f in catalogue if f.required
        }
        if record is None and "grid" in self.fields:
            # Choosing a grid reloads the catalogue fields that apply there.
            self.fields["grid"].widget.attrs.update(
                {
                    "hx-get": "",
                    "hx-trigger": "change",
                    "hx-include": "this",
                    "hx-select": "#catalogue-fields",
                    "hx-target": "#catalogue-fields",
                    "hx-swap": "outerHTML",
                }
            )
        if record is not None:
            self.fields["reason"] = forms.CharField(
                label=_("修改原因"),
                required=False,
                max_length=255,
                help_text=_("记入修改历史，如“入户核实”"),
            )
            self._fill(record)

    # --- building -------------------------------------------------------------------------

    def _field(self, name: str) -> forms.Field:
        if name == "grid":
            return forms.ChoiceField(
                label=_("所属网格"),
                required=False,
                choices=[("", "—")] + [(g.code, f"{g.name}（{g.code}）") for g in self._grids()],
                help_text=GRID_HELP[self.kind],
            )
        if name == "tags":
            may_reveal = not user_scope(self.user, Action.PERSONAL_DATA_REVEAL).empty
            return forms.MultipleChoiceField(
                label=_("人群标签"),
                required=False,
                choices=[
                    (value, label)
                    for value, label in PersonTag.choices
                    if may_reveal or value not in SENSITIVE_TAGS
                ],
                widget=forms.CheckboxSelectMultiple,
            )
        if name == "head":
            return forms.ChoiceField(label=_("户主"), required=False, choices=[("", "—")])
        model_field = self.model._meta.get_field(name)
        label = str(model_field.verbose_name)
        if model_field.is_relation:
            return forms.CharField(label=label, required=False, help_text=REFERENCE_HELP[name])
        if model_field.choices:
            default = model_field.get_default()
            if default:
                # A field with a default (sex, population type) is never empty.
                choices = [(v, str(lbl)) for v, lbl in model_field.choices]
                return forms.ChoiceField(
                    label=label, required=False, choices=choices, initial=default
                )
            return forms.ChoiceField(label=label, required=False, choices=_choices(model_field))
        if isinstance(model_field, models.BooleanField):
            return forms.BooleanField(label=label, required=False)
        if isinstance(model_field, models.DateField):
            return forms.CharField(
                label=label,
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
        if isinstance(model_field, models.TextField):
            return forms.CharField(
                label=label, required=False, widget=forms.Textarea(attrs={"rows": 3})
            )
        attrs = {"inputmode": "decimal"} if isinstance(model_field, NUMBER_FIELDS) else {}
        if name in services.SENSITIVE_FIELDS:
            attrs["autocomplete"] = "off"
        return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=attrs))

    def _grids(self):
        scope = user_scope(self.user, Action.REGISTRY_CHANGE)
        return (
            Region.objects.active()
            .grids()
            .filter(scope.q("path"))
            .order_by("path")
            .only("code", "name")
        )

    def _fill(self, record) -> None:
        """Initial values from the record; personal data only as a masked placeholder."""
        for name, form_field in self.fields.items():
            if name.startswith(EXTRA_PREFIX) or name == "reason":
                continue
            if name == "grid":
                form_field.initial = record.grid.code
                if record.grid.code not in dict(form_field.choices):
                    # A grid the user may not place records in, or one retired since.
                    form_field.choices = [
                        *form_field.choices,
                        (record.grid.code, f"{record.grid.name}（{record.grid.code}）"),
                    ]
                continue
            if name == "head":
                members = records_for_user(self.user, Person).filter(household=record)
                form_field.choices = [("", "—")] + [
                    (str(p.pk), f"{p.name}（{mask_id_number(p.id_number) or p.pk}）")
                    for p in members.order_by("name", "id")
                ]
                form_field.initial = str(record.head_id or "")
                continue
            value = getattr(record, name)
            if name in services.SENSITIVE_FIELDS:
                if value:
                    form_field.widget.attrs["placeholder"] = services.masked_value(record, name)
                    form_field.help_text = _("已登记（隐去部分号码）；留空则保持不变")
                continue
            if name == "tags":
                form_field.initial = [t for t in value or [] if t in dict(form_field.choices)]
                continue
            if isinstance(value, models.Model):
                form_field.initial = _reference_key(value)
            elif value is not None:
                form_field.initial = value

    # --- reading ---------------------------------------------------------------------------

    def record_data(self) -> dict[str, Any]:
        """The record's fields for the service, as typed (the service checks them)."""
        data: dict[str, Any] = {}
        for name in self.fields:
            if name.startswith(EXTRA_PREFIX) or name in ("reason", "head"):
                continue
            value = self.cleaned_data.get(name)
            if self.record is None and value in (None, "", []):
                continue  # a new record: what was not filled in takes its default
            if name in services.SENSITIVE_FIELDS and self.record is not None and not value:
                continue  # left empty: keep the registered value
            if name == "grid" and self.record is not None and value == self.record.grid.code:
                # Unchanged: a new house or point may still move the record.
                continue
            if name == "tags" and self.record is not None:
                # Sensitive tags the user may not see are kept as they are.
                hidden = [
                    t for t in self.record.tags or [] if t not in dict(self.fields[name].choices)
                ]
                value = [*value, *hidden]
            data[name] = value
        return data

    def extra_data(self) -> dict[str, Any]:
        """Catalogue values by key. A new record gets what was filled in; an edit also clears
        the values that were emptied."""
        current = (self.record.extra or {}) if self.record is not None else {}
        values: dict[str, Any] = {}
        for name in self.fields:
            if not name.startswith(EXTRA_PREFIX):
                continue
            key = name[len(EXTRA_PREFIX) :]
            value = self.cleaned_data.get(name)
            if value in (None, "", []):
                if key in current:
                    values[key] = None
                continue
            values[key] = value
        return values

    def head_choice(self) -> Person | None:
        """The member chosen as head (household edit form)."""
        value = self.cleaned_data.get("head")
        if not value or self.record is None:
            return None
        return records_for_user(self.user, Person).filter(household=self.record, pk=value).first()

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # The same checks the service makes, so that each field shows its own problem.
        result = CLEANERS[self.kind](self.record_data(), partial=self.record is not None)
        for issue in result.errors:
            self.add_error(issue.field if issue.field in self.fields else None, issue.message)
        return cleaned

    def add_service_error(self, error: DomainError) -> None:
        """A service's refusal on the field it names (or on the whole form)."""
        name = error.field or ""
        if name.startswith("extra."):
            name = EXTRA_PREFIX + name[len("extra.") :]
        self.add_error(name if name in self.fields else None, error.message)


def _reference_key(record: models.Model) -> str:
    """How a referenced record is written in a form: its code, or its number."""
    if isinstance(record, House):
        return record.code
    if isinstance(record, Household):
        return record.number
    if isinstance(record, Unit):
        return record.credit_code or str(record.pk)
    if isinstance(record, Region):
        return record.code
    return str(record.pk)


FORM_CLASSES: dict[str, type[RecordForm]] = {
    kind: type(f"{model.__name__}Form", (RecordForm,), {"kind": kind})
    for kind, model in KIND_MODELS.items()
}


def record_form(kind: str, user, *, data=None, record=None, grid: Region | None = None):
    """The form for a new record (`record=None`) or an edit, with the catalogue fields of the
    record's grid (of `grid` when one is chosen, else of the user's regions)."""
    if record is not None:
        catalogue = fields_for(kind, record.grid_path)
    elif grid is not None:
        catalogue = fields_for(kind, grid.path)
    else:
        catalogue = catalogue_fields_for_user(user, kind)
    return FORM_CLASSES[kind](data, user=user, record=record, catalogue=catalogue)


class RevealForm(forms.Form):
    """查看完整信息: which masked field, and why."""

    field = forms.ChoiceField(label=gettext_lazy("字段"))
    reason = forms.CharField(
        label=gettext_lazy("查看事由"),
        required=False,
        max_length=255,
        help_text=gettext_lazy("将记入审计日志，如“入户走访核对身份”"),
    )

    def __init__(self, record, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.record = record
        self.fields["field"].choices = [
            (name, str(record._meta.get_field(name).verbose_name))
            for name in services.sensitive_fields(record)
            if getattr(record, name)
        ]

    def chosen(self) -> str:
        """The field asked for, if it is one the record has."""
        name = self.data.get("field", "")
        return name if name in dict(self.fields["field"].choices) else ""

    def chosen_label(self) -> str:
        return str(dict(self.fields["field"].choices).get(self.chosen(), ""))
