from django.conf import settings
from django.db import models
from django.urls import reverse

from provisioning.choices import (
    TERMINAL_STATES,
    EventKind,
    RequestState,
    ResourceState,
    StepState,
)
from provisioning.querysets import ProvisionedResourceQuerySet, ProvisioningRequestQuerySet


def default_required_tags() -> list[str]:
    return ["team", "service", "environment", "cost-center", "managed-by"]


class Environment(models.Model):
    """Where resources go: cloud account and region, network placement, cluster, Vault mount."""

    name = models.SlugField(
        max_length=20, unique=True, help_text="Short name used in resource names, e.g. dev"
    )
    display_name = models.CharField(max_length=60)
    description = models.CharField(max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0, help_text="Position in lists, lowest first")
    aws_account_id = models.CharField(max_length=12, blank=True)
    region = models.CharField(max_length=30, default="eu-west-1")
    vpc_id = models.CharField(max_length=40, blank=True)
    subnet_ids = models.JSONField(
        default=list, blank=True, help_text="Private subnets for databases"
    )
    security_group_ids = models.JSONField(default=list, blank=True)
    app_cidr = models.CharField(
        max_length=43,
        default="10.0.0.0/16",
        help_text="Where workloads run: allowed to reach databases",
    )
    db_subnet_group = models.CharField(max_length=255, blank=True)
    kubernetes_cluster = models.CharField(
        max_length=100, blank=True, help_text="kubeconfig context"
    )
    namespace_pattern = models.CharField(max_length=100, default="{team}-{service}-{env}")
    vault_mount = models.CharField(max_length=100, default="secret")
    requires_approval = models.BooleanField(
        default=False,
        help_text="Every request here needs a team lead's or platform admin's approval",
    )
    cost_center_default = models.CharField(max_length=50, default="engineering")

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.display_name or self.name


class GovernancePolicy(models.Model):
    """The platform team's rules every request is planned against; the newest row is in force."""

    naming_pattern = models.CharField(
        max_length=100,
        default="{team}-{service}-{env}-{purpose}",
        help_text="Placeholders: {team} {service} {env} {purpose}",
    )
    required_tags = models.JSONField(default=default_required_tags)
    managed_by = models.CharField(max_length=50, default="idp-portal")
    approval_monthly_cost_usd = models.PositiveIntegerField(
        default=500, help_text="Requests estimated above this monthly cost need approval"
    )
    max_purpose_length = models.PositiveSmallIntegerField(default=20)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "governance policy"
        get_latest_by = "updated_at"

    def __str__(self) -> str:
        return f"Governance policy ({self.naming_pattern})"


class ProvisioningRequest(models.Model):
    """One self-service action: recorded first, planned, maybe approved, then applied by Celery."""

    # No index of its own: the unique (requester, idempotency_key) index starts with it and
    # answers every lookup by requester; one index fewer to write per insert and state change.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Empty for platform-wide requests (e.g. an observability backfill across teams): admins only.
    team = models.ForeignKey(
        "catalog.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    component = models.ForeignKey(
        "catalog.Component", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    service_name = models.CharField(max_length=63, blank=True)
    environment = models.ForeignKey(
        Environment, null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    type = models.CharField(max_length=40)
    parameters = models.JSONField(default=dict)
    plan = models.JSONField(default=dict)
    state = models.CharField(
        max_length=20, choices=RequestState.choices, default=RequestState.DRAFT
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    needs_approval_reason = models.CharField(max_length=200, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)

    objects = ProvisioningRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "heartbeat_at"], name="request_state_heartbeat"),
            # The provisioning lead time (the card, the per-type table, the monthly trend):
            # succeeded requests by when they ended, with the columns it reads, so PostgreSQL
            # answers from the index alone instead of reading every request.
            models.Index(
                fields=["finished_at", "submitted_at", "type"],
                condition=models.Q(state=RequestState.SUCCEEDED),
                name="request_succeeded_lead",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "idempotency_key"], name="one_request_per_idempotency_key"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type} for {self.service_name or 'the platform'}"

    def get_absolute_url(self) -> str:
        return reverse("provisioning:request_detail", args=[self.pk])

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES


class RequestStep(models.Model):
    """One idempotent ensure of the plan, with its attempts and outcome."""

    # No index of its own: the unique (request, position) index starts with it.
    request = models.ForeignKey(
        ProvisioningRequest, on_delete=models.CASCADE, related_name="steps", db_index=False
    )
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    resource = models.JSONField(help_text="The PlannedResource this step ensures")
    action = models.CharField(
        max_length=20, default="ensure", help_text="ensure (create or converge) or decommission"
    )
    state = models.CharField(max_length=20, choices=StepState.choices, default=StepState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    message = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, blank=True)
    identifier = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="one_step_per_position")
        ]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.position} {self.name}"


class RequestEvent(models.Model):
    """The request's log: every transition and external call, who did it and how it went."""

    request = models.ForeignKey(
        ProvisioningRequest, on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=150, help_text="A username, or 'worker'/'reconciler'")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    message = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.message


class ProvisionedResource(models.Model):
    """The inventory: what the portal made, where, for whom, and whether it still matches."""

    team = models.ForeignKey("catalog.Team", on_delete=models.PROTECT, related_name="+")
    component = models.ForeignKey(
        "catalog.Component", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="resources")
    request = models.ForeignKey(
        ProvisioningRequest, null=True, on_delete=models.SET_NULL, related_name="resources"
    )
    provider = models.CharField(max_length=20)
    kind = models.CharField(max_length=40)
    name = models.CharField(max_length=255)
    identifier = models.CharField(max_length=500, blank=True)
    tags = models.JSONField(default=dict)
    config = models.JSONField(default=dict)
    state = models.CharField(
        max_length=20, choices=ResourceState.choices, default=ResourceState.ACTIVE
    )
    drift = models.JSONField(default=list, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProvisionedResourceQuerySet.as_manager()

    class Meta:
        ordering = ["provider", "kind", "name"]
        constraints = [
            # The claim that makes names first-come-first-served across teams and tabs.
            models.UniqueConstraint(
                fields=["provider", "kind", "name"], name="one_resource_per_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"

    @property
    def is_service_plumbing(self) -> bool:
        """A service's own wiring (its repository, GitOps files, catalog entry, deployments):
        made with the service and gone with it, never decommissioned one by one."""
        return self.provider in {"git", "portal"}
