"""Day-2 updates of golden-path repositories as provisioning steps.

Kind "repository-update": name = "<service>:golden-path@<slug>-v<N>" or
"<service>:pipeline@<slug>-v<N>"; config {"service", "golden-path": id} or {"service",
"pipeline": id}. Renders the service's repository at the versions it is on and at the target,
merges the template's changes onto the repository's own and commits them
(provisioning/golden_paths/update_apply.py). Idempotent: a service already on the target is
"unchanged". It writes to the git host, so it is connected exactly when the git driver is.
"""

from provisioning.drivers.base import EnsureResult, PermanentError, PlannedResource, ResourceDriver
from provisioning.drivers.git import GitDriver


class RepositoryUpdateDriver(ResourceDriver):
    provider = "golden-path"
    kinds = frozenset({"repository-update"})

    @classmethod
    def connection_status(cls) -> tuple[bool, str]:
        return GitDriver.connection_status()

    def ensure(self, resource: PlannedResource, secrets: dict | None = None) -> EnsureResult:
        from provisioning.golden_paths.update_apply import apply_update

        if resource.kind not in self.kinds:
            raise PermanentError(f"golden-path updates cannot make a {resource.kind!r}")
        return apply_update(resource.config)

    def check_drift(self, resource: PlannedResource) -> list[str]:
        return []  # an update is history; what the repository holds now is the team's

    def decommission(self, resource: PlannedResource) -> EnsureResult:
        return EnsureResult(
            "unchanged", resource.name, f"kept the update {resource.name}: revert it in git by hand"
        )
