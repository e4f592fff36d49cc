"""Row scoping for catalog models."""

from django.db import models

from catalog.choices import TeamRole


class TeamQuerySet(models.QuerySet):
    def of_member(self, user) -> "TeamQuerySet":
        """Teams the user belongs to, in any role."""
        return self.filter(memberships__user=user)

    def led_by(self, user) -> "TeamQuerySet":
        return self.filter(memberships__user=user, memberships__role=TeamRole.LEAD)
