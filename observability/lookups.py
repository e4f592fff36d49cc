"""Observability's object lookups for a user: the object, or 404 / 403 saying what to do.

Who may do what is decided by the one policy, `catalog.access`; this module finds the rows
and asks it.
"""

from django.shortcuts import get_object_or_404

from catalog import access
from catalog.access import get_entity_or_404
from catalog.models import Component, Team


def get_component_for_backfill(user, namespace: str, name: str) -> Component:
    """The service if the user may backfill it. Unknown: 404; another team's: 403."""
    component = get_entity_or_404(Component.objects.select_related("owner"), namespace, name)
    owner = component.owner.display_name if component.owner else "no team"
    access.require(
        user,
        "backfill.run",
        component,
        f"{component.name} belongs to {owner}: only its members or a platform admin can "
        "backfill its observability bundle.",
    )
    return component


def get_team_for_on_call(user, name: str) -> Team:
    team = get_object_or_404(Team, name__iexact=name)
    access.require(
        user,
        "on_call.edit",
        team,
        f"Only a lead of team {team.display_name} or a platform admin can change where its "
        "alerts page.",
    )
    return team


def get_team_for_connect(user, name: str) -> Team:
    team = get_object_or_404(Team, name__iexact=name)
    access.require(
        user,
        "on_call.connect",
        team,
        f"Only a lead of team {team.display_name} or a platform admin can connect it to PagerDuty.",
    )
    return team


def get_team_for_on_call_view(user, name: str) -> Team:
    team = get_object_or_404(Team, name__iexact=name)
    access.require(user, "on_call.view", team, "Sign in to see who is on call.")
    return team
