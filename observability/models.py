from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from observability.choices import BaselineScope, Severity, SignalStatus
from observability.thresholds import THRESHOLD_FIELDS
from observability.validators import (
    range_validator,
    validate_pagerduty_service,
    validate_secret_key,
    validate_secret_name,
    validate_window,
)


class AlertBaseline(models.Model):
    """Alert thresholds of the standard bundle's rules: one default row, optional tier overrides."""

    tier = models.PositiveSmallIntegerField(
        choices=BaselineScope.choices,
        unique=True,
        help_text="The default applies to every service; a tier override replaces only the "
        "values it sets, for that tier's services.",
    )
    error_rate_percent = models.DecimalField(
        "error rate (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[range_validator("error_rate_percent")],
        help_text="Alert when more than this percentage of requests fail (HTTP 5xx) over the "
        "window. From 0.1 to 50, e.g. 1. Leave blank on an override to keep the default.",
    )
    latency_p99_ms = models.PositiveIntegerField(
        "p99 latency (ms)",
        null=True,
        blank=True,
        validators=[range_validator("latency_p99_ms")],
        help_text="Alert when the 99th percentile of request duration is above this many "
        "milliseconds. From 10 to 60000, e.g. 500. Blank on an override: keep the default.",
    )
    pod_restarts_per_hour = models.PositiveSmallIntegerField(
        "pod restarts per hour",
        null=True,
        blank=True,
        validators=[range_validator("pod_restarts_per_hour")],
        help_text="Alert when the service's containers restart more than this many times in "
        "an hour. From 1 to 100, e.g. 3. Blank on an override: keep the default.",
    )
    evaluation_window = models.CharField(
        max_length=10,
        blank=True,
        validators=[validate_window],
        help_text="How long a condition must hold before the alert fires, also the rate "
        "window: a number and a unit (s, m or h), from 1m to 1h, e.g. 5m.",
    )
    severity = models.CharField(
        max_length=10,
        choices=Severity.choices,
        blank=True,
        help_text="Routing: critical alerts page the owning team's on-call through PagerDuty; "
        "warnings only notify.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["tier"]

    def __str__(self) -> str:
        return self.get_tier_display()

    def clean(self) -> None:
        if self.tier == BaselineScope.DEFAULT:
            missing = {
                name: "the default baseline needs a value here: every tier falls back to it"
                for name in THRESHOLD_FIELDS
                if getattr(self, name) in (None, "")
            }
            if missing:
                raise ValidationError(missing)

    def values(self) -> dict:
        return {name: getattr(self, name) for name in THRESHOLD_FIELDS}


class TeamOnCall(models.Model):
    """Where a team's critical alerts page: PagerDuty service and the Secret holding the key."""

    team = models.OneToOneField(
        "catalog.Team", on_delete=models.CASCADE, primary_key=True, related_name="on_call"
    )
    pagerduty_service = models.CharField(
        "PagerDuty service ID",
        max_length=64,  # the pattern allows 14; longer input gets the "looks like a key" advice
        validators=[validate_pagerduty_service],
        help_text="The ID of the team's PagerDuty service, from its address "
        "(…/service-directory/P1ABCDE), e.g. P1ABCDE.",
    )
    routing_key_secret = models.CharField(
        "routing key Secret",
        max_length=253,
        validators=[validate_secret_name],
        help_text="Name of the Kubernetes Secret, in each of the team's namespaces, that holds "
        "the PagerDuty integration (routing) key, e.g. payments-pagerduty. Never the key itself.",
    )
    routing_key_secret_key = models.CharField(
        "key in the Secret",
        max_length=253,
        default="routing-key",
        validators=[validate_secret_key],
        help_text="The entry in that Secret that holds the routing key, e.g. routing-key.",
    )
    # Set by "Connect PagerDuty" (observability/pagerduty.py); blank when typed in by hand.
    escalation_policy = models.CharField(
        "PagerDuty escalation policy ID",
        max_length=64,
        blank=True,
        help_text="The escalation policy the portal found or created for the team; the team "
        "page asks PagerDuty who is on call in it.",
    )
    vault_path = models.CharField(
        max_length=253,
        blank=True,
        help_text="Where the portal stored the integration key in Vault (<mount>/<path>), "
        "synced into the Secret above by an ExternalSecret; blank when the Secret is managed "
        "by hand.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "team on-call target"

    def __str__(self) -> str:
        return f"{self.team} → PagerDuty {self.pagerduty_service}"


class OnCallConnection(models.Model):
    """The last "Connect PagerDuty" run of a team: its state and what it said (never the key)."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        CONNECTED = "connected"
        FAILED = "failed"

    team = models.OneToOneField(
        "catalog.Team", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    message = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"PagerDuty connection of {self.team_id}: {self.state}"


class GrafanaDashboard(models.Model):
    """A service's dashboard as Grafana's HTTP API last stored it (uid and address only)."""

    component = models.ForeignKey(
        "catalog.Component", on_delete=models.CASCADE, related_name="grafana_dashboards"
    )
    environment = models.CharField(max_length=63)
    uid = models.CharField(max_length=40)
    url = models.CharField(max_length=500, blank=True, help_text="Grafana's path, e.g. /d/uid/x")
    folder_uid = models.CharField(max_length=40)
    version = models.PositiveIntegerField(default=0)
    error = models.TextField(
        blank=True, help_text="Why the last upsert failed; blank when it did not"
    )
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["component", "environment"]
        constraints = [
            models.UniqueConstraint(
                fields=["component", "environment"], name="one_grafana_dashboard_per_env"
            )
        ]

    def __str__(self) -> str:
        return f"Grafana dashboard {self.uid}"


def _signal_field(name: str) -> models.CharField:
    return models.CharField(
        max_length=10, choices=SignalStatus.choices, default=SignalStatus.MISSING, help_text=name
    )


class ServiceCoverage(models.Model):
    """The five signals of one service as last refreshed: missing, configured or verified."""

    component = models.OneToOneField(
        "catalog.Component",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="observability_coverage",
    )
    logs = _signal_field("Log forwarding")
    metrics = _signal_field("Metrics export (ServiceMonitor)")
    traces = _signal_field("Tracing (OpenTelemetry environment)")
    dashboard = _signal_field("Grafana dashboard")
    alerts = _signal_field("Default alerts (PrometheusRule)")
    signals_present = models.PositiveSmallIntegerField(
        default=0, help_text="How many of the five signals are at least configured"
    )
    fully_covered = models.BooleanField(
        default=False, help_text="All five signals configured or verified"
    )
    environments = models.JSONField(
        default=dict,
        help_text="Per environment: the bundle's digest in the GitOps repository and the "
        "signals it configures",
    )
    refreshed_at = models.DateTimeField()
    # Copies of the service's tier and name as of the refresh, so the page's order (tier, fewest
    # signals present, name) is one index on this table instead of a sort of the whole catalog.
    tier = models.PositiveSmallIntegerField(
        default=0, help_text="The service's tier when refreshed"
    )
    name = models.CharField(
        max_length=63, blank=True, help_text="The service's name when refreshed"
    )

    class Meta:
        indexes = [
            models.Index(fields=["fully_covered", "signals_present"], name="coverage_gap"),
            models.Index(
                fields=["tier", "signals_present", "name", "component"], name="coverage_order"
            ),
        ]

    def __str__(self) -> str:
        return f"coverage of {self.component_id}"


class CoverageRefresh(models.Model):
    """One run of the coverage refresh: when, and what each source (GitOps, stack) said."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    services = models.PositiveIntegerField(default=0)
    last_component_id = models.BigIntegerField(
        default=0,
        help_text="Every service with an id up to this one has a coverage row (0: no promise); "
        "the page looks for services added since above it only",
    )
    sources = models.JSONField(
        default=dict, help_text='{"prometheus": "not connected: PROMETHEUS_URL is not set", …}'
    )

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"coverage refresh at {self.started_at:%Y-%m-%d %H:%M}"
