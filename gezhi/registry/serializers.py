"""API representations of the registers.

Reading: ID numbers and phones are masked (`632624********1234`), sensitive tags are left out
for users who may not reveal, references come as ids with a readable key beside them.
Writing: the serializers only take the shape of the input; every rule is the services'
(`registry.validation` and the data catalogue), whose refusal is a 400 naming the field.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gezhi.registry import services
from gezhi.registry.models import (
    CatalogueField,
    House,
    Household,
    Organisation,
    Person,
    Unit,
)

# --- reading --------------------------------------------------------------------------------


class RecordSerializer(serializers.ModelSerializer):
    """Fields every record shares; personal data masked."""

    grid = serializers.CharField(source="grid.code", read_only=True, help_text=_("网格代码"))
    grid_name = serializers.CharField(source="grid.name", read_only=True)
    extra = serializers.DictField(
        read_only=True, help_text=_("数据目录字段的值，键为字段标识（见 catalogue-fields）")
    )

    COMMON = ["id", "grid", "grid_name"]
    TRAILING = ["extra", "created_at", "updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for name in services.SENSITIVE_FIELDS:
            if name in data:
                data[name] = services.masked_value(instance, name)
        return data


def _reference(source: str, label) -> serializers.CharField:
    return serializers.CharField(source=source, read_only=True, default=None, help_text=label)


class PersonSerializer(RecordSerializer):
    household_number = _reference("household.number", _("户号"))
    house_code = _reference("house.code", _("房屋编码"))
    tags = serializers.SerializerMethodField(help_text=_("人群标签（敏感标签仅对可查看者显示）"))

    class Meta:
        model = Person
        fields = [
            *RecordSerializer.COMMON,
            "name",
            "former_name",
            "id_number",
            "sex",
            "birth_date",
            "ethnicity",
            "phone",
            "marital_status",
            "political_status",
            "education",
            "religion",
            "occupation",
            "workplace",
            "registered_address",
            "registered_region_code",
            "house",
            "house_code",
            "current_address",
            "household",
            "household_number",
            "relation_to_head",
            "population_type",
            "inflow_reason",
            "residence_type",
            "arrived_on",
            "nationality",
            "document_type",
            "document_number",
            "stay_purpose",
            "stay_until",
            "tags",
            "notes",
            *RecordSerializer.TRAILING,
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, person) -> list[str]:
        request = self.context.get("request")
        return services.visible_tags(getattr(request, "user", None), person)


class HouseholdSerializer(RecordSerializer):
    house_code = _reference("house.code", _("房屋编码"))
    head_name = _reference("head.name", _("户主姓名"))

    class Meta:
        model = Household
        fields = [
            *RecordSerializer.COMMON,
            "number",
            "house",
            "house_code",
            "address",
            "head",
            "head_name",
            *RecordSerializer.TRAILING,
        ]


class HouseSerializer(RecordSerializer):
    class Meta:
        model = House
        fields = [
            *RecordSerializer.COMMON,
            "code",
            "address",
            "building",
            "unit_no",
            "room",
            "lng",
            "lat",
            "use",
            "ownership",
            "rental_status",
            "owner_name",
            "owner_id_number",
            "owner_phone",
            "area_m2",
            "hazards",
            *RecordSerializer.TRAILING,
        ]


class UnitSerializer(RecordSerializer):
    house_code = _reference("house.code", _("房屋编码"))

    class Meta:
        model = Unit
        fields = [
            *RecordSerializer.COMMON,
            "credit_code",
            "name",
            "type",
            "address",
            "lng",
            "lat",
            "house",
            "house_code",
            "legal_representative",
            "legal_representative_id_number",
            "phone",
            "employees",
            "security_officer",
            "security_officer_phone",
            "hazardous_chemicals",
            "hazardous_chemicals_note",
            "hazards",
            *RecordSerializer.TRAILING,
        ]


class OrganisationSerializer(RecordSerializer):
    unit_name = _reference("unit.name", _("依托单位名称"))
    region = serializers.CharField(
        source="region.code", read_only=True, default=None, help_text=_("所属区域代码")
    )

    class Meta:
        model = Organisation
        fields = [
            *RecordSerializer.COMMON,
            "name",
            "kind",
            "credit_code",
            "registration_number",
            "registering_authority",
            "unit",
            "unit_name",
            "region",
            "leader",
            "phone",
            "members",
            "address",
            *RecordSerializer.TRAILING,
        ]


READ_SERIALIZERS: dict[type[models.Model], type[RecordSerializer]] = {
    Person: PersonSerializer,
    Household: HouseholdSerializer,
    House: HouseSerializer,
    Unit: UnitSerializer,
    Organisation: OrganisationSerializer,
}


# --- writing --------------------------------------------------------------------------------


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "nullable": True,
        "description": "id, or the record's code",
    }
)
class ReferenceField(serializers.Field):
    """A referenced record: its id (a number) or its code (text: a house's code, a
    household's number, a unit's credit code, a grid's or region's code)."""

    def to_internal_value(self, data):
        if data is None or isinstance(data, str):
            return data
        if isinstance(data, int) and not isinstance(data, bool):
            return data
        raise serializers.ValidationError(_("应为编号（数字）或编码（文本）"))

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.STR)
class RawTextField(serializers.Field):
    """Text passed to the services as it came: an ID number sent as a JSON number has lost
    its last digits already (or will in a client), and the services say so."""

    def to_internal_value(self, data):
        if isinstance(data, (list, dict)):
            raise serializers.ValidationError(_("应为文本"))
        return data

    def to_representation(self, value):
        return value


def _write_field(model_field: models.Field, name: str) -> serializers.Field:
    """A lenient input field: the services check the value, this only takes its shape."""
    common: dict[str, Any] = {
        "required": False,
        "allow_null": True,
        "help_text": model_field.verbose_name,
    }
    if name == "grid":
        common["help_text"] = _("网格代码；留空则按位置或所属房屋、户、单位确定")
        return serializers.CharField(allow_blank=True, **common)
    if model_field.is_relation:
        return ReferenceField(**common)
    if name in services.SENSITIVE_FIELDS:
        return RawTextField(**common)
    if isinstance(model_field, models.BooleanField):
        return serializers.BooleanField(**common)
    if isinstance(model_field, (models.FloatField, models.DecimalField)):
        return serializers.FloatField(**common)
    if isinstance(model_field, models.PositiveIntegerField):
        return serializers.IntegerField(**common)
    if isinstance(model_field, models.JSONField):  # tags
        return serializers.ListField(
            child=serializers.CharField(), help_text=_("标签代码或名称"), required=False
        )
    if model_field.choices:
        codes = ", ".join(str(value) for value, _label in model_field.choices)
        common["help_text"] = format_lazy(
            "{}（{}; {}）", model_field.verbose_name, codes, _("也可填中文名称")
        )
    return serializers.CharField(allow_blank=True, **common)


# Read-only names of the representations: not part of the input.
READ_ONLY = {
    "id",
    "grid_name",
    "extra",
    "created_at",
    "updated_at",
    "house_code",
    "household_number",
    "head_name",
    "unit_name",
}


def write_serializer(model: type[models.Model]) -> type[serializers.Serializer]:
    """The input serializer of `model`: its fields, the catalogue values, a reason."""
    fields: dict[str, serializers.Field] = {}
    for name in READ_SERIALIZERS[model].Meta.fields:
        if name not in READ_ONLY:
            fields[name] = _write_field(model._meta.get_field(name), name)
    if model in (House, Unit):
        fields["crs"] = serializers.ChoiceField(
            choices=["wgs84", "gcj02", "bd09"],
            required=False,
            help_text=_("经纬度的坐标系，默认 wgs84"),
        )
    fields["extra"] = serializers.DictField(
        required=False, help_text=_("数据目录字段的值，键为字段标识")
    )
    fields["reason"] = serializers.CharField(
        required=False, allow_blank=True, help_text=_("原因，记入修改历史")
    )
    return type(f"{model.__name__}WriteSerializer", (serializers.Serializer,), fields)


WRITE_SERIALIZERS = {model: write_serializer(model) for model in READ_SERIALIZERS}


def split_input(validated: dict[str, Any]) -> tuple[dict[str, Any], dict | None, str]:
    """(the record's fields, the catalogue values, the reason) from validated input."""
    data = dict(validated)
    extra = data.pop("extra", None)
    reason = data.pop("reason", "") or ""
    return data, extra, reason


class RevealSerializer(serializers.Serializer):
    field = serializers.CharField(help_text=_("要查看的字段，如 id_number、phone"))
    reason = serializers.CharField(allow_blank=True, help_text=_("查看事由（必填），记入审计日志"))


class RevealedSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


# --- the data catalogue ---------------------------------------------------------------------


class CatalogueFieldSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = CatalogueField
        fields = [
            "id",
            "kind",
            "key",
            "label",
            "type",
            "unit",
            "choices",
            "required",
            "help_text",
            "order",
            "region",
            "region_name",
        ]


# --- a person's whole picture --------------------------------------------------------------


class PictureSectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    data = serializers.JSONField()


class PictureSerializer(serializers.Serializer):
    household = HouseholdSerializer(allow_null=True)
    household_members = PersonSerializer(many=True)
    house = HouseSerializer(allow_null=True)
    co_occupants = PersonSerializer(many=True)
    units = UnitSerializer(many=True)
    sections = PictureSectionSerializer(many=True)
