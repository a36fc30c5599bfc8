"""Region pages: the tree browser with search, a region's page with its map, and the map data.

Every page looks the region up through the user's scope (`access_region`): a region outside
it is a 404, the same page as a code that does not exist.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import user_scope
from gezhi.core.errors import NotFound
from gezhi.regions.choices import Level
from gezhi.regions.models import GridAssignment, Region
from gezhi.regions.selectors import (
    access_region,
    region_roots_for_user,
    region_search,
    region_visible_ancestors,
)

# One colour per level, shared by the map's polygons and its legend.
LEVEL_COLOURS = {
    Level.PROVINCE: "#6a1b9a",
    Level.CITY: "#283593",
    Level.COUNTY: "#b71c1c",
    Level.TOWNSHIP: "#e65100",
    Level.VILLAGE: "#2e7d32",
    Level.AREA: "#00838f",
    Level.GRID: "#1565c0",
}
SIBLING_COLOUR = "#90a4ae"
CHILDREN_PER_PAGE = 50
CHILD_SORTS = {
    "code": ("code",),
    "-code": ("-code",),
    "name": ("name", "code"),
    "-name": ("-name", "code"),
    "area": (F("area_km2").asc(nulls_last=True), "code"),
    "-area": (F("area_km2").desc(nulls_last=True), "code"),
}
# Map outlines are simplified to about this share of the region's size: invisible on screen,
# and a county's page stays a few tens of kilobytes.
MAP_DETAIL = 1 / 1500


def _region_or_404(user, code: str) -> Region:
    try:
        return access_region(user, code)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _active_children_q(prefix: str = "children__") -> Q:
    today = timezone.localdate()
    return Q(**{f"{prefix}valid_from__lte": today}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": today})
    )


def with_child_counts(regions: QuerySet[Region]) -> QuerySet[Region]:
    """Regions annotated with `n_children`, the number of their children in force."""
    return regions.annotate(n_children=Count("children", filter=_active_children_q()))


def visible_paths(user, regions) -> dict[int, list[Region]]:
    """For each region, its ancestors the user may open (root first), in one query."""
    scope = user_scope(user, Action.REGION_VIEW)
    codes = {code for r in regions for code in r.ancestor_codes()[:-1]}
    by_code = {a.code: a for a in Region.objects.filter(code__in=codes) if scope.covers(a.path)}
    return {r.pk: [by_code[c] for c in r.ancestor_codes()[:-1] if c in by_code] for r in regions}


@login_required
@require_GET
def region_browser(request):
    """The tree of the user's regions, expandable level by level, and search by name or code."""
    query = request.GET.get("q", "").strip()
    results = None
    if query:
        results = list(region_search(request.user, query))
        paths = visible_paths(request.user, results)
        for region in results:
            region.visible_path = paths[region.pk]
    context = {"query": query, "results": results}
    if request.htmx and request.htmx.target == "search-results":
        return render(request, "regions/_search_results.html", context)
    roots = list(with_child_counts(region_roots_for_user(request.user).order_by("code")))
    # A user who works in one region sees its first level straight away.
    context.update(roots=roots, open_roots=len(roots) == 1)
    return render(request, "regions/browser.html", context)


@login_required
@require_GET
def region_children(request, code):
    """The children of one tree node (loaded into the tree when the node is opened)."""
    region = _region_or_404(request.user, code)
    children = with_child_counts(region.children.active().order_by("code"))
    return render(request, "regions/_tree_nodes.html", {"nodes": children})


@login_required
@require_GET
def region_detail(request, code):
    """A region: where it sits, its map, its children; for a grid, who works it."""
    region = _region_or_404(request.user, code)
    sort = request.GET.get("sort", "code")
    if sort not in CHILD_SORTS:
        sort = "code"
    children = with_child_counts(region.children.active()).order_by(*CHILD_SORTS[sort])
    children = children.prefetch_related(
        Prefetch(
            "assignments",
            queryset=GridAssignment.objects.current()
            .filter(is_primary=True)
            .select_related("worker"),
            to_attr="current_primary",
        )
    )
    page = Paginator(children, CHILDREN_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "region": region,
        "page": page,
        "sort": sort,
        "grid_children": any(c.is_grid for c in page),
    }
    if request.htmx and request.htmx.target == "children":
        return render(request, "regions/_children.html", context)
    child_levels = list(
        region.children.active().values_list("level", flat=True).distinct().order_by()
    )
    siblings = map_siblings(request.user, region)
    context.update(
        ancestors=region_visible_ancestors(request.user, region),
        legend=_legend(region, child_levels, siblings=siblings is not None and siblings.exists()),
        has_map=region.boundary is not None
        or region.children.active().filter(boundary__isnull=False).exists(),
        grid_count=(
            None if region.is_grid else Region.objects.subtree(region).grids().active().count()
        ),
    )
    if region.is_grid:
        assignments = list(
            region.assignments.select_related("worker").order_by("-started_at", "-is_primary")
        )
        now = timezone.now()
        context["workers"] = [a for a in assignments if a.ended_at is None or a.ended_at > now]
        context["history"] = assignments
    return render(request, "regions/detail.html", context)


