"""Object-level permission for provisioning: one place decides who may act on what."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from catalog.models import Component
from catalog.views import get_entity_or_404
from provisioning.models import ProvisionedResource, ProvisioningRequest, ServiceOrigin


def get_request_for_user(user, pk: int) -> ProvisioningRequest:
    """The request if one of the user's teams owns it, or the user is a platform admin; else 404."""
    queryset = ProvisioningRequest.objects.for_user(user).select_related(
        "team", "environment", "requester", "approved_by", "component"
    )
    return get_object_or_404(queryset, pk=pk)


def owned_components(user):
    """Services the user may request resources for: those their teams own."""
    components = Component.objects.select_related("owner").order_by("name")
    if user.is_staff:
        return components.exclude(owner=None)
    return components.filter(owner__memberships__user=user)


def get_component_for_request(user, name: str) -> Component:
    """The named service if the user's teams own it. Unknown: 404; another team's: 403."""
    component = get_entity_or_404(Component.objects.select_related("owner"), "default", name)
    if component.owner is None:
        raise PermissionDenied(f"{name} has no owner team in the catalog: set its owner first")
    if not owned_components(user).filter(pk=component.pk).exists():
        raise PermissionDenied(
            f"{name} belongs to team {component.owner.display_name}: only its members can request "
            "resources for it. Ask them, or pick one of your team's services."
        )
    return component


def get_resource_for_user(user, pk: int) -> ProvisionedResource:
    """An inventory row of one of the user's teams (any for platform admins); else 404."""
    queryset = ProvisionedResource.objects.for_user(user).select_related(
        "team", "component", "environment"
    )
    return get_object_or_404(queryset, pk=pk)


def require_platform_admin(user, why: str) -> None:
    """Platform admins are staff, as everywhere in the portal; others get 403 saying `why`."""
    if not user.is_staff:
        raise PermissionDenied(why)


def get_origin_for_user(user, name: str, action: str) -> ServiceOrigin:
    """A golden-path service one of the user's teams owns (any for platform admins), to
    `action` ("deploy", "upgrade"); unknown: 404; another team's: 403 saying whose it is."""
    origin = get_object_or_404(
        ServiceOrigin.objects.select_related("team", "golden_path", "component"), name=name
    )
    if not user.is_staff and not origin.team.memberships.filter(user=user).exists():
        raise PermissionDenied(
            f"{name} belongs to team {origin.team.display_name}: only its members or a platform "
            f"admin can {action} it."
        )
    return origin
