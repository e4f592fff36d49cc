"""Every write to the catalog goes through here; other apps call these, never the models."""

from django.contrib.auth.models import AbstractBaseUser

from catalog.choices import TeamRole
from catalog.models import Team, TeamMembership


def ensure_team(slug: str, name: str, description: str = "", contact_channel: str = "") -> Team:
    """Create the team or bring its fields up to date; running it twice changes nothing."""
    team, _ = Team.objects.update_or_create(
        slug=slug,
        defaults={"name": name, "description": description, "contact_channel": contact_channel},
    )
    return team


def ensure_membership(team: Team, user: AbstractBaseUser, role: str = TeamRole.MEMBER) -> None:
    TeamMembership.objects.update_or_create(team=team, user=user, defaults={"role": role})