def map_siblings(user, region: Region) -> QuerySet[Region] | None:
    """For a region with nothing below it (a grid), its neighbours under the same parent, as
    context on the map; None when the user may not see the parent or there is none."""
    if region.parent_id is None or region.children.active().exists():
        return None
    parent_path = region.path[: region.path.rstrip("/").rfind("/") + 1]
    if not user_scope(user, Action.REGION_VIEW).covers(parent_path):
        return None
    return (
        Region.objects.active()
        .filter(parent_id=region.parent_id, boundary__isnull=False)
        .exclude(pk=region.pk)
        .order_by("code")
    )


def _legend(region: Region, child_levels, *, siblings: bool) -> list[dict]:
    levels = sorted(set(child_levels), key=Level.values.index)
    entries = [
        {"label": region.get_level_display(), "colour": LEVEL_COLOURS[region.level], "self": True}
    ]
    for level in levels:
        entries.append({"label": Level(level).label, "colour": LEVEL_COLOURS[level], "self": False})
    if siblings:
        entries.append({"label": _("同级区域"), "colour": SIBLING_COLOUR, "self": False})
    return entries


def display_geometry(geom: BaseGeometry, tolerance: float) -> BaseGeometry:
    """`geom` simplified to `tolerance` degrees with coordinates rounded to match."""
    simple = shapely.simplify(geom, tolerance, preserve_topology=True)
    return _rounded(simple, tolerance)


def _rounded(geom: BaseGeometry, tolerance: float) -> BaseGeometry:
    decimals = min(7, max(4, math.ceil(-math.log10(tolerance)) + 1))
    return shapely.transform(geom, lambda xy: np.round(xy, decimals))


def display_coverage(geoms: list[BaseGeometry], tolerance: float) -> list[BaseGeometry]:
    """Neighbouring polygons simplified together, so their shared edges stay shared."""
    try:
        simple = shapely.coverage_simplify(geoms, tolerance, simplify_boundary=True)
    except shapely.errors.GEOSException:
        # Not a clean coverage (overlapping data): simplify each on its own.
        return [display_geometry(g, tolerance) for g in geoms]
    return [_rounded(g, tolerance) for g in simple]


def _feature(region: Region, geom: BaseGeometry, role: str) -> dict:
    return {
        "type": "Feature",
        "geometry": mapping(geom),
        "properties": {
            "code": region.code,
            "name": region.name,
            "level": region.level,
            "level_label": str(region.get_level_display()),
            "colour": SIBLING_COLOUR if role == "sibling" else LEVEL_COLOURS[region.level],
            "role": role,
            "url": reverse("region-detail", args=[region.code]),
            "area_km2": round(region.area_km2, 3) if region.area_km2 is not None else None,
        },
    }


@login_required
@require_GET
def region_map(request, code):
    """GeoJSON for a region's map: its own outline and its children, simplified for display."""
    region = _region_or_404(request.user, code)
    children = list(region.children.active().filter(boundary__isnull=False).order_by("code"))
    siblings = map_siblings(request.user, region)
    siblings = list(siblings) if siblings is not None else []
    own = shape(region.boundary) if region.boundary else None
    child_geoms = [shape(c.boundary) for c in children]
    sibling_geoms = [shape(s.boundary) for s in siblings]
    # The detail follows the region itself and its children, not its neighbours.
    focus = ([own] if own is not None else []) + child_geoms or sibling_geoms
    features = []
    if focus:
        min_x, min_y, max_x, max_y = shapely.total_bounds(focus)
        tolerance = max(max_x - min_x, max_y - min_y, 1e-6) * MAP_DETAIL
        if own is not None:
            features.append(_feature(region, display_geometry(own, tolerance), "self"))
        for child, geom in zip(children, display_coverage(child_geoms, tolerance), strict=True):
            features.append(_feature(child, geom, "child"))
        for sibling, geom in zip(siblings, sibling_geoms, strict=True):
            features.append(_feature(sibling, display_geometry(geom, tolerance), "sibling"))
    return JsonResponse(
        {"type": "FeatureCollection", "features": features},
        content_type="application/geo+json",
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )
