"""The audit log in the admin: read-only for everyone, superusers included."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from gezhi.accounts.admin_base import RoleAdmin
from gezhi.accounts.roles import Action
from gezhi.core.models import AuditEntry, AuditHead

admin.site.site_header = _("格治 管理后台")
admin.site.site_title = _("格治 管理后台")
admin.site.index_title = _("运维管理")


class ReadOnlyAdmin(RoleAdmin):
    """Nobody adds, changes or deletes these rows through the admin (not even a superuser)."""

    view_action = Action.AUDIT_VIEW

    # The audit log has no region; a part of it would still show other counties' entries,
    # so only a deployment-wide auditor (or a superuser) reads it.
    def scope_queryset(self, queryset, scope):
        return queryset if scope.everywhere else queryset.none()

    def in_scope(self, obj, scope) -> bool:
        return scope.everywhere

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _pretty(value) -> str:
    if value is None:
        return "-"
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
    return format_html("<pre style='margin:0;white-space:pre-wrap'>{}</pre>", text)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The hash-chained audit log, for the auditor."""

    list_display = ("seq", "created_at", "actor_name", "action", "object_type", "object_repr")
    list_filter = ("action", "actor_name", "object_type")
    search_fields = ("object_repr", "object_id", "=actor_name", "reason")
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False  # counting a long log is slow on every page
    fields = (
        "seq",
        "created_at",
        "actor_name",
        "actor",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "before_pretty",
        "after_pretty",
        "reason",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields

    @admin.display(description=_("修改前"))
    def before_pretty(self, obj):
        return _pretty(obj.before)

    @admin.display(description=_("修改后"))
    def after_pretty(self, obj):
        return _pretty(obj.after)


@admin.register(AuditHead)
class AuditHeadAdmin(ReadOnlyAdmin):
    """The chain's head: the last sequence number and hash (compare with `gezhi audit verify`)."""

    list_display = ("id", "last_seq", "last_hash")
    fields = ("id", "last_seq", "last_hash")
    readonly_fields = fields
