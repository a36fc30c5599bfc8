"""Grid workers and departments (functional grids): assignments with history, and departments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

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
from gezhi.regions.models import (
    Department,
    GridAssignment,
    Region,
)

if TYPE_CHECKING:
    pass


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
