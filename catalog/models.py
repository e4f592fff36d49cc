from django.conf import settings
from django.db import models
from django.urls import reverse

from catalog.choices import TeamRole
from catalog.querysets import TeamQuerySet


class Team(models.Model):
    """A group of engineers that owns services; its members' teams drive defaults everywhere."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=63, unique=True)
    description = models.TextField(blank=True)
    contact_channel = models.CharField(
        max_length=200, blank=True, help_text="Where to reach the team, e.g. #payments-oncall"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="teams"
    )

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:team_detail", args=[self.slug])


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
