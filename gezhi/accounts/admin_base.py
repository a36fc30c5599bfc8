"""What every Gezhi admin page shares: permissions from roles and scope, and audited writes.

The Django admin's own per-model permissions are not used: an operator's memberships decide,
as everywhere else (`roles.ROLE_ACTIONS`, `scoping.user_scope`). "Staff status" only lets an
account open the admin at all. Nothing is ever deleted through the admin.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gezhi.accounts.scoping import Scope, user_scope
from gezhi.core.audit import audit_record


class RoleAdmin(admin.ModelAdmin):
    """A ModelAdmin whose permissions come from roles and scope.

    `view_action` lets a role see the rows in its scope, `change_action` (and `add_action`,
    which defaults to it) lets it write them; None means nobody, superusers included.
    """

    view_action: str | None = None
    change_action: str | None = None
    add_action: str | None = None

    def scope(self, request, action: str | None) -> Scope:
        if action is None:
            return Scope(everywhere=False, paths=())
        return user_scope(request.user, action)

    def scope_queryset(self, queryset, scope: Scope):
        """Rows of `queryset` inside `scope`; override for models tied to a region."""
        return queryset if scope.everywhere else queryset.none()

    def in_scope(self, obj, scope: Scope) -> bool:
        """Whether `obj` lies inside `scope`; override for models tied to a region."""
        return scope.everywhere

    def _allowed(self, request, action, obj=None) -> bool:
        scope = self.scope(request, action)
        if scope.empty:
            return False
        return obj is None or self.in_scope(obj, scope)

    def get_queryset(self, request):
        return self.scope_queryset(
            super().get_queryset(request), self.scope(request, self.view_action)
        )

    def has_module_permission(self, request):
        return self._allowed(request, self.view_action)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, self.view_action, obj) or self.has_change_permission(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, self.change_action, obj)

    def has_add_permission(self, request):
        return self._allowed(request, self.add_action or self.change_action)

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdmin(RoleAdmin):
    """A RoleAdmin whose saves land in the audit log with before/after snapshots.

    For models that have no service yet; admins of models that do call the service instead.
    """

    audit_prefix: str = ""

    def audit_snapshot(self, obj) -> dict:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        if change:
            stored = type(obj)._default_manager.get(pk=obj.pk)
            request._gezhi_audit_before = self.audit_snapshot(stored)
        else:
            request._gezhi_audit_before = None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields and inlines are saved here, after save_model: the snapshot is
        # taken once everything is in place, inside the admin's transaction.
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_gezhi_audit_before", None)
        after = self.audit_snapshot(form.instance)
        if change and before == after:
            return
        audit_record(
            actor=request.user,
            action=f"{self.audit_prefix}.{'update' if change else 'create'}",
            obj=form.instance,
            before=before,
            after=after,
            reason="admin",
        )


def domain_error_message(exc) -> str:
    """The message of a DomainError or a Django PermissionDenied, for admin messages."""
    return getattr(exc, "message", None) or str(exc) or exc.__class__.__name__


class ReadOnlyInline(admin.TabularInline):
    """An inline that shows rows of a page the operator may already see, and never writes."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return True  # the page holding the inline is already limited by scope

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def adopt(obj, saved) -> None:
    """Make the admin's unsaved `obj` stand for the row a service just saved."""
    obj.pk = saved.pk
    obj._state.adding = False
    obj._state.db = saved._state.db


def with_actor(form_class, request):
    """The form class with the acting user attached, for forms whose checks call services."""
    return type(form_class.__name__, (form_class,), {"actor": request.user})


class InForceFilter(admin.SimpleListFilter):
    """A list filter: rows in force now, or the others (ended, retired, not started)."""

    title = _("状态")
    parameter_name = "current"
    in_force_label = _("现行")
    ended_label = _("已结束")

    def in_force(self, manager):
        """The rows in force, from the model's manager."""
        raise NotImplementedError

    def lookups(self, request, model_admin):
        return [("yes", self.in_force_label), ("no", self.ended_label)]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        in_force = self.in_force(queryset.model._default_manager).values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=in_force)
        return queryset.exclude(pk__in=in_force)
