"""Who may do what in the observability app; the one place views ask."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from catalog.choices import TeamRole
from catalog.models import Component, Team, TeamMembership
from catalog.querysets import memberships_of
from catalog.views import get_entity_or_404


def can_backfill_service(user, component: Component, request=None) -> bool:
    """The owner team's members (any role) and platform admins. With `request`, the
    memberships the page has already read are reused."""
    if user.is_staff:
        return True
    if not component.owner_id:
        return False
    if request is not None:
        return any(m.team_id == component.owner_id for m in memberships_of(request))
    return TeamMembership.objects.filter(user=user, team_id=component.owner_id).exists()


def can_backfill_many(user) -> bool:
    """A backfill across teams (a whole filter) is a platform admin's call."""
    return user.is_staff


def can_edit_on_call(user, team: Team) -> bool:
    if user.is_staff:
        return True
    return TeamMembership.objects.filter(user=user, team=team, role=TeamRole.LEAD).exists()


def get_component_for_backfill(user, namespace: str, name: str) -> Component:
    """The service if the user may backfill it. Unknown: 404; another team's: 403."""
    component = get_entity_or_404(Component.objects.select_related("owner"), namespace, name)
    if not can_backfill_service(user, component):
        owner = component.owner.display_name if component.owner else "no team"
        raise PermissionDenied(
            f"{component.name} belongs to {owner}: only its members or a platform admin can "
            "backfill its observability bundle."
        )
    return component


def get_team_for_on_call(user, name: str) -> Team:
    team = get_object_or_404(Team, name__iexact=name)
    if not can_edit_on_call(user, team):
        raise PermissionDenied(
            f"Only a lead of team {team.display_name} or a platform admin can change where its "
            "alerts page."
        )
    return team
