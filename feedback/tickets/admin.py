"""Django admin for the feedback app's tickets part: classification rules, saved export
formats, imported tickets (read-only) and help-request triage."""

from django.contrib import admin, messages

from feedback.tickets import services
from feedback.tickets.models import ClassificationRule, ColumnMapping, HelpRequest, Ticket


@admin.register(ClassificationRule)
class ClassificationRuleAdmin(admin.ModelAdmin):
    list_display = ["pattern", "match", "type", "priority"]
    list_filter = ["match", "type"]
    list_editable = ["priority"]
    search_fields = ["pattern"]
    actions = ["reclassify"]

    @admin.action(description="Re-classify every imported ticket with the current rules")
    def reclassify(self, request, queryset) -> None:
        changed = services.reclassify_all()
        self.message_user(request, f"{changed} ticket(s) changed type.", messages.SUCCESS)


@admin.register(ColumnMapping)
class ColumnMappingAdmin(admin.ModelAdmin):
    list_display = ["name", "key_column", "created_column", "summary_column", "updated_at"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: tickets come from imports."""

    list_display = ["key", "summary", "type", "team", "created", "resolved"]
    list_filter = ["type", "source"]
    search_fields = ["key", "summary"]
    date_hierarchy = "created"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(HelpRequest)
class HelpRequestAdmin(admin.ModelAdmin):
    """Platform admins triage help requests here: set the status once answered."""

    list_display = ["id", "category", "user", "service_name", "team", "status", "created"]
    list_filter = ["status", "category"]
    list_editable = ["status"]
    search_fields = ["description", "service_name", "user__username"]
    readonly_fields = ["user", "category", "description", "service_name", "team", "created"]

    def has_add_permission(self, request) -> bool:
        return False
