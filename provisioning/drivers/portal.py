"""The portal's own records as provisioning steps: catalog entries and deployments.

Kinds and config:
- "catalog-component": name = the service; config {"service"}. Creates or converges the
  catalog Component of a service made from a golden path (owner, language, repository,
  golden-path annotation) and links the service's requests and inventory to it.
- "deployment": name = "<service>/<environment>"; config {"deployment": id, "tag",
  "components"}. Commits the image tag to the environment's overlay in the GitOps repository
  and records the commit on the Deployment row. An empty tag deploys the service repository's
  head commit; "components" (optional) are kustomize Components the overlay must list.
Both are idempotent: the same state again is "unchanged".
"""

from provisioning.drivers.base import (
    EnsureResult,
    PermanentError,
    PlannedResource,
    ResourceDriver,
)


class PortalDriver(ResourceDriver):
    provider = "portal"
    kinds = frozenset({"catalog-component", "deployment"})

    @classmethod
    def connection_status(cls) -> tuple[bool, str]:
        return True, "the portal's own database and GitOps repository"

    def ensure(self, resource: PlannedResource, secrets: dict | None = None) -> EnsureResult:
        from provisioning import rollouts
        from provisioning.golden_paths import deployments, services

        if resource.kind == "catalog-component":
            return services.register_component(resource.config.get("service") or resource.name)
        if resource.kind == "deployment":
            if not resource.config.get("deployment"):
                raise PermanentError(
                    f"the plan for {resource.name} names no deployment: submit again"
                )
            result = deployments.apply_deployment(
                int(resource.config["deployment"]),
                tuple(resource.config.get("components") or ()),
            )
            # With Argo CD connected, the deployment is done when Argo CD says so.
            rollouts.start_tracking(int(resource.config["deployment"]))
            return result
        raise PermanentError(f"the portal does not know how to make a {resource.kind!r}")

    def check_drift(self, resource: PlannedResource) -> list[str]:
        from provisioning.golden_paths import services

        if resource.kind == "catalog-component":
            return services.component_drift(resource.name)
        return []  # a deployment is history; what runs now is the overlay's latest commit

    def decommission(self, resource: PlannedResource) -> EnsureResult:
        what = "catalog entry" if resource.kind == "catalog-component" else "deployment record"
        return EnsureResult(
            "unchanged", resource.name, f"kept the {what} {resource.name}: remove it by hand"
        )
