"""Reads of the region tree, always through the user's scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import user_scope
from gezhi.core.errors import NotFound
from gezhi.regions.models import Department, GridAssignment, Redraw, Region


def regions_for_user(user, action: str = Action.REGION_VIEW) -> QuerySet[Region]:
    """Regions in the subtrees of the user's memberships (for `action`)."""
    return Region.objects.filter(user_scope(user, action).q("path"))


def region_visible_ancestors(user, region: Region) -> list[Region]:
    """Ancestors the user may open (for breadcrumbs): those inside the user's scope."""
    scope = user_scope(user, Action.REGION_VIEW)
    return [a for a in region.ancestors() if scope.covers(a.path)]


def access_region(user, code: str, action: str = Action.REGION_VIEW) -> Region:
    """The region with `code` if the user may do `action` on it; NotFound otherwise."""
    region = regions_for_user(user, action).filter(code=code).first()
    if region is None:
        raise NotFound(_("区域 %(code)s 不存在") % {"code": code})
    return region


def region_search(user, query: str, *, limit: int = 50) -> QuerySet[Region]:
    """Regions whose name contains `query` or whose code starts with it."""
    query = query.strip()
    qs = regions_for_user(user)
    if not query:
        return qs.none()
    return qs.filter(Q(name__contains=query) | Q(code__startswith=query)).order_by("depth", "code")[
        :limit
    ]


def region_roots_for_user(user) -> QuerySet[Region]:
    """The top regions a user sees: their scope's roots, or the tree's roots for admins."""
    scope = user_scope(user, Action.REGION_VIEW)
    if scope.everywhere:
        return Region.objects.filter(parent__isnull=True)
    return Region.objects.filter(path__in=scope.paths)


def current_workers(grid: Region) -> QuerySet[GridAssignment]:
    return grid.assignments.current().select_related("worker").order_by("-is_primary")


def departments_for_user(user, action: str = Action.DEPARTMENT_VIEW) -> QuerySet[Department]:
    """Departments owned by a region in the user's scope."""
    return Department.objects.filter(user_scope(user, action).q("region__path")).select_related(
        "region"
    )


def redraws_for_user(user, action: str = Action.REGION_VIEW) -> QuerySet[Redraw]:
    """Redraws that retired or created at least one grid in the user's scope, newest first."""
    scope = user_scope(user, action)
    redraws = Redraw.objects.filter(
        scope.q("links__old__path") | scope.q("links__new__path")
    ).distinct()
    return redraws.select_related("actor").prefetch_related("links__old", "links__new")
