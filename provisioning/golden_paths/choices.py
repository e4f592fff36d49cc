from django.db import models


class DeploymentStatus(models.TextChoices):
    PENDING = "pending", "Waiting for its request"
    COMMITTED = "committed", "Committed to GitOps"


class RolloutStatus(models.TextChoices):
    """What Argo CD reports of a committed deployment; empty when Argo CD is not connected (the
    commit is then the deployment, as without it)."""

    UNTRACKED = "", "Not tracked (Argo CD not connected)"
    WAITING = "waiting", "Waiting for Argo CD"
    DONE = "done", "Synced and healthy"
    DEGRADED = "degraded", "Degraded"
    UNREADABLE = "unreadable", "Argo CD could not be read"
