"""What provisioning adds to a catalog service page."""

from django.http import HttpRequest

from catalog import access
from idp_portal.fixed_queries import FixedQuery
from provisioning.choices import ResourceState
from provisioning.models import Environment, ProvisionedResource
from provisioning.resource_types import RESOURCE_TYPES
from provisioning.services import environment_in_name

# Compiled once per process: the service page asks on every view (idp_portal/fixed_queries).
_RESOURCES = FixedQuery(
    lambda component_id: (
        ProvisionedResource.objects.filter(component=component_id)
        .exclude(state=ResourceState.DECOMMISSIONED)
        .select_related("environment")
    ),
    int,
)


def resources_section(request: HttpRequest, component) -> dict:
    resources = _RESOURCES(component.pk)
    names = {e.name: str(e) for e in Environment.objects.all()} if resources else {}
    for r in resources:
        r.environment_label = _environment_label(r, names)
    return {
        "resources": [r for r in resources if not r.is_service_plumbing],
        "plumbing": [r for r in resources if r.is_service_plumbing],
        "plumbing_to_reconcile": any(
            r.is_service_plumbing and r.state in {ResourceState.DRIFTED, ResourceState.MISSING}
            for r in resources
        ),
        "has_aws": any(r.provider == "aws" for r in resources),
        "can_request": component.owner_id is not None
        and access.can(request.user, "request.create", component),
        # Per row, the policy's answer for that resource: a button shown works.
        "can_decommission": {
            r.pk for r in resources if access.can(request.user, "resource.decommission", r)
        },
        "can_reconcile": {
            r.pk for r in resources if access.can(request.user, "resource.reconcile", r)
        },
        "resource_types": RESOURCE_TYPES.values(),
    }


def _environment_label(resource, names: dict[str, str]) -> str:
    """The row's real environment: a GitOps overlay or deployment names its own, and the
    repository, the base, the Argo CD applications and the catalog entry serve every one."""
    if not resource.is_service_plumbing:
        return str(resource.environment)
    named = environment_in_name(resource.provider, resource.kind, resource.name)
    if named is None:
        return "every environment"
    return names.get(named, named)
