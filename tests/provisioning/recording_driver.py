"""An in-memory driver for engine tests: it keeps what it 'made' and fails on cue.

Engine logic (claims, retries, attempt caps, recovery) is tested against this; the real AWS,
Kubernetes and Vault drivers have their own tests against moto and contract servers.
"""

from provisioning.drivers.base import (
    EnsureResult,
    PermanentError,
    PlannedResource,
    ResourceDriver,
    ResourceMissing,
    TransientError,
)


class RecordingDriver(ResourceDriver):
    provider = "aws"
    made: dict[str, PlannedResource] = {}
    calls: list[str] = []
    # name -> list of exceptions to raise on successive calls before succeeding
    failures: dict[str, list[Exception]] = {}
    secrets_seen: list[dict] = []
    vault: dict[str, dict] = {}

    @classmethod
    def reset(cls) -> None:
        cls.made, cls.calls, cls.failures, cls.secrets_seen, cls.vault = {}, [], {}, [], {}

    @classmethod
    def connection_status(cls) -> tuple[bool, str]:
        return True, "recording driver"

    def ensure(self, resource: PlannedResource, secrets: dict | None = None) -> EnsureResult:
        self.calls.append(resource.name)
        queue = self.failures.get(resource.name) or []
        if queue:
            raise queue.pop(0)
        if secrets:
            self.secrets_seen.append(secrets)
            if resource.kind == "kv-secret":
                self.vault.setdefault(resource.name, secrets)
        outcome = "unchanged" if self.made.get(resource.name) == resource else "created"
        self.made[resource.name] = resource
        return EnsureResult(
            outcome, f"id:{resource.name}", f"{outcome} {resource.kind} {resource.name}"
        )

    def read_secret(self, mount: str, path: str) -> dict | None:
        return self.vault.get(f"{mount}/{path}")

    def check_drift(self, resource: PlannedResource) -> list[str]:
        if resource.name not in self.made:
            raise ResourceMissing(resource.name)
        return []

    def decommission(self, resource: PlannedResource) -> EnsureResult:
        self.made.pop(resource.name, None)
        return EnsureResult("deleted", resource.name)


__all__ = ["PermanentError", "RecordingDriver", "TransientError"]
