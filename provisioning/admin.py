from django.contrib import admin

from provisioning.models import (
    Environment,
    GovernancePolicy,
    ProvisionedResource,
    ProvisioningRequest,
    RequestEvent,
    RequestStep,
)


@admin.register(Environment)
class EnvironmentAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "region", "requires_approval", "kubernetes_cluster"]
    search_fields = ["name", "display_name"]


@admin.register(GovernancePolicy)
class GovernancePolicyAdmin(admin.ModelAdmin):
    list_display = ["naming_pattern", "managed_by", "approval_monthly_cost_usd", "updated_at"]


class StepInline(admin.TabularInline):
    model = RequestStep
    extra = 0
    readonly_fields = ["position", "name", "state", "attempts", "outcome", "identifier", "message"]
    exclude = ["resource"]


class EventInline(admin.TabularInline):
    """The request's log, shown as it was written: nobody adds, edits or deletes events."""

    model = RequestEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "kind", "message"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProvisioningRequest)
class ProvisioningRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "type", "service_name", "environment", "team", "state", "created_at"]
    list_filter = ["state", "type", "environment"]
    search_fields = ["service_name", "team__name", "requester__username"]
    list_select_related = ["environment", "team"]
    readonly_fields = ["plan", "parameters", "heartbeat_at", "worker", "failure"]
    inlines = [StepInline, EventInline]


@admin.register(ProvisionedResource)
class ProvisionedResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "provider", "team", "environment", "state", "last_checked_at"]
    list_filter = ["provider", "kind", "state", "environment"]
    search_fields = ["name", "identifier", "team__name"]
    list_select_related = ["team", "environment"]


# Golden paths and pipeline templates register themselves (versioned saves, preview render).
from provisioning.golden_paths import admin as golden_paths_admin  # noqa: E402, F401
