"""Every write to the catalog goes through here; other apps call these, never the models."""

from django.contrib.auth.models import AbstractBaseUser

from catalog.choices import TeamRole
from catalog.models import Team, TeamMembership


def ensure_team(name: str, title: str, description: str = "", contact_channel: str = "") -> Team:
    """Create the team or bring its fields up to date; running it twice changes nothing."""
    team, _ = Team.objects.update_or_create(
        namespace="default",
        name=name,
        defaults={"title": title, "description": description, "contact_channel": contact_channel},
    )
    return team


def ensure_membership(team: Team, user: AbstractBaseUser, role: str = TeamRole.MEMBER) -> None:
    TeamMembership.objects.update_or_create(team=team, user=user, defaults={"role": role})


def search_text_for(name: str, title: str, description: str, tags: list[str]) -> str:
    """The lower-cased text that catalog search matches partial words against."""
    return " ".join([name, title, description, *tags]).lower()
