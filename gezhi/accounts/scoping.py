"""The one scoping mechanism: which subtrees of the region tree a user may act on.

Every selector filters through `scope_q`; an object outside scope is answered like a missing
one (`NotFound`), in pages and API alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from gezhi.accounts.choices import Role
from gezhi.accounts.roles import role_allows


@dataclass(frozen=True)
class Scope:
    """The region paths a user may act on for one action; `everywhere` for a deployment admin."""

    everywhere: bool
    paths: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.everywhere and not self.paths

    def covers(self, path: str) -> bool:
        return self.everywhere or any(path.startswith(p) for p in self.paths)

    def q(self, path_field: str = "path") -> Q:
        """A filter on `path_field` (a materialised region path) for rows in scope."""
        if self.everywhere:
            return Q()
        if not self.paths:
            return Q(pk__in=[])
        q = Q()
        for path in self.paths:
            q |= Q(**{f"{path_field}__startswith": path})
        return q


NOWHERE = Scope(everywhere=False, paths=())


def _collapse(paths: set[str]) -> tuple[str, ...]:
    """Drop paths already covered by a shorter one."""
    kept: list[str] = []
    for path in sorted(paths, key=len):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return tuple(sorted(kept))


def user_scope(user, action: str) -> Scope:
    """Where `user` may do `action`, from their current memberships (cached on the user)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOWHERE
    cache = user.__dict__.setdefault("_gezhi_scopes", {})
    if action in cache:
        return cache[action]
    if user.is_superuser:
        cache[action] = Scope(everywhere=True, paths=())
        return cache[action]
    paths: set[str] = set()
    everywhere = False
    for membership in _current_memberships(user):
        if not role_allows(membership.role, action):
            continue
        if membership.region_id:
            paths.add(membership.region.path)
        elif membership.department_id:
            department = membership.department
            paths.update(r.path for r in department.serves.all())
            paths.add(department.region.path)
        elif membership.role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR):
            everywhere = True
    scope = Scope(everywhere=everywhere, paths=() if everywhere else _collapse(paths))
    cache[action] = scope
    return scope


def _current_memberships(user) -> list:
    """The user's current memberships with their regions and departments, read once per user
    object: a page that asks for several actions (view, reveal, export...) queries them once."""
    cached = user.__dict__.get("_gezhi_memberships")
    if cached is None:
        cached = list(
            user.memberships.current()
            .select_related("region", "department__region")
            .prefetch_related("department__serves")
        )
        user.__dict__["_gezhi_memberships"] = cached
    return cached


def user_roles(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    return {membership.role for membership in _current_memberships(user)}


def forget_scopes(user) -> None:
    """Drop cached scopes after the user's memberships change."""
    for key in ("_gezhi_scopes", "_gezhi_memberships"):
        user.__dict__.pop(key, None)
