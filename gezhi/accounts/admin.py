"""Operators' admin for accounts and memberships: the security administrator's desk.

Accounts are created, granted roles and unlocked through the services, so the checks of
三权分立 and the audit entries are the same as anywhere else.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework.authtoken.models import TokenProxy

from gezhi.accounts.admin_base import (
    AuditedAdmin,
    InForceFilter,
    ReadOnlyInline,
    RoleAdmin,
    adopt,
    domain_error_message,
    with_actor,
)
from gezhi.accounts.models import Membership, User
from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import Scope, user_scope
from gezhi.accounts.selectors import memberships_in_scope, user_in_reach
from gezhi.accounts.services import (
    check_membership_grant,
    membership_end,
    membership_grant,
    user_create,
    user_snapshot,
    user_unlock,
)
from gezhi.accounts.views import AdminLoginForm
from gezhi.core.audit import audit_record
from gezhi.core.errors import DomainError

# The admin's login goes through the same lockout and says the same thing when locked.
admin.site.login_form = AdminLoginForm
# Roles come from memberships; Django's groups would be a second, unscoped permission system.
admin.site.unregister(Group)
# Token keys are credentials: `gezhi token USERNAME` hands them out, the admin never shows them.
admin.site.unregister(TokenProxy)


class MembershipGrantForm(forms.ModelForm):
    """Checks a new membership with the service's rules, so the form shows the reason."""

    actor = None  # set per request by the admin

    class Meta:
        model = Membership
        fields = ["user", "role", "region", "department", "valid_from"]

    def clean(self):
        cleaned = super().clean()
        user = cleaned.get("user") or getattr(self.instance, "user", None)
        if self.errors or user is None or not cleaned.get("role"):
            return cleaned
        try:
            check_membership_grant(
                actor=self.actor,
                user=user,
                role=cleaned["role"],
                region=cleaned.get("region"),
                department=cleaned.get("department"),
            )
        except (DomainError, PermissionDenied) as exc:
            field = getattr(exc, "field", None)
            self.add_error(field if field in self.fields else None, domain_error_message(exc))
        return cleaned


class CurrentMembershipInline(ReadOnlyInline):
    """The account's memberships, past and present, read-only (end one from 任职)."""

    model = Membership
    fk_name = "user"
    fields = ["role", "region", "department", "valid_from", "valid_to"]
    readonly_fields = fields
    ordering = ["-valid_from"]
    verbose_name = _("任职")
    verbose_name_plural = _("任职（现有与历史）")


