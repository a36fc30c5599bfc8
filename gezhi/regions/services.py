"""Every write to the region tree: create and change regions, assign grid workers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import shapely
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gezhi.accounts.choices import Role
from gezhi.accounts.models import Membership
from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import forget_scopes, user_scope
from gezhi.core.audit import audit_record
from gezhi.core.errors import DomainError, InvalidInput, NotFound
from gezhi.lib.codes import child_code_error, region_code_error
from gezhi.regions.choices import LEVEL_ORDER, Level, RedrawKind
from gezhi.regions.geometry import area_km2, check_inside, figures, parse_boundary, to_geojson
from gezhi.regions.models import (
    BoundaryVersion,
    Department,
    GridAssignment,
    Redraw,
    RedrawLink,
    Region,
)
from gezhi.regions.rehome import GridLocator, run_rehome

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry


def enabled_levels() -> list[str]:
    """The deployment's levels, in tree order (settings.GEZHI_REGION_LEVELS)."""
    return [level for level in LEVEL_ORDER if level in settings.GEZHI_REGION_LEVELS]


def level_error(level: str, parent_level: str | None) -> str | None:
    """Why a region of `level` may not sit under one of `parent_level`, or None."""
    levels = enabled_levels()
    if level not in levels:
        return f"层级 {level!r} 未启用；本部署的层级为 {', '.join(levels)}"
    if parent_level is None:
        return None
    if LEVEL_ORDER.index(level) <= LEVEL_ORDER.index(parent_level):
        return f"{level} 不能位于 {parent_level} 之下"
    if level in (Level.GRID, Level.AREA) and parent_level not in (Level.VILLAGE, Level.AREA):
        return "网格和片区只能属于村（社区）或片区，不能直接属于乡镇"
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
        return "boundary", "网格必须有边界"
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
        raise InvalidInput("名称不能为空", field="name")
    if Region.objects.filter(code=code).exists():
        raise InvalidInput(f"代码 {code} 已存在", field="code")
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
            raise InvalidInput("名称不能为空", field="name")
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


# --- Grid workers, departments and redrawing -------------------------------------------------

# A redraw's new grids must cover the old ones to within this share of their area (digitised
# boundaries never meet exactly), and may overlap each other by no more than that.
REDRAW_TOLERANCE_SHARE = 0.001
# An old grid is linked to a new one that took at least this share of its area; smaller
# slivers are digitising noise, not part of the mapping.
REDRAW_LINK_MIN_SHARE = 0.001


def require_region_action(actor, action: str, region: Region) -> None:
    """Let `actor` do `action` on `region`, or refuse the way the API answers.

    Out of the actor's sight: NotFound (as if missing). Visible but not allowed:
    PermissionDenied. `actor=None` is the system (commands, imports, the demo).
    """
    if actor is None or user_scope(actor, action).covers(region.path):
        return
    if user_scope(actor, Action.REGION_VIEW).covers(region.path):
        raise PermissionDenied(_("无权对区域 %(code)s 执行此操作") % {"code": region.code})
    raise NotFound(_("区域 %(code)s 不存在") % {"code": region.code})


def assignment_snapshot(assignment: GridAssignment) -> dict:
    """What the audit log keeps of a grid assignment."""
    return {
        "grid": assignment.grid.code,
        "worker": assignment.worker.username,
        "is_primary": assignment.is_primary,
        "started_at": assignment.started_at,
        "ended_at": assignment.ended_at,
    }


def _end_assignment(*, actor, assignment: GridAssignment, at: dt.datetime, reason: str) -> bool:
    """End one open assignment at `at` (never before it started); False if already ended."""
    ended_at = max(at, assignment.started_at)
    # Guarded update: of two concurrent writers only one ends the row and audits it.
    updated = GridAssignment.objects.filter(pk=assignment.pk, ended_at__isnull=True).update(
        ended_at=ended_at
    )
    if not updated:
        return False
    before = assignment_snapshot(assignment)
    assignment.ended_at = ended_at
    audit_record(
        actor=actor,
        action="grid.release",
        obj=assignment,
        before=before,
        after=assignment_snapshot(assignment),
        reason=reason,
    )
    return True


