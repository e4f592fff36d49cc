from django.db import models


class DeploymentStatus(models.TextChoices):
    PENDING = "pending", "Waiting for its request"
    COMMITTED = "committed", "Committed to GitOps"
