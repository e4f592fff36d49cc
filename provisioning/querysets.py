"""Row scoping for provisioning: who may see which requests and resources (asked of the one
policy, catalog.access)."""

from django.db import models

from catalog import access
from provisioning.choices import RequestState


class ProvisioningRequestQuerySet(models.QuerySet):
    def for_user(self, user) -> "ProvisioningRequestQuerySet":
        """Platform admins see every request; others see their teams' requests."""
        if access.is_platform_admin(user):
            return self
        return self.filter(team_id__in=access.member_team_ids(user))

    def awaiting_approval_by(self, user) -> "ProvisioningRequestQuerySet":
        """Held requests this user may approve: their teams' as a lead (every team's for a
        platform admin), never their own."""
        waiting = self.filter(state=RequestState.AWAITING_APPROVAL).exclude(requester=user)
        if access.is_platform_admin(user):
            return waiting
        return waiting.filter(team_id__in=access.lead_team_ids(user))


class ProvisionedResourceQuerySet(models.QuerySet):
    def for_user(self, user) -> "ProvisionedResourceQuerySet":
        if access.is_platform_admin(user):
            return self
        return self.filter(team_id__in=access.member_team_ids(user))
