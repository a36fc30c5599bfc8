"""`GET /api/v1/regions/locate/?lng=&lat=&crs=`: which grid a point falls in.

Any authenticated user may locate a point, whatever their scope: a citizen reporting a
pothole or a hotline agent taking a call must learn which grid it belongs to. The answer
names only the grid and its path (code, name, level) - the same facts a printed grid map
shows - never a boundary, a worker or anything else held about a region.
"""

from __future__ import annotations

import math

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from gezhi.core.errors import InvalidInput
from gezhi.lib.geo import Crs
from gezhi.regions.geoindex import LocateResult, locate_point, parse_crs


class LocatedRegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()


class LocateResultSerializer(serializers.Serializer):
    lng = serializers.FloatField(help_text=gettext_lazy("请求中的经度"))
    lat = serializers.FloatField(help_text=gettext_lazy("请求中的纬度"))
    crs = serializers.ChoiceField(choices=[c.value for c in Crs])
    lng_wgs84 = serializers.FloatField(help_text=gettext_lazy("换算为 WGS-84 后的经度"))
    lat_wgs84 = serializers.FloatField(help_text=gettext_lazy("换算为 WGS-84 后的纬度"))
    grid = LocatedRegionSerializer(
        allow_null=True, help_text=gettext_lazy("所在网格；不在任何网格内时为 null")
    )
    path = LocatedRegionSerializer(
        many=True, help_text=gettext_lazy("从根区域到网格（或到 containing）的路径")
    )
    containing = LocatedRegionSerializer(
        allow_null=True, help_text=gettext_lazy("不在任何网格内时，包含该点的最低一级区域")
    )


def number_param(request, name: str) -> float:
    """A required finite number from the query string; InvalidInput naming it otherwise."""
    value = request.query_params.get(name, "").strip()
    if not value:
        raise InvalidInput(_("缺少参数 {name}").format(name=name), field=name)
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(_("参数 {name} 不是数字").format(name=name), field=name) from None
    if not math.isfinite(number):
        raise InvalidInput(_("参数 {name} 不是有限的数").format(name=name), field=name)
    return number


def region_brief(region) -> dict | None:
    if region is None:
        return None
    return {"code": region.code, "name": region.name, "level": region.level}


class LocateView(APIView):
    """Which grid a point falls in (its code, name and path), or the lowest region around it."""

    @extend_schema(
        operation_id="regions_locate",
        parameters=[
            OpenApiParameter(
                "lng", OpenApiTypes.DOUBLE, required=True, description=gettext_lazy("经度")
            ),
            OpenApiParameter(
                "lat", OpenApiTypes.DOUBLE, required=True, description=gettext_lazy("纬度")
            ),
            OpenApiParameter(
                "crs",
                OpenApiTypes.STR,
                enum=[c.value for c in Crs],
                default=Crs.WGS84.value,
                description=gettext_lazy(
                    "坐标系：wgs84（GPS）、gcj02（高德、腾讯、微信）、bd09（百度）"
                ),
            ),
        ],
        responses=LocateResultSerializer,
    )
    def get(self, request):
        lng, lat = number_param(request, "lng"), number_param(request, "lat")
        crs = parse_crs(request.query_params.get("crs"))
        result: LocateResult = locate_point(lng, lat, crs)
        return Response(
            {
                "lng": lng,
                "lat": lat,
                "crs": crs.value,
                "lng_wgs84": result.lng_wgs84,
                "lat_wgs84": result.lat_wgs84,
                "grid": region_brief(result.grid),
                "path": [region_brief(r) for r in result.path],
                "containing": region_brief(result.containing),
            }
        )
