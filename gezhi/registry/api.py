"""REST endpoints of the registers: people, households, houses, units, organisations, the data
catalogue.

Every queryset comes from the selectors (the caller's scope): a record outside it answers 404
like a missing one. Lists take the same filters and search as the pages
(`registry.filters`). Writes go through the services; a refusal is 400 (409 for a duplicate
code) with the field named. ID numbers and phones are masked; `POST .../{id}/reveal/` with a
reason returns one full value and is logged.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import user_scope
from gezhi.core.errors import InvalidInput, NotFound
from gezhi.regions.models import Region
from gezhi.registry import services
from gezhi.registry.catalogue import catalogue_totals, field_at
from gezhi.registry.choices import RecordKind
from gezhi.registry.filters import FILTERSETS
from gezhi.registry.models import CatalogueField, House, Household, Organisation, Person, Unit
from gezhi.registry.selectors import (
    MODEL_KINDS,
    access_record,
    catalogue_fields_for_user,
    person_picture,
    record_list,
)
from gezhi.registry.serializers import (
    READ_SERIALIZERS,
    WRITE_SERIALIZERS,
    CatalogueFieldSerializer,
    PictureSerializer,
    RevealedSerializer,
    RevealSerializer,
    split_input,
)

CATALOGUE_FILTERS_HELP = gettext_lazy(
    "数据目录字段也可筛选：extra__<字段标识>=值（文本含该值；单选、多选含该选项；是/否为 "
    "true 或 false；数值、日期等于该值），数值和日期还有 extra__<字段标识>__min 与 "
    "extra__<字段标识>__max。"
)


class SeesTheRegisters(permissions.BasePermission):
    """Lists and new records need the registers somewhere in the caller's scope."""

    message = gettext_lazy("您没有查看登记信息的权限")

    def has_permission(self, request, view):
        return not user_scope(request.user, Action.REGISTRY_VIEW).empty


class CatalogueOrderingFilter(OrderingFilter):
    """`ordering` by the listed fields, and by catalogue values (`-extra__yaks`) of the fields
    that apply in the caller's regions."""

    def get_valid_fields(self, queryset, view, context=None):
        fields = super().get_valid_fields(queryset, view, context or {})
        request = (context or {}).get("request")
        kind = MODEL_KINDS.get(queryset.model)
        if request is not None and kind:
            for field in catalogue_fields_for_user(request.user, kind):
                fields.append((f"extra__{field.key}", field.label))
        return fields


class RecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """One register. Records are changed with PATCH (only the fields sent); nothing is
    deleted through the API."""

    model: type = Person
    permission_classes = [permissions.IsAuthenticated, SeesTheRegisters]
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = r"\d+"
    filter_backends = [DjangoFilterBackend, CatalogueOrderingFilter]
    ordering_fields: list[str] = ["id", "created_at", "updated_at"]

    @property
    def kind(self) -> str:
        return MODEL_KINDS[self.model]

    @property
    def filterset_class(self):
        return FILTERSETS[self.model]

    def get_queryset(self):
        return record_list(self.request.user, self.model)

    def get_object(self):
        return access_record(self.request.user, self.model, self.kwargs["pk"])

    def get_serializer_class(self):
        return READ_SERIALIZERS[self.model]

    def _written(self, record, status_code):
        record = access_record(self.request.user, self.model, record.pk)
        return Response(self.get_serializer(record).data, status=status_code)

    def create(self, request, *args, **kwargs):
        body = WRITE_SERIALIZERS[self.model](data=request.data)
        body.is_valid(raise_exception=True)
        data, extra, reason = split_input(body.validated_data)
        if data.pop("head", None) is not None:
            raise InvalidInput(_("户主须为本户成员：先登记户和成员，再指定户主"), field="head")
        create = services.KIND_SERVICES[self.kind][0]
        record = create(actor=request.user, data=data, extra=extra, reason=reason)
        return self._written(record, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        record = self.get_object()
        body = WRITE_SERIALIZERS[self.model](data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data, extra, reason = split_input(body.validated_data)
        record = self._update(record, data, extra, reason)
        return self._written(record, status.HTTP_200_OK)

    @transaction.atomic
    def _update(self, record, data, extra, reason):
        head = data.pop("head", None)
        update = services.KIND_SERVICES[self.kind][1]
        record = update(
            actor=self.request.user, **{self.kind: record}, data=data, extra=extra, reason=reason
        )
        if head is not None:
            person = Person.objects.filter(
                pk=head if isinstance(head, int) else -1, household=record
            ).first()
            if person is None:
                raise InvalidInput(_("户主须为本户成员（填写成员的人口编号）"), field="head")
            record = services.household_set_head(
                actor=self.request.user, household=record, person=person, reason=reason
            )
        return record


class RevealMixin:
    @extend_schema(request=RevealSerializer, responses=RevealedSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """查看完整信息: one masked field in full, for a caller with `personal_data.reveal` at
        the record's grid who gives a reason. The reveal (not the value) is audited."""
        record = self.get_object()
        body = RevealSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        field = body.validated_data["field"]
        value = services.personal_data_reveal(
            actor=request.user, record=record, field=field, reason=body.validated_data["reason"]
        )
        response = Response({"field": field, "value": value})
        response["Cache-Control"] = "no-store"
        return response


def _list_docs(model):
    return extend_schema_view(
        list=extend_schema(description=str(CATALOGUE_FILTERS_HELP)),
        create=extend_schema(
            request=WRITE_SERIALIZERS[model], responses={201: READ_SERIALIZERS[model]}
        ),
        partial_update=extend_schema(
            request=WRITE_SERIALIZERS[model], responses=READ_SERIALIZERS[model]
        ),
    )


@_list_docs(Person)
class PersonViewSet(RevealMixin, RecordViewSet):
    """实有人口. Search `q` by name (part of it), ID number or phone (whole or last digits),
    address."""

    model = Person
    ordering_fields = ["id", "name", "birth_date", "population_type", "created_at", "updated_at"]

    @extend_schema(responses=PictureSerializer)
    @action(detail=True, methods=["get"])
    def picture(self, request, pk=None):
        """The person's whole picture: household and members, house and co-occupants, the
        units they represent in law, and what other parts of the platform add."""
        person = self.get_object()
        picture = person_picture(request.user, person)
        context = self.get_serializer_context()
        return Response(
            PictureSerializer(
                {
                    "household": picture.household,
                    "household_members": picture.household_members,
                    "house": picture.house,
                    "co_occupants": picture.co_occupants,
                    "units": picture.units,
                    "sections": [
                        {"key": s.key, "title": s.title, "data": s.data} for s in picture.sections
                    ],
                },
                context=context,
            ).data
        )


@_list_docs(Household)
class HouseholdViewSet(RecordViewSet):
    """户. PATCH `head` (a member's id) makes that member the head."""

    model = Household
    ordering_fields = ["id", "number", "address", "created_at", "updated_at"]


@_list_docs(House)
class HouseViewSet(RevealMixin, RecordViewSet):
    """实有房屋. A house's grid follows its point (lng, lat) unless `grid` is given."""

    model = House
    ordering_fields = ["id", "code", "address", "area_m2", "created_at", "updated_at"]


@_list_docs(Unit)
class UnitViewSet(RevealMixin, RecordViewSet):
    """实有单位."""

    model = Unit
    ordering_fields = ["id", "name", "employees", "created_at", "updated_at"]


@_list_docs(Organisation)
class OrganisationViewSet(RevealMixin, RecordViewSet):
    """实有组织."""

    model = Organisation
    ordering_fields = ["id", "name", "members", "created_at", "updated_at"]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "kind", OpenApiTypes.STR, enum=RecordKind.values, description=_("适用对象")
            ),
            OpenApiParameter(
                "region",
                OpenApiTypes.STR,
                description=_("区域代码：该区域内适用的字段（含上级、下级定义的）"),
            ),
        ]
    )
)
class CatalogueFieldViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """数据目录: the extra fields that apply in a region (or in the caller's regions)."""

    serializer_class = CatalogueFieldSerializer
    permission_classes = [permissions.IsAuthenticated, SeesTheRegisters]
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return CatalogueField.objects.none()

    def list(self, request, *args, **kwargs):
        kind = request.query_params.get("kind", "")
        if kind and kind not in RecordKind.values:
            raise InvalidInput(
                _("适用对象“%(kind)s”不可用（%(kinds)s）")
                % {"kind": kind, "kinds": "、".join(RecordKind.values)},
                field="kind",
            )
        region = None
        code = request.query_params.get("region", "").strip()
        if code:
            region = _region_in_scope(request.user, code)
        fields = []
        for each in [kind] if kind else RecordKind.values:
            fields += catalogue_fields_for_user(request.user, each, region)
        ids = [f.pk for f in fields]
        rows = CatalogueField.objects.filter(pk__in=ids).select_related("region")
        rows = sorted(rows, key=lambda f: ids.index(f.pk))
        return Response(self.get_serializer(rows, many=True).data)


def _region_in_scope(user, code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None or not user_scope(user, Action.REGISTRY_VIEW).covers(region.path):
        raise NotFound(_("区域 %(code)s 不存在") % {"code": code})
    return region


class CatalogueTotalsSerializer(serializers.Serializer):
    region = serializers.CharField()
    kind = serializers.CharField()
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    count = serializers.IntegerField(help_text=gettext_lazy("有该字段值的记录数"))
    sum = serializers.FloatField(allow_null=True, help_text=gettext_lazy("数值字段的合计"))
    by_choice = serializers.DictField(
        child=serializers.IntegerField(),
        allow_null=True,
        help_text=gettext_lazy("单选、多选：各选项的记录数；是/否：true 与 false 的记录数"),
    )


class CatalogueTotalsView(APIView):
    """One catalogue field summed and counted over a region's subtree, as far as the caller
    sees it (Dari's yaks per township, say)."""

    permission_classes = [permissions.IsAuthenticated, SeesTheRegisters]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "kind",
                OpenApiTypes.STR,
                enum=RecordKind.values,
                required=True,
                description=_("适用对象"),
            ),
            OpenApiParameter("key", OpenApiTypes.STR, required=True, description=_("字段标识")),
        ],
        responses=CatalogueTotalsSerializer,
    )
    def get(self, request, code):
        region = _region_in_scope(request.user, code)
        kind = request.query_params.get("kind", "")
        if kind not in RecordKind.values:
            raise InvalidInput(
                _("适用对象“%(kind)s”不可用（%(kinds)s）")
                % {"kind": kind, "kinds": "、".join(RecordKind.values)},
                field="kind",
            )
        key = request.query_params.get("key", "").strip()
        if not key:
            raise InvalidInput(_("请指定字段标识 key"), field="key")
        field = field_at(kind, region.path, key)
        totals = catalogue_totals(user=request.user, region=region, kind=kind, key=key)
        return Response(
            {
                "region": region.code,
                "kind": kind,
                "key": key,
                "label": field.label if field else key,
                "unit": field.unit if field else "",
                **totals,
            }
        )
