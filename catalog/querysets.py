"""Row scoping for catalog models."""

from django.db import models

from catalog.choices import TeamRole


class TeamQuerySet(models.QuerySet):
    def of_member(self, user) -> "TeamQuerySet":
        """Teams the user belongs to, in any role."""
        return self.filter(memberships__user=user)

    def led_by(self, user) -> "TeamQuerySet":
        return self.filter(memberships__user=user, memberships__role=TeamRole.LEAD)


class ComponentQuerySet(models.QuerySet):
    def owned_by_teams_of(self, user) -> "ComponentQuerySet":
        """Components owned by any team the user belongs to."""
        return self.filter(owner__memberships__user=user)

    def for_list(self) -> "ComponentQuerySet":
        """What a list row shows, in a fixed number of queries whatever the page size."""
        return self.select_related("owner", "system").prefetch_related("tags")


def memberships_of(request) -> list:
    """The signed-in user's team memberships, read once per request and shared by all callers."""
    from catalog.access import memberships

    user = getattr(request, "user", None)
    return memberships(user) if user is not None else []
