"""Operators' admin for the region tree, departments, grid workers and redraws.

Every write goes through the regions services (which validate and audit); regions, departments
and assignments are never deleted: regions retire through redraws, departments are
deactivated, assignments are ended.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gezhi.accounts.admin_base import (
    InForceFilter,
    ReadOnlyInline,
    RoleAdmin,
    adopt,
    domain_error_message,
    with_actor,
)
from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import Scope, user_scope
from gezhi.core.errors import DomainError
from gezhi.regions.models import Department, GridAssignment, Redraw, RedrawLink, Region
from gezhi.regions.services import (
    department_create,
    department_update,
    grid_assign_worker,
    grid_release_worker,
    region_create,
    region_update,
    validate_region,
)


class ActiveFilter(InForceFilter):
    parameter_name = "active"
    ended_label = _("已停用或未启用")

    def in_force(self, manager):
        return manager.active()


class RegionForm(forms.ModelForm):
    """Checks code, level, parent and boundary with the service's rules, showing the reason."""

    actor = None  # set per request by the admin

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "boundary", "valid_from"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        adding = self.instance._state.adding
        region = self.instance
        code = cleaned.get("code", region.code)
        level = cleaned.get("level", region.level)
        parent = cleaned.get("parent") if adding else region.parent
        if (
            adding
            and parent is None
            and not user_scope(self.actor, Action.REGION_CHANGE).everywhere
        ):
            self.add_error("parent", _("只有全域的系统管理员可以新建顶级区域。"))
            return cleaned
        boundary = cleaned.get("boundary")
        if adding or "boundary" in self.changed_data:
            field, message = validate_region(
                code=code, level=level, parent=parent, boundary=boundary
            )
            if message:
                self.add_error(field if field in self.fields else None, message)
        return cleaned


class ChildInline(ReadOnlyInline):
    model = Region
    fk_name = "parent"
    fields = ["code", "name", "level", "valid_from", "valid_to"]
    readonly_fields = fields
    show_change_link = True
    verbose_name = _("下级区域")
    verbose_name_plural = _("下级区域")


