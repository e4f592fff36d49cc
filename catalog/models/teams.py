from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from catalog.choices import TeamRole
from catalog.models.base import Entity
from catalog.querysets import TeamQuerySet


class Team(Entity):
    """A group of engineers (Backstage `Group`) that owns services; it drives defaults everywhere.

    `name` is the identifier in references (`group:default/payments`), `title` the display name.
    """

    KIND = "group"
    DETAIL_VIEW = "catalog:team_detail"

    type = models.CharField(max_length=63, default="team")
    contact_channel = models.CharField(
        max_length=200, blank=True, help_text="Where to reach the team, e.g. #payments-oncall"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    parent_ref = models.CharField(max_length=200, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="teams"
    )

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("namespace"), Lower("name"), name="team_unique_ns_name_ci"
            )
        ]

    @property
    def slug(self) -> str:
        return self.name


class TeamMembership(models.Model):
    """A user's place in a team: lead (approves the team's requests) or member."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    role = models.CharField(max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER)

    class Meta:
        ordering = ["team__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"
