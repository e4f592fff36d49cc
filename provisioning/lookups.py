"""Provisioning's object lookups for a user: the object, or 404 / 403 saying what to do.

Who may do what is decided by the one policy, `catalog.access`; this module only finds the
rows and asks it.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from catalog import access
from catalog.access import get_entity_or_404
from catalog.models import Component, Team
from provisioning.models import ProvisionedResource, ProvisioningRequest, ServiceOrigin


def get_request_for_user(user, pk: int) -> ProvisioningRequest:
    """The request if the user may see it (their team's, or any for a platform admin).
    Unknown: 404; another team's: 403, recorded in the audit trail."""
    req = get_object_or_404(
        ProvisioningRequest.objects.select_related(
            "team", "environment", "requester", "approved_by", "component"
        ),
        pk=pk,
    )
    whose = f"team {req.team.display_name}" if req.team_id else "the platform team"
    access.require(
        user,
        "request.view",
        req,
        f"Request #{req.pk} belongs to {whose}: only its members or a platform admin can see "
        "or act on it.",
    )
    return req


def owned_components(user):
    """Services the user may request resources for: those their teams own (any owned one for
    platform admins)."""
    components = Component.objects.select_related("owner").exclude(owner=None).order_by("name")
    if access.is_platform_admin(user):
        return components
    return components.filter(owner_id__in=access.member_team_ids(user))


def teams_for(user) -> list[Team]:
    """Teams the user may create a service for: their own (every team for platform admins)."""
    teams = Team.objects.order_by("name")
    if access.is_platform_admin(user):
        return list(teams)
    return list(teams.filter(pk__in=access.member_team_ids(user)))


def get_component_for_request(user, name: str) -> Component:
    """The named service if the user's teams own it. Unknown: 404; another team's: 403."""
    component = get_entity_or_404(Component.objects.select_related("owner"), "default", name)
    if component.owner is None:  # not a permission: nobody can request for an unowned service
        raise PermissionDenied(f"{name} has no owner team in the catalog: set its owner first")
    access.require(
        user,
        "request.create",
        component.owner,
        f"{name} belongs to team {component.owner.display_name}: only its members can request "
        "resources for it. Ask them, or pick one of your team's services.",
    )
    return component


def refuse_another_teams_service(user, name: str) -> None:
    """A posted service the form never offered (another team's): 403, not a form error, since
    only a forged or stale form sends it. Unknown names are left to the form to report."""
    component = Component.objects.filter(name=name).select_related("owner").first()
    if component is not None and component.owner is not None:
        get_component_for_request(user, component.name)


def refuse_another_team(user, name: str) -> None:
    """A posted owner team the form never offered: 403 saying which teams are the user's."""
    team = Team.objects.filter(name=name).first()
    if team is not None:
        access.require(
            user,
            "request.create",
            team,
            f"you are not in team {team.display_name}: create the service for one of your "
            "teams, or ask that team's lead to add you",
        )


def get_resource_for_user(user, pk: int) -> ProvisionedResource:
    """An inventory row of one of the user's teams (any for platform admins). Unknown: 404;
    another team's: 403, recorded in the audit trail."""
    resource = get_object_or_404(
        ProvisionedResource.objects.select_related("team", "component", "environment"), pk=pk
    )
    access.require(
        user,
        "resource.view",
        resource,
        f"{resource.name} belongs to team {resource.team.display_name}: only its members or a "
        "platform admin can act on it.",
    )
    return resource


def get_origin_for_user(user, name: str, action: str) -> ServiceOrigin:
    """A golden-path service the user may `action` ("service.deploy", "service.upgrade");
    unknown: 404; another team's: 403 saying whose it is."""
    origin = get_object_or_404(
        ServiceOrigin.objects.select_related("team", "golden_path", "component"), name=name
    )
    verb = action.split(".")[-1]
    access.require(
        user,
        action,
        origin,
        f"{name} belongs to team {origin.team.display_name}: only its members or a platform "
        f"admin can {verb} it.",
    )
    return origin