def _sync_worker_membership(*, grid: Region, worker, at: dt.datetime) -> None:
    """Keep the worker's grid-worker membership at `grid` in step with their assignments.

    The membership is what scoping reads, so a worker sees a grid exactly while holding it.
    """
    holds = GridAssignment.objects.filter(grid=grid, worker=worker, ended_at__isnull=True).exists()
    open_memberships = Membership.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=at),
        user=worker,
        role=Role.GRID_WORKER,
        region=grid,
    )
    if holds and not open_memberships.exists():
        Membership.objects.create(user=worker, role=Role.GRID_WORKER, region=grid, valid_from=at)
    elif not holds:
        open_memberships.filter(valid_from__lte=at).update(valid_to=at)
        # A membership planned to start later is cancelled: it ends as it would have begun.
        open_memberships.filter(valid_from__gt=at).update(valid_to=F("valid_from"))
    forget_scopes(worker)


def _assign(
    *, actor, grid: Region, worker, is_primary: bool, at: dt.datetime, reason: str = ""
) -> GridAssignment:
    """Put `worker` on `grid`, ending what the new assignment replaces (no checks)."""
    open_rows = list(
        GridAssignment.objects.select_for_update(of=("self",))
        .filter(grid=grid, ended_at__isnull=True)
        .select_related("grid", "worker")
    )
    for row in open_rows:
        if row.worker_id == worker.pk and row.is_primary == is_primary:
            return row
    affected = {worker.pk: worker}
    for row in open_rows:
        # The worker's other row at this grid (primary <-> secondary) and, for a new primary,
        # the current primary: ended, so the rows stay the history of who held the grid.
        if row.worker_id == worker.pk or (is_primary and row.is_primary):
            _end_assignment(actor=actor, assignment=row, at=at, reason=reason)
            affected.setdefault(row.worker_id, row.worker)
    assignment = GridAssignment.objects.create(
        grid=grid, worker=worker, is_primary=is_primary, started_at=at
    )
    for user in affected.values():
        _sync_worker_membership(grid=grid, worker=user, at=at)
    audit_record(
        actor=actor,
        action="grid.assign",
        obj=assignment,
        after=assignment_snapshot(assignment),
        reason=reason,
    )
    return assignment


@transaction.atomic
def grid_assign_worker(
    *, actor, grid: Region, worker, is_primary: bool = True, started_at: dt.datetime | None = None
) -> GridAssignment:
    """Put `worker` on `grid` (as its primary worker by default), keeping the history.

    A new primary ends the current primary's assignment; each worker's grid-worker membership
    at the grid follows. Assigning a worker to the post they already hold changes nothing.
    """
    grid = Region.objects.select_for_update().get(pk=grid.pk)
    require_region_action(actor, Action.GRID_ASSIGN, grid)
    if not grid.is_grid:
        raise InvalidInput(
            _("只能为网格指派网格员，%(code)s 不是网格") % {"code": grid.code}, field="grid"
        )
    if grid.valid_to is not None:
        raise DomainError(
            _("网格 %(code)s 已停用或将于 %(day)s 停用，不能再指派网格员")
            % {"code": grid.code, "day": grid.valid_to},
            code="retired",
        )
    if not worker.is_active:
        raise InvalidInput(_("账号 %(name)s 已停用") % {"name": worker.username}, field="worker")
    return _assign(
        actor=actor,
        grid=grid,
        worker=worker,
        is_primary=is_primary,
        at=started_at or timezone.now(),
    )


@transaction.atomic
def grid_release_worker(
    *, actor, assignment: GridAssignment, ended_at: dt.datetime | None = None
) -> GridAssignment:
    """End a worker's assignment to a grid (and their membership there, if nothing else holds it)."""
    assignment = (
        GridAssignment.objects.select_for_update(of=("self",))
        .select_related("grid", "worker")
        .get(pk=assignment.pk)
    )
    require_region_action(actor, Action.GRID_ASSIGN, assignment.grid)
    if assignment.ended_at is not None:
        return assignment
    at = ended_at or timezone.now()
    if at < assignment.started_at:
        raise InvalidInput(_("结束时间早于任职开始时间"), field="ended_at")
    _end_assignment(actor=actor, assignment=assignment, at=at, reason="")
    _sync_worker_membership(grid=assignment.grid, worker=assignment.worker, at=at)
    return assignment


