"""What provisioning adds to a catalog service page."""

from django.http import HttpRequest

from catalog import access
from provisioning.choices import ResourceState
from provisioning.models import ProvisionedResource
from provisioning.resource_types import RESOURCE_TYPES


def resources_section(request: HttpRequest, component) -> dict:
    resources = (
        ProvisionedResource.objects.filter(component=component)
        .exclude(state=ResourceState.DECOMMISSIONED)
        .select_related("environment")
    )
    resources = list(resources)
    return {
        "resources": resources,
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
