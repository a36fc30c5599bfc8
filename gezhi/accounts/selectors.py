"""Reads of accounts and memberships, always through the reader's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from gezhi.accounts.models import Membership, MembershipQuerySet, User
from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import Scope, user_scope


def memberships_in_scope(scope: Scope) -> MembershipQuerySet:
    """Memberships whose region (or department's region) lies in `scope`."""
    if scope.everywhere:
        return Membership.objects.all()
    if scope.empty:
        return Membership.objects.none()
    return Membership.objects.filter(scope.q("region__path") | scope.q("department__region__path"))


def users_for_user(user, action: str = Action.USER_VIEW) -> QuerySet[User]:
    """Accounts the user may see (or manage): those holding a current membership in scope.

    A deployment-wide scope sees every account, including those with no membership yet.
    """
    scope = user_scope(user, action)
    if scope.everywhere:
        return User.objects.all()
    if scope.empty:
        return User.objects.none()
    holders = memberships_in_scope(scope).current().values("user_id")
    return User.objects.filter(pk__in=holders)


def memberships_for_user(user, action: str = Action.USER_VIEW) -> MembershipQuerySet:
    """Memberships (current and past) at regions or departments in the user's scope."""
    return memberships_in_scope(user_scope(user, action))


def user_in_reach(scope: Scope, user: User) -> bool:
    """Whether an account manager with `scope` may act on `user`.

    Reachable: any account for a deployment-wide scope; otherwise an account with a current
    membership in scope, or one with no current membership at all (newly created, or between
    posts), so a county's security administrator can take on the accounts they create.
    """
    if scope.everywhere:
        return True
    if scope.empty:
        return False
    current = Membership.objects.current().filter(user=user)
    if not current.exists():
        return True
    return memberships_in_scope(scope).filter(pk__in=current.values("pk")).exists()
