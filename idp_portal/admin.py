"""The audit trail in the admin: readable by platform admins, writable by nobody."""

from django.contrib import admin

from catalog import access
from idp_portal.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included: events are appended by `audit.record()`
    and leave only through the retention purge."""

    list_display = [
        "at",
        "actor_name",
        "action",
        "outcome",
        "object_type",
        "object_repr",
        "team",
        "via",
        "ip",
    ]
    list_filter = ["action", "outcome", "via", "team"]
    search_fields = ["actor_name", "object_repr", "object_id", "object_type"]
    date_hierarchy = "at"
    # Counting every event under a filter costs more than the page it is for.
    show_full_result_count = False

    def has_view_permission(self, request, obj=None) -> bool:
        return access.can(request.user, "audit.view")

    def has_module_permission(self, request) -> bool:
        return access.can(request.user, "audit.view")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
