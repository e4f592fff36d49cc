"""Small builders for test data: explicit, one line per object, no JSON fixtures."""

import itertools

from django.contrib.auth import get_user_model

from catalog.choices import TeamRole
from catalog.models import Team, TeamMembership

PASSWORD = "correct-horse-battery-staple"  # noqa: S105
_seq = itertools.count(1)


def make_user(username: str | None = None, **fields):
    username = username or f"user{next(_seq)}"
    fields.setdefault("email", f"{username}@example.com")
    return get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)


def make_team(slug: str | None = None, **fields) -> Team:
    slug = slug or f"team-{next(_seq)}"
    fields.setdefault("name", slug.replace("-", " ").title())
    return Team.objects.create(slug=slug, **fields)


def add_member(team: Team, user, role: str = TeamRole.MEMBER) -> TeamMembership:
    return TeamMembership.objects.create(team=team, user=user, role=role)
