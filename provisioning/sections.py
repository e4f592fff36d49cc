"""What provisioning adds to a catalog service page."""

from django.http import HttpRequest

from provisioning.access import owned_components
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
        "can_request": owned_components(request.user).filter(pk=component.pk).exists(),
        "resource_types": RESOURCE_TYPES.values(),
    }
