"""What GitHub told the portal about builds and commits: the raw facts behind change lead time
and change fail rate (written by provisioning/deploy_events/)."""

from django.db import models


class WebhookDelivery(models.Model):
    """One GitHub webhook delivery, by its X-GitHub-Delivery id: a replay is answered from here
    and records nothing new."""

    delivery_id = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=40)
    outcome = models.CharField(max_length=20, help_text="recorded or ignored")
    detail = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} {self.delivery_id}: {self.outcome}"


class Build(models.Model):
    """One CI workflow run of a service's repository, as GitHub reported it."""

    origin = models.ForeignKey(
        "provisioning.ServiceOrigin",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="builds",
    )
    repository = models.CharField(max_length=200, help_text="owner/name on the git host")
    workflow = models.CharField(max_length=200)
    run_id = models.BigIntegerField()
    head_sha = models.CharField(max_length=40)
    committed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the built commit was committed (head_commit)"
    )
    author = models.CharField(max_length=200, blank=True)
    conclusion = models.CharField(max_length=30, blank=True, help_text="success, failure, …")
    url = models.URLField(max_length=500, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-completed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["repository", "run_id"], name="build_run_unique")
        ]
        indexes = [models.Index(fields=["head_sha"], name="build_head_sha")]

    def __str__(self) -> str:
        return f"{self.repository} {self.workflow} #{self.run_id}: {self.conclusion or 'running'}"


class ChangeCommit(models.Model):
    """When a commit of a service's repository was made and by whom (from `push` and
    `workflow_run`): the start of the change lead time of a deployment of that commit."""

    origin = models.ForeignKey(
        "provisioning.ServiceOrigin",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="change_commits",
    )
    repository = models.CharField(max_length=200)
    sha = models.CharField(max_length=40)
    committed_at = models.DateTimeField()
    author = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "sha"], name="change_commit_unique")
        ]
        indexes = [models.Index(fields=["sha"], name="change_commit_sha")]

    def __str__(self) -> str:
        return f"{self.repository}@{self.sha[:12]}"
