"""Every write to accounts and memberships.

三权分立 (separation of duties): only a security administrator (or a superuser) creates
accounts, grants and ends memberships and unlocks accounts; the system administrator manages
the registers and regions, the auditor only reads the audit log. No one may grant roles to
themselves, and no account holds two of the three administrator roles at once.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gezhi.accounts.choices import Role
from gezhi.accounts.models import Membership, User
from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import Scope, forget_scopes, user_scope
from gezhi.accounts.selectors import user_in_reach
from gezhi.core.audit import audit_record
from gezhi.core.errors import DomainError, InvalidInput, NotFound
from gezhi.regions.models import Department, Region

# The three administrator roles of 三权分立; one account holds at most one of them.
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})
# Roles that only make sense at a place, and the one that only makes sense at a department.
REGION_ROLES = frozenset({Role.REGION_MANAGER, Role.GRID_WORKER, Role.HOTLINE_AGENT})
DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_STAFF})


def user_snapshot(user: User) -> dict:
    """What the audit log keeps of an account (never the password hash)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "failed_logins": user.failed_logins,
        "locked_until": user.locked_until,
    }


def membership_snapshot(membership: Membership) -> dict:
    return {
        "user": membership.user.username,
        "role": membership.role,
        "region": membership.region.code if membership.region else None,
        "department": membership.department.code if membership.department else None,
        "valid_from": membership.valid_from,
        "valid_to": membership.valid_to,
    }


def account_manager_scope(actor) -> Scope:
    """Where `actor` may manage accounts; PermissionDenied if nowhere (三权分立)."""
    scope = user_scope(actor, Action.USER_MANAGE)
    if scope.empty:
        raise PermissionDenied(_("只有安全管理员可以管理账号和任职。"))
    return scope


def _check_reach(scope: Scope, user: User) -> None:
    if not user_in_reach(scope, user):
        raise NotFound(_("账号 %(name)s 不存在") % {"name": user.username})


def check_membership_grant(
    *, actor, user: User, role: str, region: Region | None, department: Department | None
) -> None:
    """Raise the reason `actor` may not grant this membership, or return quietly.

    Used by `membership_grant` and by forms that want the reason before saving.
    """
    scope = account_manager_scope(actor)
    _check_reach(scope, user)
    if actor is not None and actor.pk == user.pk:
        raise PermissionDenied(_("不能给自己授予角色。"))
    if role not in Role.values:
        raise InvalidInput(_("未知的角色 %(role)s") % {"role": role}, field="role")
    if region is not None and department is not None:
        raise InvalidInput(
            _("任职只能在一个区域或一个部门，不能同时指定两者。"), field="department"
        )
    if role in REGION_ROLES and region is None:
        raise InvalidInput(_("%(role)s 须指定区域。") % {"role": Role(role).label}, field="region")
    if role in DEPARTMENT_ROLES and department is None:
        raise InvalidInput(
            _("%(role)s 须指定部门。") % {"role": Role(role).label}, field="department"
        )
    if role not in DEPARTMENT_ROLES and department is not None:
        raise InvalidInput(
            _("%(role)s 不能在部门任职。") % {"role": Role(role).label}, field="department"
        )
    if region is not None:
        where_path = region.path
    elif department is not None:
        where_path = department.region.path
    else:
        where_path = None
    if where_path is None and not scope.everywhere:
        raise PermissionDenied(_("只有全域的安全管理员可以授予不限区域的角色。"))
    if where_path is not None and not scope.covers(where_path):
        raise NotFound(_("区域不存在"))
    current = Membership.objects.current().filter(user=user)
    if role in ADMIN_ROLES:
        others = current.filter(role__in=ADMIN_ROLES).exclude(role=role)
        if others.exists():
            raise DomainError(
                _("三权分立：同一账号不能同时担任系统管理员、安全管理员、审计员中的两个。"),
                field="role",
            )
    if current.filter(role=role, region=region, department=department).exists():
        raise DomainError(_("该账号已有这一任职。"), field="role")


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    password: str | None,
    display_name: str = "",
    phone: str = "",
    email: str = "",
    is_staff: bool = False,
) -> User:
    """Open an account. The password must pass the password rules; None makes a login-less one."""
    account_manager_scope(actor)
    username = username.strip()
    if not username:
        raise InvalidInput(_("用户名不能为空"), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(_("用户名 %(name)s 已存在") % {"name": username}, field="username")
    user = User(
        username=username,
        display_name=display_name.strip(),
        phone=phone.strip(),
        email=email.strip(),
        is_staff=is_staff,
    )
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), field="password") from None
        user.set_password(password)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(" ".join(messages), field=field) from None
    user.save()
    audit_record(actor=actor, action="user.create", obj=user, after=user_snapshot(user))
    return user


@transaction.atomic
def user_unlock(*, actor, user: User, reason: str = "") -> User:
    """Lift a login lockout before it runs out, and clear the failure count."""
    _check_reach(account_manager_scope(actor), user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_locked and not user.failed_logins:
        raise DomainError(_("账号 %(name)s 未被锁定。") % {"name": user.username})
    before = user_snapshot(user)
    user.failed_logins, user.locked_until = 0, None
    user.save(update_fields=["failed_logins", "locked_until"])
    audit_record(
        actor=actor,
        action="user.unlock",
        obj=user,
        before=before,
        after=user_snapshot(user),
        reason=reason,
    )
    return user


@transaction.atomic
def membership_grant(
    *,
    actor,
    user: User,
    role: str,
    region: Region | None = None,
    department: Department | None = None,
    valid_from: dt.datetime | None = None,
) -> Membership:
    """Give `user` a role at a region (and its subtree), at a department, or deployment-wide."""
    check_membership_grant(actor=actor, user=user, role=role, region=region, department=department)
    membership = Membership(
        user=user,
        role=role,
        region=region,
        department=department,
        valid_from=valid_from or timezone.now(),
    )
    membership.full_clean()
    membership.save()
    forget_scopes(user)
    audit_record(
        actor=actor,
        action="membership.grant",
        obj=membership,
        after=membership_snapshot(membership),
    )
    return membership


@transaction.atomic
def membership_end(
    *, actor, membership: Membership, at: dt.datetime | None = None, reason: str = ""
) -> Membership:
    """End a membership (it stays as history); the user loses the role from `at` (now)."""
    scope = account_manager_scope(actor)
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "region", "department__region")
        .get(pk=membership.pk)
    )
    where = membership.region or (membership.department.region if membership.department else None)
    if (where is None and not scope.everywhere) or (where and not scope.covers(where.path)):
        raise NotFound(_("任职不存在"))
    at = at or timezone.now()
    if membership.valid_to is not None and membership.valid_to <= at:
        raise DomainError(_("该任职已经结束。"))
    before = membership_snapshot(membership)
    membership.valid_to = at
    membership.save(update_fields=["valid_to"])
    forget_scopes(membership.user)
    audit_record(
        actor=actor,
        action="membership.end",
        obj=membership,
        before=before,
        after=membership_snapshot(membership),
        reason=reason,
    )
    return membership
