from django.db import models


class RequestState(models.TextChoices):
    DRAFT = "draft", "Draft"
    PLANNED = "planned", "Planned"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


TERMINAL_STATES = {RequestState.SUCCEEDED, RequestState.FAILED, RequestState.CANCELLED}
ACTIVE_STATES = {RequestState.QUEUED, RequestState.RUNNING}


class StepState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class EventKind(models.TextChoices):
    TRANSITION = "transition", "State change"
    CALL = "call", "External call"
    RETRY = "retry", "Retry"
    ERROR = "error", "Error"
    INFO = "info", "Info"


class ResourceState(models.TextChoices):
    PENDING = "pending", "Being created"
    ACTIVE = "active", "In sync"
    DRIFTED = "drifted", "Drifted"
    MISSING = "missing", "Deleted outside the portal"
    DECOMMISSIONED = "decommissioned", "Decommissioned"