class NewMembershipInline(admin.TabularInline):
    """Blank rows to grant new memberships; each goes through `membership_grant`."""

    model = Membership
    fk_name = "user"
    form = MembershipGrantForm
    fields = ["role", "region", "department"]
    autocomplete_fields = ["region", "department"]
    extra = 1
    can_delete = False
    verbose_name = _("新任职")
    verbose_name_plural = _("授予新任职")

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["form"] = with_actor(self.form, request)
        return super().get_formset(request, obj, **kwargs)

    def has_view_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return obj is not None and obj.pk != request.user.pk and self._manages(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _manages(self, request) -> bool:
        return not user_scope(request.user, Action.USER_MANAGE).empty


class LockedFilter(admin.SimpleListFilter):
    title = _("登录锁定")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", _("已锁定")), ("no", _("未锁定"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(locked_until__gt=now)
        if self.value() == "no":
            return queryset.exclude(locked_until__gt=now)
        return queryset


class UserCreateForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "phone", "is_staff")


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    """Accounts: create, edit, reset passwords and unlock (security administrator)."""

    view_action = Action.USER_VIEW
    change_action = Action.USER_MANAGE
    audit_prefix = "user"

    add_form = UserCreateForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("display_name", "phone", "email")}),
        (_("状态"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (
            _("登录安全"),
            {
                "fields": (
                    "failed_logins",
                    "locked_until",
                    "password_changed_at",
                    "last_login",
                    "date_joined",
                )
            },
        ),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "display_name",
                    "phone",
                    "is_staff",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = (
        "failed_logins",
        "locked_until",
        "password_changed_at",
        "last_login",
        "date_joined",
    )
    list_display = (
        "username",
        "display_name",
        "is_active",
        "is_staff",
        "locked",
        "failed_logins",
        "last_login",
    )
    list_filter = ("is_active", "is_staff", LockedFilter, "memberships__role")
    search_fields = ("username", "display_name", "email")
    ordering = ("username",)
    filter_horizontal = ()
    actions = ["unlock"]

    @admin.display(boolean=True, description=_("已锁定"))
    def locked(self, obj):
        return obj.is_locked

    def get_inlines(self, request, obj):
        return [] if obj is None else [CurrentMembershipInline, NewMembershipInline]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields.append("is_superuser")  # only a superuser makes another
        return fields

    def get_queryset(self, request):
        # Accounts holding a membership in the operator's scope; account managers also see
        # accounts with no current membership (new, or between posts) so they can place them.
        queryset = admin.ModelAdmin.get_queryset(self, request)
        view = self.scope(request, self.view_action)
        manage = self.scope(request, Action.USER_MANAGE)
        if view.everywhere or manage.everywhere:
            return queryset
        current = Membership.objects.current()
        visible = Q(pk__in=memberships_in_scope(view).current().values("user_id"))
        if not manage.empty:
            visible |= Q(pk__in=memberships_in_scope(manage).current().values("user_id"))
            visible |= ~Q(pk__in=current.values("user_id"))
        return queryset.filter(visible)

    def in_scope(self, obj, scope: Scope) -> bool:
        return user_in_reach(scope, obj)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_manage_permission(self, request):
        return not self.scope(request, Action.USER_MANAGE).empty

    def audit_snapshot(self, obj) -> dict:
        return user_snapshot(obj)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        password = form.cleaned_data.get("password1")
        if not form.cleaned_data.get("set_usable_password", True):
            password = None
        user = user_create(
            actor=request.user,
            username=obj.username,
            password=password,
            display_name=obj.display_name,
            phone=obj.phone,
            is_staff=obj.is_staff,
        )
        adopt(obj, user)

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)
        else:  # user_create has written the audit entry
            admin.ModelAdmin.save_related(self, request, form, formsets, change)
        request._gezhi_audited = True

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.extra_forms:
            if not row.has_changed():
                continue
            formset.new_objects.append(
                membership_grant(
                    actor=request.user,
                    user=form.instance,
                    role=row.cleaned_data["role"],
                    region=row.cleaned_data.get("region"),
                    department=row.cleaned_data.get("department"),
                )
            )

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():
            return super().user_change_password(request, id, form_url)

    def log_change(self, request, obj, message):
        # The password form saves without save_model/save_related: audit it here.
        if not getattr(request, "_gezhi_audited", False):
            audit_record(
                actor=request.user,
                action="user.password_set",
                obj=obj,
                after={"usable_password": obj.has_usable_password()},
                reason="admin",
            )
        return super().log_change(request, obj, message)

    @admin.action(description=_("解除所选账号的登录锁定"), permissions=["manage"])
    def unlock(self, request, queryset):
        done = 0
        for user in queryset:
            try:
                user_unlock(actor=request.user, user=user, reason="admin")
            except (DomainError, PermissionDenied) as exc:
                self.message_user(
                    request, f"{user.username}: {domain_error_message(exc)}", messages.WARNING
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("已解除 %(n)d 个账号的锁定。", "已解除 %(n)d 个账号的锁定。", done)
                % {"n": done},
                messages.SUCCESS,
            )


class CurrentFilter(InForceFilter):
    in_force_label = _("现任")

    def in_force(self, manager):
        return manager.current()


@admin.register(Membership)
class MembershipAdmin(RoleAdmin):
    """Memberships: grant (add) and end (action); a membership is never edited or deleted."""

    view_action = Action.USER_VIEW
    add_action = Action.USER_MANAGE
    form = MembershipGrantForm
    autocomplete_fields = ["user", "region", "department"]
    list_display = ("user", "role", "region", "department", "valid_from", "valid_to")
    list_filter = ("role", CurrentFilter)
    list_select_related = ("user", "region", "department")
    search_fields = (
        "user__username",
        "user__display_name",
        "region__code",
        "region__name",
        "department__name",
    )
    actions = ["end"]

    def scope_queryset(self, queryset, scope: Scope):
        return queryset.filter(pk__in=memberships_in_scope(scope).values("pk"))

    def in_scope(self, obj, scope: Scope) -> bool:
        return memberships_in_scope(scope).filter(pk=obj.pk).exists()

    def get_form(self, request, obj=None, change=False, **kwargs):
        return with_actor(super().get_form(request, obj, change=change, **kwargs), request)

    def has_manage_permission(self, request):
        return not self.scope(request, Action.USER_MANAGE).empty

    def save_model(self, request, obj, form, change):
        membership = membership_grant(
            actor=request.user,
            user=obj.user,
            role=obj.role,
            region=obj.region,
            department=obj.department,
            valid_from=obj.valid_from,
        )
        adopt(obj, membership)

    @admin.action(description=_("结束所选任职"), permissions=["manage"])
    def end(self, request, queryset):
        done = 0
        for membership in queryset:
            try:
                membership_end(actor=request.user, membership=membership, reason="admin")
            except (DomainError, PermissionDenied) as exc:
                self.message_user(
                    request, f"{membership}: {domain_error_message(exc)}", messages.WARNING
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("已结束 %(n)d 项任职。", "已结束 %(n)d 项任职。", done) % {"n": done},
                messages.SUCCESS,
            )
