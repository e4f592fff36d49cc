"""Golden paths, pipeline templates, the services made from them, and their deployments."""

from django.conf import settings
from django.db import models

from provisioning.golden_paths.choices import DeploymentStatus, RolloutStatus
from provisioning.models.requests import Environment, ProvisioningRequest


def default_deployment_defaults() -> dict:
    return {
        "default": {
            "replicas": 2,
            "max_replicas": 4,
            "cpu_request": "100m",
            "cpu_limit": "500m",
            "memory_request": "128Mi",
            "memory_limit": "256Mi",
            "liveness_path": "/healthz",
            "readiness_path": "/readyz",
        },
        "dev": {"replicas": 1, "max_replicas": 2},
        "prod": {"replicas": 3, "max_replicas": 10},
    }


def default_observability_defaults() -> dict:
    return {
        "metrics_path": "/metrics",
        "log_format": "json",
        "otlp_endpoint": "http://otel-collector.observability:4317",
        "trace_sample_ratio": 0.1,
    }


class PipelineTemplate(models.Model):
    """A platform-owned CI workflow at one version; golden paths render it for each service."""

    slug = models.SlugField(max_length=50, help_text="Stable identifier, e.g. github-actions")
    version = models.PositiveIntegerField(default=1, editable=False)
    name = models.CharField(max_length=100, help_text="What engineers see, e.g. GitHub Actions")
    description = models.TextField(
        blank=True, help_text="What the pipeline does, in the words of a new engineer"
    )
    path = models.CharField(
        max_length=200,
        default=".github/workflows/ci.yaml",
        help_text="Where the rendered workflow goes in the service's repository",
    )
    content = models.TextField(
        help_text="Jinja template of the workflow (GitHub Actions syntax). Wrap GitHub's own "
        "${{ … }} expressions in {% raw %}…{% endraw %}."
    )
    image_registry = models.CharField(
        max_length=200,
        default="ghcr.io/example-org",
        help_text="Where the pipeline pushes images; manifests pull from here",
    )
    published = models.BooleanField(
        default=False,
        help_text="Published versions are frozen: saving changes makes the next version",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="one_pipeline_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class GoldenPath(models.Model):
    """A recommended way to build a service: parameters, skeleton files, pipeline, defaults."""

    slug = models.SlugField(max_length=50, help_text="Stable identifier, e.g. python-http")
    version = models.PositiveIntegerField(default=1, editable=False)
    name = models.CharField(max_length=100, help_text="e.g. Python HTTP service")
    description = models.TextField(
        help_text="What you get, in plain words: shown on the card engineers choose from"
    )
    language = models.CharField(max_length=40, help_text="e.g. python; becomes a catalog tag")
    framework = models.CharField(max_length=60, blank=True, help_text="e.g. standard library")
    parameters = models.JSONField(
        default=list,
        blank=True,
        help_text='A list of {"name", "label", "help_text", "type" (string, text, integer, '
        'boolean, choice), "default", "required", "choices": [[value, label]], "pattern", '
        '"pattern_message", "min", "max"}. The service name, owner and description are always '
        "asked.",
    )
    pipeline = models.ForeignKey(
        PipelineTemplate,
        on_delete=models.PROTECT,
        related_name="golden_paths",
        help_text="The CI workflow at a version",
    )
    pipeline_settings = models.JSONField(
        default=dict,
        blank=True,
        help_text='Values the pipeline template reads, e.g. {"setup": "python", "version": '
        '"3.12", "lint": "…", "test": "…"}',
    )
    deployment_defaults = models.JSONField(
        default=default_deployment_defaults,
        help_text='"default" and one entry per environment name: replicas, max_replicas, '
        "cpu_request, cpu_limit, memory_request, memory_limit, liveness_path, readiness_path",
    )
    observability_defaults = models.JSONField(
        default=default_observability_defaults,
        help_text="metrics_path, log_format, otlp_endpoint, trace_sample_ratio",
    )
    published = models.BooleanField(
        default=False,
        help_text="Published versions are offered to engineers and frozen: saving changes "
        "makes the next version",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="one_golden_path_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class SkeletonFile(models.Model):
    """One Jinja-templated file of a golden path's service skeleton."""

    golden_path = models.ForeignKey(GoldenPath, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(
        max_length=300, help_text="Path in the new repository; may use {{ name }} and friends"
    )
    content = models.TextField(blank=True, help_text="Jinja template of the file")

    class Meta:
        ordering = ["golden_path", "path"]
        constraints = [
            models.UniqueConstraint(fields=["golden_path", "path"], name="one_file_per_path")
        ]

    def __str__(self) -> str:
        return self.path


class ServiceOrigin(models.Model):
    """Which golden path and pipeline versions a service is on, with which values, made by
    which request; upgrades (provisioning/golden_paths/updates.py) move the versions forward."""

    name = models.CharField(max_length=63, unique=True)
    component = models.OneToOneField(
        "catalog.Component",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="golden_path_origin",
    )
    golden_path = models.ForeignKey(GoldenPath, on_delete=models.PROTECT, related_name="services")
    team = models.ForeignKey("catalog.Team", on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(
        ProvisioningRequest, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    values = models.JSONField(default=dict)
    image = models.CharField(max_length=300)
    # The pipeline version its workflow file is on; a roll-out moves it past the golden path's
    # own. Empty only for rows made before it was recorded: then the golden path's pipeline.
    pipeline = models.ForeignKey(
        PipelineTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    upgrade_conflict = models.CharField(
        max_length=500,
        blank=True,
        help_text="Set when an upgrade met a conflict: which files, which branch to merge by hand",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} from {self.golden_path}"


class Deployment(models.Model):
    """One image tag committed to one environment's GitOps overlay, by whom, when."""

    origin = models.ForeignKey(ServiceOrigin, on_delete=models.CASCADE, related_name="deployments")
    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="+")
    tag = models.CharField(max_length=128, help_text="Image tag, the version deployed")
    gitops_commit = models.CharField(max_length=40, blank=True)
    request = models.ForeignKey(
        ProvisioningRequest, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=DeploymentStatus.choices, default=DeploymentStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    change_committed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the change deployed was committed to the service's repository (the "
        "commit the image tag names); empty when the tag names no commit there",
    )
    # Argo CD's verdict (provisioning/rollouts.py); stays empty without Argo CD.
    # db_default: pods of the previous release insert rows without these columns.
    rollout = models.CharField(
        max_length=20,
        choices=RolloutStatus.choices,
        default=RolloutStatus.UNTRACKED,
        db_default=RolloutStatus.UNTRACKED,
        blank=True,
    )
    rolled_out_at = models.DateTimeField(
        null=True, blank=True, help_text="When Argo CD first reported it Synced and Healthy"
    )
    rollout_detail = models.CharField(max_length=500, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["origin", "environment", "-created_at"], name="deploy_env"),
            # The delivery metrics: "the next committed deployment of this service and
            # environment" (recovery time, first production deployment) and "each person's
            # first deployment" (onboarding). Committed ones only, so the answer comes from
            # the index alone.
            models.Index(
                fields=["origin", "environment", "committed_at"],
                condition=models.Q(status=DeploymentStatus.COMMITTED),
                name="deploy_committed",
            ),
            models.Index(
                fields=["requested_by", "committed_at"],
                condition=models.Q(status=DeploymentStatus.COMMITTED),
                name="deploy_first_by_user",
            ),
            # The delivery metrics' counts: production deployments committed in a period (the
            # trend reads this index alone) or asked for in it.
            models.Index(
                fields=["environment", "committed_at"],
                condition=models.Q(status=DeploymentStatus.COMMITTED),
                name="deploy_prod_committed",
            ),
            models.Index(fields=["environment", "created_at"], name="deploy_env_created"),
            # The failures of a period (recovery time): the few deployments never committed, in
            # the order of their requests (PostgreSQL joins the failed requests along it), by
            # when they were asked for, without reading the committed ones.
            models.Index(
                fields=["request", "created_at"],
                condition=~models.Q(status=DeploymentStatus.COMMITTED),
                name="deploy_not_committed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.origin.name}:{self.tag} to {self.environment_id}"
