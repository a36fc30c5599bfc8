"""REST endpoints for the region tree; every queryset goes through the scoping selectors."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from gezhi.core.errors import NotFound
from gezhi.regions.choices import Level
from gezhi.regions.models import Region
from gezhi.regions.selectors import current_workers, departments_for_user, regions_for_user
from gezhi.regions.serializers import (
    DepartmentSerializer,
    GridAssignmentSerializer,
    RegionDetailSerializer,
    RegionSerializer,
)


class RegionFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices)
    parent = django_filters.CharFilter(field_name="parent__code", label="上级代码")
    within = django_filters.CharFilter(method="filter_within", label="位于该代码的区域之下")
    q = django_filters.CharFilter(method="filter_q", label="名称或代码")
    active = django_filters.BooleanFilter(method="filter_active", label="现行有效")

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
            raise NotFound(f"区域 {self.kwargs['code']} 不存在")
        return region

    @extend_schema(responses=GridAssignmentSerializer(many=True))
    @action(detail=True)
    def workers(self, request, code=None):
        """The grid's current workers (primary first)."""
        grid = self.get_object()
        return Response(GridAssignmentSerializer(current_workers(grid), many=True).data)


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Departments (functional grids) of the regions the user may see."""

    serializer_class = DepartmentSerializer
    lookup_field = "code"
    search_fields = ["name", "code"]

    def get_queryset(self):
        return departments_for_user(self.request.user).prefetch_related("serves")
