"""Writes to the region tree itself: create and change regions and their boundaries."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gezhi.core.audit import audit_record
from gezhi.core.errors import InvalidInput
from gezhi.lib.codes import child_code_error, region_code_error
from gezhi.regions.choices import LEVEL_ORDER, Level
from gezhi.regions.geometry import check_inside, figures, parse_boundary, to_geojson
from gezhi.regions.models import (
    BoundaryVersion,
    Region,
)

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry


def enabled_levels() -> list[str]:
    """The deployment's levels, in tree order (settings.GEZHI_REGION_LEVELS)."""
    return [level for level in LEVEL_ORDER if level in settings.GEZHI_REGION_LEVELS]


def level_error(level: str, parent_level: str | None) -> str | None:
    """Why a region of `level` may not sit under one of `parent_level`, or None."""
    levels = enabled_levels()
    if level not in levels:
        return _("层级 %(level)r 未启用；本部署的层级为 %(levels)s") % {
            "level": level,
            "levels": ", ".join(levels),
        }
    if parent_level is None:
        return None
    if LEVEL_ORDER.index(level) <= LEVEL_ORDER.index(parent_level):
        return _("%(level)s 不能位于 %(parent)s 之下") % {
            "level": Level(level).label,
            "parent": Level(parent_level).label,
        }
    if level in (Level.GRID, Level.AREA) and parent_level not in (Level.VILLAGE, Level.AREA):
        return _("网格和片区只能属于村（社区）或片区，不能直接属于乡镇")
    return None


def validate_region(
    *,
    code: str,
    level: str,
    parent: Region | None,
    boundary: Any = None,
    parent_geom: BaseGeometry | None = None,
) -> tuple[str | None, str | None]:
    """Check a region's code, level and boundary against its parent.

    Returns (field, message) for the first problem, or (None, None). `parent_geom` is the
    parent's boundary already parsed, for callers that check many children of one parent.
    """
    if message := level_error(level, None):
        return "level", message
    if message := region_code_error(code, level):
        return "code", message
    if message := level_error(level, parent.level if parent else None):
        return "level", message
    if parent is not None and (message := child_code_error(code, parent.code, parent.level)):
        return "code", message
    if boundary is not None:
        try:
            geom = parse_boundary(boundary)
            if level == Level.GRID and parent is not None and parent.boundary:
                outer = parent_geom if parent_geom is not None else parse_boundary(parent.boundary)
                # Plain containment is cheap (prepared geometry); the buffered check only
                # runs for a grid that touches or crosses its parent's edge.
                if not outer.contains(geom):
                    check_inside(geom, outer, settings.GEZHI_BOUNDARY_TOLERANCE_M)
        except InvalidInput as exc:
            return "boundary", exc.message
    elif level == Level.GRID and settings.GEZHI_GRID_BOUNDARY_REQUIRED:
        return "boundary", _("网格必须有边界")
    return None, None


def region_path(code: str, parent: Region | None) -> str:
    return f"{parent.path if parent else '/'}{code}/"


def apply_boundary(region: Region, boundary: Any) -> None:
    """Set the boundary and its derived figures on an unsaved or saved region (no save)."""
    if boundary is None:
        region.boundary = None
        region.min_lng = region.min_lat = region.max_lng = region.max_lat = None
        region.label_lng = region.label_lat = region.area_km2 = None
        return
    geom = parse_boundary(boundary)
    region.boundary = to_geojson(geom)
    f = figures(geom)
    region.min_lng, region.min_lat, region.max_lng, region.max_lat = (
        f.min_lng,
        f.min_lat,
        f.max_lng,
        f.max_lat,
    )
    region.label_lng, region.label_lat, region.area_km2 = f.label_lng, f.label_lat, f.area_km2


def bump_boundary_version() -> None:
    """Tell every process its spatial index is stale. Call inside the changing transaction."""
    updated = BoundaryVersion.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        BoundaryVersion.objects.create(pk=1, version=1)


def region_snapshot(region: Region) -> dict:
    """What the audit log keeps of a region (the boundary only as its area and box)."""
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "parent": region.parent.code if region.parent else None,
        "has_boundary": region.boundary is not None,
        "area_km2": round(region.area_km2, 6) if region.area_km2 is not None else None,
        "valid_from": region.valid_from,
        "valid_to": region.valid_to,
    }


@transaction.atomic
def region_create(
    *,
    actor,
    code: str,
    name: str,
    level: str,
    parent: Region | None,
    boundary: Any = None,
    valid_from: dt.date | None = None,
) -> Region:
    """Add a region to the tree after checking its code, level and boundary."""
    code, name = code.strip(), name.strip()
    if not name:
        raise InvalidInput(_("名称不能为空"), field="name")
    if Region.objects.filter(code=code).exists():
        raise InvalidInput(_("代码 %(code)s 已存在") % {"code": code}, field="code")
    field, message = validate_region(code=code, level=level, parent=parent, boundary=boundary)
    if message:
        raise InvalidInput(message, field=field)
    region = Region(
        code=code,
        name=name,
        level=level,
        parent=parent,
        path=region_path(code, parent),
        depth=(parent.depth + 1) if parent else 0,
        valid_from=valid_from or timezone.localdate(),
    )
    apply_boundary(region, boundary)
    region.full_clean()
    region.save()
    if boundary is not None:
        bump_boundary_version()
    audit_record(actor=actor, action="region.create", obj=region, after=region_snapshot(region))
    return region


@transaction.atomic
def region_update(
    *, actor, region: Region, name: str | None = None, boundary: Any = ..., reason: str = ""
) -> Region:
    """Rename a region or replace its boundary (pass boundary=None to remove it)."""
    region = Region.objects.select_for_update().get(pk=region.pk)
    before = region_snapshot(region)
    fields = []
    if name is not None:
        if not name.strip():
            raise InvalidInput(_("名称不能为空"), field="name")
        region.name = name.strip()
        fields.append("name")
    if boundary is not ...:
        if boundary is not None:
            field, message = validate_region(
                code=region.code, level=region.level, parent=region.parent, boundary=boundary
            )
            if message:
                raise InvalidInput(message, field=field)
        apply_boundary(region, boundary)
        fields += ["boundary", "min_lng", "min_lat", "max_lng", "max_lat"]
        fields += ["label_lng", "label_lat", "area_km2"]
        bump_boundary_version()
    if not fields:
        return region
    region.save(update_fields=[*fields, "updated_at"])
    audit_record(
        actor=actor,
        action="region.update",
        obj=region,
        before=before,
        after=region_snapshot(region),
        reason=reason,
    )
    return region