def department_snapshot(department: Department) -> dict:
    """What the audit log keeps of a department."""
    return {
        "code": department.code,
        "name": department.name,
        "region": department.region.code,
        "serves": sorted(r.code for r in department.serves.all()),
        "phone": department.phone,
        "is_active": department.is_active,
    }


def _served_regions(actor, serves: Iterable[Region]) -> list[Region]:
    regions = list({r.pk: r for r in serves}.values())
    for region in regions:
        require_region_action(actor, Action.DEPARTMENT_CHANGE, region)
        if region.valid_to is not None and region.valid_to <= timezone.localdate():
            raise InvalidInput(
                _("区域 %(code)s 已停用，不能作为服务区域") % {"code": region.code},
                field="serves",
            )
    return regions


@transaction.atomic
def department_create(
    *,
    actor,
    code: str,
    name: str,
    region: Region,
    serves: Iterable[Region] = (),
    phone: str = "",
) -> Department:
    """Add a department (functional grid) owned by `region`, serving the regions given."""
    code, name = code.strip(), name.strip()
    require_region_action(actor, Action.DEPARTMENT_CHANGE, region)
    if not code:
        raise InvalidInput(_("代码不能为空"), field="code")
    if not name:
        raise InvalidInput(_("名称不能为空"), field="name")
    if Department.objects.filter(code=code).exists():
        raise InvalidInput(_("部门代码 %(code)s 已存在") % {"code": code}, field="code")
    served = _served_regions(actor, serves)
    department = Department(code=code, name=name, region=region, phone=phone.strip())
    department.full_clean(exclude=["serves"])
    department.save()
    department.serves.set(served)
    audit_record(
        actor=actor,
        action="department.create",
        obj=department,
        after=department_snapshot(department),
    )
    return department


@transaction.atomic
def department_update(
    *,
    actor,
    department: Department,
    name: str | None = None,
    serves: Iterable[Region] | None = None,
    phone: str | None = None,
    is_active: bool | None = None,
) -> Department:
    """Rename a department, change the regions it serves or its phone, or (de)activate it."""
    department = (
        Department.objects.select_for_update(of=("self",))
        .select_related("region")
        .get(pk=department.pk)
    )
    require_region_action(actor, Action.DEPARTMENT_CHANGE, department.region)
    before = department_snapshot(department)
    fields = []
    if name is not None:
        if not name.strip():
            raise InvalidInput(_("名称不能为空"), field="name")
        department.name = name.strip()
        fields.append("name")
    if phone is not None:
        department.phone = phone.strip()
        fields.append("phone")
    if is_active is not None:
        department.is_active = is_active
        fields.append("is_active")
    if fields:
        department.full_clean(exclude=["serves"])
        department.save(update_fields=fields)
    if serves is not None:
        department.serves.set(_served_regions(actor, serves))
    after = department_snapshot(department)
    if after == before:
        return department
    audit_record(
        actor=actor, action="department.update", obj=department, before=before, after=after
    )
    return department


@dataclass
class NewGridSpec:
    """One new grid of a redraw, checked and parsed."""

    code: str
    name: str
    parent: Region
    boundary: Any
    geom: BaseGeometry