@admin.register(Region)
class RegionAdmin(RoleAdmin):
    """The region tree. New regions and changes go through region_create/region_update."""

    view_action = Action.REGION_VIEW
    change_action = Action.REGION_CHANGE
    form = RegionForm
    list_display = ("code", "name", "level", "parent", "valid_from", "valid_to", "area_km2")
    list_filter = ("level", ActiveFilter)
    list_select_related = ("parent",)
    search_fields = ("^code", "name")
    ordering = ("path",)
    autocomplete_fields = ["parent"]
    inlines = [ChildInline]
    show_full_result_count = False
    derived = ("path", "depth", "bbox", "label_point", "area_km2", "created_at", "updated_at")

    def scope_queryset(self, queryset, scope: Scope):
        return queryset.filter(scope.q("path"))

    def in_scope(self, obj, scope: Scope) -> bool:
        return scope.covers(obj.path)

    def get_form(self, request, obj=None, change=False, **kwargs):
        return with_actor(super().get_form(request, obj, change=change, **kwargs), request)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # Code, level and place in the tree are what a region is; changing them is a redraw.
        return ("code", "level", "parent", "valid_from", "valid_to", *self.derived)

    def get_fields(self, request, obj=None):
        fields = ["code", "name", "level", "parent", "boundary", "valid_from"]
        return fields if obj is None else [*fields, "valid_to", *self.derived]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            scope = user_scope(request.user, Action.REGION_CHANGE)
            kwargs["queryset"] = Region.objects.filter(scope.q("path"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("范围（经纬度）"))
    def bbox(self, obj):
        if obj.min_lng is None:
            return "-"
        return f"{obj.min_lng:.6f}, {obj.min_lat:.6f} — {obj.max_lng:.6f}, {obj.max_lat:.6f}"

    @admin.display(description=_("标注点"))
    def label_point(self, obj):
        if obj.label_lng is None:
            return "-"
        return f"{obj.label_lng:.6f}, {obj.label_lat:.6f}"

    def save_model(self, request, obj, form, change):
        if not change:
            region = region_create(
                actor=request.user,
                code=obj.code,
                name=obj.name,
                level=obj.level,
                parent=obj.parent,
                boundary=obj.boundary,
                valid_from=obj.valid_from,
            )
            adopt(obj, region)
            return
        changes = {}
        if "name" in form.changed_data:
            changes["name"] = obj.name
        if "boundary" in form.changed_data:
            changes["boundary"] = obj.boundary
        if changes:
            region_update(actor=request.user, region=obj, reason="admin", **changes)

    def save_related(self, request, form, formsets, change):
        # No form.save_m2m(): a region has no many-to-many fields; the children inline is
        # read-only and saves nothing.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["code", "name", "region", "serves", "phone", "is_active"]


@admin.register(Department)
class DepartmentAdmin(RoleAdmin):
    """Departments (functional grids), through department_create/department_update."""

    view_action = Action.DEPARTMENT_VIEW
    change_action = Action.DEPARTMENT_CHANGE
    form = DepartmentForm
    list_display = ("code", "name", "region", "phone", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("region",)
    search_fields = ("code", "name")
    autocomplete_fields = ["region", "serves"]

    def scope_queryset(self, queryset, scope: Scope):
        return queryset.filter(scope.q("region__path"))

    def in_scope(self, obj, scope: Scope) -> bool:
        return scope.covers(obj.region.path)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("code", "region")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region":
            scope = user_scope(request.user, Action.DEPARTMENT_CHANGE)
            kwargs["queryset"] = Region.objects.filter(scope.q("path"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "serves":
            scope = user_scope(request.user, Action.DEPARTMENT_CHANGE)
            kwargs["queryset"] = Region.objects.active().filter(scope.q("path"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        serves = form.cleaned_data.get("serves", [])
        if not change:
            department = department_create(
                actor=request.user,
                code=obj.code,
                name=obj.name,
                region=obj.region,
                serves=serves,
                phone=obj.phone,
            )
            if not obj.is_active:
                department_update(actor=request.user, department=department, is_active=False)
            adopt(obj, department)
            return
        department_update(
            actor=request.user,
            department=obj,
            name=obj.name,
            serves=serves,
            phone=obj.phone,
            is_active=obj.is_active,
        )

    def save_related(self, request, form, formsets, change):
        # No form.save_m2m(): the service has saved `serves`.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class CurrentAssignmentFilter(InForceFilter):
    in_force_label = _("在任")

    def in_force(self, manager):
        return manager.filter(ended_at__isnull=True)


class GridAssignmentForm(forms.ModelForm):
    class Meta:
        model = GridAssignment
        fields = ["grid", "worker", "is_primary", "started_at"]


@admin.register(GridAssignment)
class GridAssignmentAdmin(RoleAdmin):
    """Who holds which grid: assign (add) and end (action); the rows are the history."""

    view_action = Action.REGION_VIEW
    add_action = Action.GRID_ASSIGN
    form = GridAssignmentForm
    list_display = ("grid", "worker", "is_primary", "started_at", "ended_at")
    list_filter = ("is_primary", CurrentAssignmentFilter)
    list_select_related = ("grid", "worker")
    search_fields = ("grid__code", "grid__name", "worker__username", "worker__display_name")
    autocomplete_fields = ["grid", "worker"]
    actions = ["release"]

    def scope_queryset(self, queryset, scope: Scope):
        return queryset.filter(scope.q("grid__path"))

    def in_scope(self, obj, scope: Scope) -> bool:
        return scope.covers(obj.grid.path)

    def has_assign_permission(self, request):
        return not self.scope(request, Action.GRID_ASSIGN).empty

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "grid":
            scope = user_scope(request.user, Action.GRID_ASSIGN)
            kwargs["queryset"] = Region.objects.active().grids().filter(scope.q("path"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        assignment = grid_assign_worker(
            actor=request.user,
            grid=obj.grid,
            worker=obj.worker,
            is_primary=obj.is_primary,
            started_at=obj.started_at,
        )
        adopt(obj, assignment)

    @admin.action(description=_("结束所选网格员任职"), permissions=["assign"])
    def release(self, request, queryset):
        done = 0
        for assignment in queryset.filter(ended_at__isnull=True):
            try:
                grid_release_worker(actor=request.user, assignment=assignment)
            except (DomainError, PermissionDenied) as exc:
                self.message_user(
                    request, f"{assignment}: {domain_error_message(exc)}", messages.WARNING
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("已结束 %(n)d 项任职。", "已结束 %(n)d 项任职。", done) % {"n": done},
                messages.SUCCESS,
            )


class RedrawLinkInline(ReadOnlyInline):
    model = RedrawLink
    fields = ["old", "new", "overlap_share"]
    readonly_fields = fields


@admin.register(Redraw)
class RedrawAdmin(RoleAdmin):
    """Redraws, read-only: they are made by `redraw_grids` (API), never edited."""

    view_action = Action.REGION_VIEW
    list_display = ("id", "kind", "effective_on", "actor", "created_at")
    list_filter = ("kind",)
    list_select_related = ("actor",)
    date_hierarchy = "effective_on"
    fields = ("kind", "effective_on", "note", "actor", "created_at")
    readonly_fields = fields
    inlines = [RedrawLinkInline]

    def scope_queryset(self, queryset, scope: Scope):
        return queryset.filter(scope.q("links__old__path")).distinct()

    def in_scope(self, obj, scope: Scope) -> bool:
        return scope.everywhere or any(scope.covers(link.old.path) for link in obj.links.all())
