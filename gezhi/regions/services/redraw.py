"""Redrawing grids: split, merge or replace as one operation, with old → new recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import shapely
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gezhi.accounts.roles import Action
from gezhi.core.audit import audit_record
from gezhi.core.errors import DomainError, InvalidInput, NotFound
from gezhi.regions.choices import Level, RedrawKind
from gezhi.regions.geometry import area_km2, parse_boundary
from gezhi.regions.models import (
    GridAssignment,
    Redraw,
    RedrawLink,
    Region,
)
from gezhi.regions.rehome import GridLocator, run_rehome
from gezhi.regions.services.tree import (
    bump_boundary_version,
    region_create,
    region_snapshot,
    validate_region,
)
from gezhi.regions.services.workers import (
    _assign,
    _end_assignment,
    _sync_worker_membership,
    require_region_action,
)

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry


# A redraw's new grids must cover the old ones to within this share of their area (digitised
# boundaries never meet exactly), and may overlap each other by no more than that.
REDRAW_TOLERANCE_SHARE = 0.001
# An old grid is linked to a new one that took at least this share of its area; smaller
# slivers are digitising noise, not part of the mapping.
REDRAW_LINK_MIN_SHARE = 0.001


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
