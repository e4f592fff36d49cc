from django.contrib import admin

from observability.models import AlertBaseline, CoverageRefresh, ServiceCoverage, TeamOnCall


@admin.register(AlertBaseline)
class AlertBaselineAdmin(admin.ModelAdmin):
    list_display = [
        "tier",
        "error_rate_percent",
        "latency_p99_ms",
        "pod_restarts_per_hour",
        "evaluation_window",
        "severity",
        "updated_at",
        "updated_by",
    ]
    readonly_fields = ["updated_at", "updated_by"]
    fieldsets = [
        (None, {"fields": ["tier"]}),
        (
            "Thresholds",
            {
                "fields": [
                    "error_rate_percent",
                    "latency_p99_ms",
                    "pod_restarts_per_hour",
                    "evaluation_window",
                ],
                "description": "Changes reach services' alert rules at their next backfill.",
            },
        ),
        ("Routing", {"fields": ["severity"]}),
        ("History", {"fields": ["updated_at", "updated_by"]}),
    ]

    def save_model(self, request, obj, form, change) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(TeamOnCall)
class TeamOnCallAdmin(admin.ModelAdmin):
    list_display = ["team", "pagerduty_service", "routing_key_secret", "updated_at", "updated_by"]
    search_fields = ["team__name", "team__title", "pagerduty_service"]
    autocomplete_fields = ["team"]
    # Written by "Connect PagerDuty" only: they describe what the portal made.
    readonly_fields = ["escalation_policy", "vault_path", "updated_at", "updated_by"]

    def save_model(self, request, obj, form, change) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ServiceCoverage)
class ServiceCoverageAdmin(admin.ModelAdmin):
    """Read-only: the refresh task writes coverage."""

    list_display = [
        "component",
        "logs",
        "metrics",
        "traces",
        "dashboard",
        "alerts",
        "fully_covered",
        "refreshed_at",
    ]
    list_filter = ["fully_covered", "logs", "metrics", "traces", "dashboard", "alerts"]
    search_fields = ["component__name"]
    list_select_related = ["component"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CoverageRefresh)
class CoverageRefreshAdmin(admin.ModelAdmin):
    list_display = ["started_at", "finished_at", "services"]
    readonly_fields = ["started_at", "finished_at", "services", "sources"]

    def has_add_permission(self, request) -> bool:
        return False
