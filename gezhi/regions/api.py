"""REST endpoints for the region tree; every queryset goes through the scoping selectors."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from gezhi.core.errors import InvalidInput, NotFound
from gezhi.regions.choices import Level
from gezhi.regions.models import GridAssignment, Redraw, Region
from gezhi.regions.selectors import (
    access_region,
    current_workers,
    departments_for_user,
    redraws_for_user,
    regions_for_user,
)
from gezhi.regions.serializers import (
    DepartmentCreateSerializer,
    DepartmentSerializer,
    DepartmentUpdateSerializer,
    GridAssignmentSerializer,
    GridWorkerAssignSerializer,
    RedrawCreateSerializer,
    RedrawSerializer,
    RegionDetailSerializer,
    RegionSerializer,
)
from gezhi.regions.services import (
    department_create,
    department_update,
    grid_assign_worker,
    redraw_grids,
)


class RegionFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices)
    parent = django_filters.CharFilter(field_name="parent__code", label=gettext_lazy("上级代码"))
    within = django_filters.CharFilter(
        method="filter_within", label=gettext_lazy("位于该代码的区域之下")
    )
    q = django_filters.CharFilter(method="filter_q", label=gettext_lazy("名称或代码"))
    active = django_filters.BooleanFilter(method="filter_active", label=gettext_lazy("现行有效"))

    class Meta:
        model = Region
        fields = ["level", "parent", "within", "q", "active"]

    def filter_within(self, queryset, name, value):
        region = Region.objects.filter(code=value).first()
        return queryset.filter(path__startswith=region.path) if region else queryset.none()

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__contains=value) | Q(code__startswith=value))

    def filter_active(self, queryset, name, value):
        active = Region.objects.active().values("pk")
        return queryset.filter(pk__in=active) if value else queryset.exclude(pk__in=active)


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """The region tree as the user may see it. Look up by code."""

    lookup_field = "code"
    filterset_class = RegionFilter
    ordering_fields = ["code", "name", "depth", "area_km2"]
    ordering = ["path"]

    def get_queryset(self):
        return regions_for_user(self.request.user).select_related("parent")

    def get_serializer_class(self):
        return RegionDetailSerializer if self.action == "retrieve" else RegionSerializer

    def get_object(self):
        region = self.get_queryset().filter(code=self.kwargs["code"]).first()
        if region is None:
            raise NotFound(_("区域 %(code)s 不存在") % {"code": self.kwargs["code"]})
        return region

    @extend_schema(methods=["GET"], responses=GridAssignmentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=GridWorkerAssignSerializer,
        responses={200: GridAssignmentSerializer, 201: GridAssignmentSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def workers(self, request, code=None):
        """GET: the grid's current workers (primary first). POST: assign a worker (grid.assign)."""
        grid = self.get_object()
        if request.method == "GET":
            return Response(GridAssignmentSerializer(current_workers(grid), many=True).data)
        body = GridWorkerAssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        worker = user_by_username(data["worker"], field="worker")
        held = GridAssignment.objects.filter(
            grid=grid, worker=worker, is_primary=data["is_primary"], ended_at__isnull=True
        ).exists()
        assignment = grid_assign_worker(
            actor=request.user,
            grid=grid,
            worker=worker,
            is_primary=data["is_primary"],
            started_at=data.get("started_at"),
        )
        return Response(
            GridAssignmentSerializer(assignment).data,
            status=status.HTTP_200_OK if held else status.HTTP_201_CREATED,
        )


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Departments (functional grids) of the regions the user may see.

    Creating and changing one needs `department.change` at its region.
    """

    serializer_class = DepartmentSerializer
    lookup_field = "code"
    search_fields = ["name", "code"]

    def get_queryset(self):
        return departments_for_user(self.request.user).prefetch_related("serves")

    @extend_schema(request=DepartmentCreateSerializer, responses={201: DepartmentSerializer})
    def create(self, request):
        body = DepartmentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        department = department_create(
            actor=request.user,
            code=data["code"],
            name=data["name"],
            region=access_region(request.user, data["region"]),
            serves=[access_region(request.user, code) for code in data.get("serves", [])],
            phone=data.get("phone", ""),
        )
        return Response(DepartmentSerializer(department).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DepartmentUpdateSerializer, responses=DepartmentSerializer)
    def partial_update(self, request, code=None):
        department = self.get_object()
        body = DepartmentUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        serves = data.get("serves")
        department = department_update(
            actor=request.user,
            department=department,
            name=data.get("name"),
            serves=None if serves is None else [access_region(request.user, c) for c in serves],
            phone=data.get("phone"),
            is_active=data.get("is_active"),
        )
        return Response(DepartmentSerializer(department).data)


class RedrawViewSet(viewsets.ReadOnlyModelViewSet):
    """Grid redraws (split, merge, replace) that touched the user's regions, with their links.

    POST runs one redraw; it needs `region.redraw` on every old grid and new parent.
    """

    serializer_class = RedrawSerializer

    def get_queryset(self):
        return redraws_for_user(self.request.user)

    @extend_schema(request=RedrawCreateSerializer, responses={201: RedrawSerializer})
    def create(self, request):
        body = RedrawCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        old_grids = [access_region(request.user, code) for code in data["old_grids"]]
        workers = {
            code: None if username is None else user_by_username(username, field="workers")
            for code, username in data.get("workers", {}).items()
        }
        redraw = redraw_grids(
            actor=request.user,
            kind=data["kind"],
            old_grids=old_grids,
            new_grids=[dict(item) for item in data["new_grids"]],
            effective_on=data.get("effective_on"),
            note=data.get("note", ""),
            workers=workers,
        )
        redraw = (
            Redraw.objects.select_related("actor")
            .prefetch_related("links__old", "links__new")
            .get(pk=redraw.pk)
        )
        return Response(RedrawSerializer(redraw).data, status=status.HTTP_201_CREATED)


def user_by_username(username: str, *, field: str):
    """The active user with this username, or a 400 naming the field."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise InvalidInput(_("账号 %(name)s 不存在或已停用") % {"name": username}, field=field)
    return user