def _redraw_old_grids(actor, old_grids: Iterable[Region], effective_on: dt.date) -> list[Region]:
    pks = [g.pk for g in old_grids]
    if not pks:
        raise InvalidInput(_("至少需要一个原网格"), field="old_grids")
    if len(set(pks)) != len(pks):
        raise InvalidInput(_("原网格有重复"), field="old_grids")
    olds = list(
        Region.objects.select_for_update(of=("self",))
        .filter(pk__in=pks)
        .select_related("parent")
        .order_by("code")
    )
    # Scope first, so an out-of-scope actor learns nothing from the other checks.
    for old in olds:
        require_region_action(actor, Action.REGION_REDRAW, old)
    for old in olds:
        if not old.is_grid:
            raise InvalidInput(_("%(code)s 不是网格") % {"code": old.code}, field="old_grids")
        if old.valid_to is not None:
            raise DomainError(
                _("网格 %(code)s 已停用或已安排于 %(day)s 停用，不能再调整")
                % {"code": old.code, "day": old.valid_to},
                code="retired",
            )
        if old.valid_from > effective_on:
            raise InvalidInput(
                _("生效日期 %(day)s 早于网格 %(code)s 的启用日期 %(start)s")
                % {"day": effective_on, "code": old.code, "start": old.valid_from},
                field="effective_on",
            )
        if not old.boundary:
            raise InvalidInput(
                _("网格 %(code)s 没有边界，无法调整") % {"code": old.code}, field="old_grids"
            )
    return olds


def _resolve_parent(value: Region | str | None, default: Region | None) -> Region | None:
    if value is None or value == "":
        return default
    if isinstance(value, Region):
        return value
    parent = Region.objects.filter(code=str(value).strip()).first()
    if parent is None:
        raise NotFound(_("区域 %(code)s 不存在") % {"code": value})
    return parent


