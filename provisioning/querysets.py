"""Row scoping for provisioning: who may see which requests and resources."""

from django.db import models


def _team_ids(user) -> models.QuerySet:
    from catalog.models import TeamMembership

    return TeamMembership.objects.filter(user=user).values("team_id")


class ProvisioningRequestQuerySet(models.QuerySet):
    def for_user(self, user) -> "ProvisioningRequestQuerySet":
        """Platform admins see every request; others see their teams' requests."""
        if user.is_staff:
            return self
        return self.filter(team_id__in=_team_ids(user))


class ProvisionedResourceQuerySet(models.QuerySet):
    def for_user(self, user) -> "ProvisionedResourceQuerySet":
        if user.is_staff:
            return self
        return self.filter(team_id__in=_team_ids(user))
