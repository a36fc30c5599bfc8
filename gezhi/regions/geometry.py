"""Boundaries: GeoJSON in, validated Shapely geometry out, with the figures the tree stores."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import shapely
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from gezhi.core.errors import InvalidInput

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180


@dataclass(frozen=True)
class BoundaryFigures:
    min_lng: float
    min_lat: float
    max_lng: float
    max_lat: float
    label_lng: float
    label_lat: float
    area_km2: float


def parse_boundary(value: Any, *, field: str = "boundary") -> BaseGeometry:
    """A GeoJSON Polygon or MultiPolygon (a geometry, or a Feature holding one) as Shapely.

    Raises InvalidInput naming what is wrong: not GeoJSON, not a polygon, outside WGS-84
    range, self-intersecting or otherwise invalid.
    """
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or "type" not in value:
        raise InvalidInput(_("边界不是 GeoJSON 几何对象"), field=field)
    if value["type"] not in ("Polygon", "MultiPolygon"):
        raise InvalidInput(
            _("边界须为 Polygon 或 MultiPolygon，而不是 %(type)s") % {"type": value["type"]},
            field=field,
        )
    try:
        geom = shape(value)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise InvalidInput(_("边界坐标格式错误：%(error)s") % {"error": exc}, field=field) from None
    if geom.is_empty:
        raise InvalidInput(_("边界为空"), field=field)
    min_x, min_y, max_x, max_y = geom.bounds
    if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
        raise InvalidInput(
            _("边界坐标超出 WGS-84 范围（经度 -180~180，纬度 -90~90），是否把经纬度写反了？"),
            field=field,
        )
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise InvalidInput(_("边界不是有效的面：%(reason)s") % {"reason": reason}, field=field)
    if geom.area == 0:
        raise InvalidInput(_("边界面积为零"), field=field)
    return geom


def to_geojson(geom: BaseGeometry, precision: int = 7) -> dict:
    """GeoJSON geometry with coordinates rounded to `precision` decimals (7 ≈ 1 cm)."""
    rounded = shapely.set_precision(geom, 10**-precision) if precision else geom
    if rounded.is_empty or not rounded.is_valid:
        rounded = geom
    return mapping(rounded)


def area_km2(geom: BaseGeometry) -> float:
    """Area on the sphere, accurate enough for county-sized shapes (equal-area cylinder)."""
    projected = shapely.transform(
        geom,
        lambda xy: _equal_area(xy),
    )
    return projected.area / 1e6


def _equal_area(xy):
    import numpy as np

    lng = np.radians(xy[:, 0])
    lat = np.radians(xy[:, 1])
    return np.column_stack((EARTH_RADIUS_M * lng, EARTH_RADIUS_M * np.sin(lat)))


def figures(geom: BaseGeometry) -> BoundaryFigures:
    min_x, min_y, max_x, max_y = geom.bounds
    label = geom.point_on_surface()
    return BoundaryFigures(min_x, min_y, max_x, max_y, label.x, label.y, area_km2(geom))


def metres_to_degrees(metres: float, lat: float) -> float:
    """A distance in degrees that covers `metres` in both directions at latitude `lat`."""
    return metres / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))


def check_inside(child: BaseGeometry, parent: BaseGeometry, tolerance_m: float) -> None:
    """Raise InvalidInput (saying by how many square metres) when `child` sticks out of
    `parent` by more than `tolerance_m`."""
    outside = child.difference(parent.buffer(metres_to_degrees(tolerance_m, child.centroid.y)))
    if outside.is_empty or outside.area == 0:
        return
    overshoot_km2 = area_km2(outside)
    raise InvalidInput(
        _("边界超出上级区域的边界（超出约 %(area).0f 平方米，容差 %(tolerance)g 米）")
        % {"area": overshoot_km2 * 1e6, "tolerance": tolerance_m},
        field="boundary",
    )
