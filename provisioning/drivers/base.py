"""The small surface every driver offers: ensure, check for drift, decommission.

Planning is pure (provisioning/planning.py) and produces `PlannedResource`s; a Celery task hands
each one to its provider's driver. Every `ensure` is idempotent and keyed by the resource's
deterministic name: create if absent, converge if different, succeed if already right, so a
step can run twice (a retried task, a worker killed mid-call) with the same result.
"""

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Literal

Outcome = Literal["created", "updated", "unchanged", "deleted"]


@dataclass(frozen=True)
class PlannedResource:
    """One thing a request will make, exactly as it will exist: name, tags, settings."""

    provider: str  # "aws" | "kubernetes" | "vault"
    kind: str  # e.g. "s3-bucket", "sqs-queue", "rds-instance", "namespace", "kv-path"
    name: str  # deterministic: the idempotency key of every ensure
    tags: dict[str, str] = field(default_factory=dict)
    config: dict = field(default_factory=dict)  # JSON-able settings (versioning, size, …)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "PlannedResource":
        return cls(**data)


@dataclass(frozen=True)
class EnsureResult:
    outcome: Outcome
    identifier: str  # ARN, queue URL, namespace name, Vault path
    message: str = ""  # shown in the request's log, e.g. "created bucket x in eu-west-1"
    details: dict = field(default_factory=dict)  # JSON-able; never secret values


class DriverError(Exception):
    """Base of the errors a driver raises; `str(error)` is shown to the requester."""


class TransientError(DriverError):
    """Throttling, 5xx, timeouts, connection resets: the engine retries with backoff, and not
    before `retry_after` seconds when the system said how long to wait (a rate limit)."""

    def __init__(self, message: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(DriverError):
    """The request cannot succeed as it is; the message says what to change."""


class NotConnectedError(PermanentError):
    """The external system is not configured; nothing was attempted."""


class ResourceMissing(DriverError):
    """Drift check: the resource no longer exists (deleted outside the portal)."""


class ResourceDriver(ABC):
    provider: str = ""
    kinds: frozenset[str] = frozenset()

    @classmethod
    @abstractmethod
    def connection_status(cls) -> tuple[bool, str]:
        """(connected, readable status), e.g. (False, "not connected: VAULT_ADDR is not set")."""

    @abstractmethod
    def ensure(self, resource: PlannedResource, secrets: dict | None = None) -> EnsureResult:
        """Create, converge or confirm `resource`. `secrets` (e.g. a generated password) exist
        only in memory for this call and must never be logged or returned in `details`."""

    @abstractmethod
    def check_drift(self, resource: PlannedResource) -> list[str]:
        """What differs from the plan, as readable sentences; [] when it matches.
        Raises ResourceMissing when the resource is gone."""

    @abstractmethod
    def decommission(self, resource: PlannedResource) -> EnsureResult:
        """Delete the resource where policy allows; idempotent (absent is success)."""