def _redraw_new_specs(
    actor, new_grids: Sequence[Mapping[str, Any]], olds: list[Region], effective_on: dt.date
) -> list[NewGridSpec]:
    if not new_grids:
        raise InvalidInput(_("至少需要一个新网格"), field="new_grids")
    parent_ids = {old.parent_id for old in olds}
    common_parent = olds[0].parent if len(parent_ids) == 1 else None
    parent_geoms: dict[int, BaseGeometry | None] = {}
    specs: list[NewGridSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(new_grids):
        field = f"new_grids[{index}]"
        code = str(item.get("code") or "").strip()
        name = str(item.get("name") or "").strip()
        label = code or str(index + 1)
        if not name:
            raise InvalidInput(
                _("新网格 %(code)s 缺少名称") % {"code": label}, field=f"{field}.name"
            )
        if code in seen:
            raise InvalidInput(
                _("新网格代码 %(code)s 重复") % {"code": code}, field=f"{field}.code"
            )
        seen.add(code)
        parent = _resolve_parent(item.get("parent"), common_parent)
        if parent is None:
            raise InvalidInput(
                _("原网格不属于同一个上级，须为新网格 %(code)s 指定上级") % {"code": label},
                field=f"{field}.parent",
            )
        require_region_action(actor, Action.REGION_REDRAW, parent)
        if parent.valid_to is not None and parent.valid_to <= effective_on:
            raise InvalidInput(
                _("上级区域 %(code)s 在生效日期已停用") % {"code": parent.code},
                field=f"{field}.parent",
            )
        if Region.objects.filter(code=code).exists():
            raise InvalidInput(
                _("代码 %(code)s 已被使用（包括已停用的网格），新网格须用新代码") % {"code": code},
                field=f"{field}.code",
            )
        boundary = item.get("boundary")
        if boundary is None:
            raise InvalidInput(
                _("新网格 %(code)s 缺少边界") % {"code": label}, field=f"{field}.boundary"
            )
        if parent.pk not in parent_geoms:
            parent_geoms[parent.pk] = parse_boundary(parent.boundary) if parent.boundary else None
        problem_field, message = validate_region(
            code=code,
            level=Level.GRID,
            parent=parent,
            boundary=boundary,
            parent_geom=parent_geoms[parent.pk],
        )
        if message:
            raise InvalidInput(
                _("新网格 %(code)s：%(message)s") % {"code": label, "message": message},
                field=f"{field}.{problem_field}",
            )
        specs.append(NewGridSpec(code, name, parent, boundary, parse_boundary(boundary)))
    return specs


def _check_redraw_counts(kind: str, olds: int, news: int) -> None:
    if kind == RedrawKind.SPLIT and (olds != 1 or news < 2):
        raise InvalidInput(_("拆分须是一个原网格变为两个或更多新网格"), field="kind")
    if kind == RedrawKind.MERGE and (olds < 2 or news != 1):
        raise InvalidInput(_("合并须是两个或更多原网格变为一个新网格"), field="kind")


def _check_tiling(old_geoms: list[BaseGeometry], specs: list[NewGridSpec]) -> None:
    """The new grids cover exactly the old grids' area and do not overlap (within tolerance)."""
    old_union = shapely.union_all(old_geoms)
    new_geoms = [spec.geom for spec in specs]
    new_union = shapely.union_all(new_geoms)
    total = area_km2(old_union)
    tolerance = total * REDRAW_TOLERANCE_SHARE
    missing = area_km2(old_union.difference(new_union))
    extra = area_km2(new_union.difference(old_union))
    if missing > tolerance or extra > tolerance:
        raise InvalidInput(
            _(
                "新网格须恰好覆盖原网格的范围：缺少约 %(missing).0f 平方米（%(missing_pct).2f%%），"
                "多出约 %(extra).0f 平方米（%(extra_pct).2f%%），容差为面积的 %(tol).1f%%"
            )
            % {
                "missing": missing * 1e6,
                "missing_pct": missing / total * 100,
                "extra": extra * 1e6,
                "extra_pct": extra / total * 100,
                "tol": REDRAW_TOLERANCE_SHARE * 100,
            },
            field="new_grids",
        )
    overlap_total = sum(area_km2(g) for g in new_geoms) - area_km2(new_union)
    if overlap_total <= tolerance:
        return
    tree = shapely.STRtree(new_geoms)
    left, right = tree.query(new_geoms, predicate="intersects")
    worst, worst_area = (0, 0), -1.0
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i < j and (area := area_km2(new_geoms[i].intersection(new_geoms[j]))) > worst_area:
            worst, worst_area = (i, j), area
    raise InvalidInput(
        _("新网格之间不能重叠：%(a)s 与 %(b)s 重叠约 %(area).0f 平方米")
        % {"a": specs[worst[0]].code, "b": specs[worst[1]].code, "area": worst_area * 1e6},
        field="new_grids",
    )


def _overlaps(
    old_geoms: list[BaseGeometry], new_geoms: list[BaseGeometry]
) -> dict[tuple[int, int], float]:
    """{(old index, new index): area in km² they share}, for the pairs that meet."""
    tree = shapely.STRtree(new_geoms)
    old_idx, new_idx = tree.query(old_geoms, predicate="intersects")
    return {
        (i, j): area_km2(old_geoms[i].intersection(new_geoms[j]))
        for i, j in zip(old_idx.tolist(), new_idx.tolist(), strict=True)
    }


def _redraw_moment(effective_on: dt.date) -> dt.datetime:
    """When assignments move: the start of the effective day, or now if that has passed."""
    start = timezone.make_aware(dt.datetime.combine(effective_on, dt.time.min))
    return max(timezone.now(), start)


@transaction.atomic
def redraw_grids(
    *,
    actor,
    kind: str,
    old_grids: Iterable[Region],
    new_grids: Sequence[Mapping[str, Any]],
    effective_on: dt.date | None = None,
    note: str = "",
    workers: Mapping[str, Any] | None = None,
) -> Redraw:
    """Split, merge or replace grids in one operation, all of it or nothing.

    Old grids are retired on `effective_on` (never deleted), the new ones start that day, and
    each old -> new pair is linked with the share of the old grid's area the new one took.
    Workers of the old grids are released; each new grid gets as primary the primary worker
    of the old grid it overlaps most, unless `workers` ({new code: user or None}) says
    otherwise. Then every app's re-home hook moves its records, inside this transaction.
    `new_grids` items are {code, name, boundary, parent (optional: the old grids' parent)}.
    """
    effective_on = effective_on or timezone.localdate()
    if kind not in RedrawKind.values:
        raise InvalidInput(
            _("调整类型应为 %(kinds)s 之一") % {"kinds": ", ".join(RedrawKind.values)},
            field="kind",
        )
    olds = _redraw_old_grids(actor, old_grids, effective_on)
    specs = _redraw_new_specs(actor, new_grids, olds, effective_on)
    _check_redraw_counts(kind, len(olds), len(specs))
    old_geoms = [parse_boundary(old.boundary) for old in olds]
    _check_tiling(old_geoms, specs)
    chosen = dict(workers or {})
    if unknown := sorted(set(chosen) - {spec.code for spec in specs}):
        raise InvalidInput(
            _("指定网格员的网格 %(codes)s 不在新网格之中") % {"codes": ", ".join(unknown)},
            field="workers",
        )
    for user in chosen.values():
        if user is not None and not user.is_active:
            raise InvalidInput(_("账号 %(name)s 已停用") % {"name": user.username}, field="workers")

    redraw = Redraw.objects.create(kind=kind, effective_on=effective_on, note=note, actor=actor)
    reason = _("网格调整 #%(id)s") % {"id": redraw.pk}
    for old in olds:
        before = region_snapshot(old)
        old.valid_to = effective_on
        old.save(update_fields=["valid_to", "updated_at"])
        audit_record(
            actor=actor,
            action="region.retire",
            obj=old,
            before=before,
            after=region_snapshot(old),
            reason=reason,
        )
    created = [
        region_create(
            actor=actor,
            code=spec.code,
            name=spec.name,
            level=Level.GRID,
            parent=spec.parent,
            boundary=spec.boundary,
            valid_from=effective_on,
        )
        for spec in specs
    ]

    overlap = _overlaps(old_geoms, [spec.geom for spec in specs])
    news_of: dict[int, list[int]] = {}
    olds_of: dict[int, list[int]] = {}
    for i, j in overlap:
        news_of.setdefault(i, []).append(j)
        olds_of.setdefault(j, []).append(i)
    links = []
    for i, old in enumerate(olds):
        old_area = area_km2(old_geoms[i])
        shares = [(overlap[i, j] / old_area, j) for j in news_of.get(i, [])]
        kept = [(share, j) for share, j in shares if share >= REDRAW_LINK_MIN_SHARE]
        if not kept:
            # An old grid smaller than the tolerance still maps somewhere: never orphaned.
            nearest = min(
                range(len(specs)),
                key=lambda j: (specs[j].geom.distance(old_geoms[i]), specs[j].code),
            )
            kept = [(overlap.get((i, nearest), 0.0) / old_area, nearest)]
        for share, j in kept:
            links.append(
                RedrawLink(redraw=redraw, old=old, new=created[j], overlap_share=round(share, 6))
            )
    RedrawLink.objects.bulk_create(links)

    moment = _redraw_moment(effective_on)
    primaries: dict[int, Any] = {}
    released = []
    for i, old in enumerate(olds):
        rows = (
            GridAssignment.objects.select_for_update(of=("self",))
            .filter(grid=old, ended_at__isnull=True)
            .select_related("grid", "worker")
        )
        for row in rows:
            if row.is_primary:
                primaries[i] = row.worker
            _end_assignment(actor=actor, assignment=row, at=moment, reason=reason)
            _sync_worker_membership(grid=old, worker=row.worker, at=moment)
            released.append([old.code, row.worker.username, row.is_primary])
    carried: dict[str, str | None] = {}
    for j, grid in enumerate(created):
        if grid.code in chosen:
            worker = chosen[grid.code]
        else:
            # The old grids this one took most from, largest first (areas equal to the square
            # metre tie, and the smaller code wins); the first of them that had a primary.
            ranked = sorted(
                (i for i in olds_of.get(j, []) if overlap[i, j] > 0),
                key=lambda i: (-round(overlap[i, j], 6), olds[i].code),
            )
            worker = next((primaries[i] for i in ranked if i in primaries), None)
        if worker is not None:
            _assign(
                actor=actor, grid=grid, worker=worker, is_primary=True, at=moment, reason=reason
            )
        carried[grid.code] = worker.username if worker is not None else None

    bump_boundary_version()
    rehomed = run_rehome(redraw, olds, created, GridLocator(created))
    audit_record(
        actor=actor,
        action="region.redraw",
        obj=redraw,
        after={
            "kind": kind,
            "effective_on": effective_on,
            "note": note,
            "old": [old.code for old in olds],
            "new": [grid.code for grid in created],
            "links": [[link.old.code, link.new.code, link.overlap_share] for link in links],
            "workers": carried,
            "released": released,
            "rehome": rehomed,
        },
    )
    return redraw
