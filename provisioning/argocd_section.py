"""The service page's "Argo CD" section: per environment, what Argo CD reports of the service's
Application (sync status, health, revision, last sync), with "Sync now" where the policy
allows; and the service behind that button. One Argo CD call per page, none when it is not
connected."""

from dataclasses import dataclass

from django.http import HttpRequest

from catalog import access
from idp_portal import audit
from provisioning import argocd, rollouts
from provisioning.golden_paths.sections import UNREAD, origin_already_read
from provisioning.models import Environment, ServiceOrigin


@dataclass(frozen=True)
class SyncTarget:
    """What "Sync now" acts on, as the policy reads it (`team_id`, `is_production`)."""

    origin: ServiceOrigin
    environment: Environment

    @property
    def team_id(self) -> int:
        return self.origin.team_id

    @property
    def is_production(self) -> bool:
        return self.environment.requires_approval

    @property
    def application(self) -> str:
        return argocd.application_name(self.origin.name, self.environment.name)

    def __str__(self) -> str:
        return self.application


def argocd_section(request: HttpRequest, component) -> dict:
    """Only with Argo CD connected (the deployments section says "not connected" otherwise,
    so a service page without it costs no query)."""
    if not argocd.connection_status()[0]:
        return {"origin": None}
    origin = origin_already_read(component)
    if origin is UNREAD:
        origin = ServiceOrigin.objects.filter(component=component).select_related("team").first()
    if origin is None:
        return {"origin": None}
    return section_context(request.user, origin)


def section_context(user, origin: ServiceOrigin, notice: str = "") -> dict:
    """The section's rows, or its state when Argo CD is not connected or failing."""
    context = {"origin": origin, "notice": notice, "rows": [], "state": ""}
    connected, status = argocd.connection_status()
    if not connected:
        return context | {"state": status}
    try:
        apps = argocd.service_applications(origin.name)
    except argocd.ArgoError as error:
        return context | {"state": f"failing: {error}"}
    rows = []
    for env in Environment.objects.all():
        target = SyncTarget(origin, env)
        rows.append(
            {
                "environment": env,
                "application": target.application,
                "app": apps.get(env.name),
                "can_sync": access.can(user, "service.sync", target),
            }
        )
    return context | {"rows": rows, "state": status}


def sync_now(user, target: SyncTarget) -> str:
    """Ask Argo CD to sync the Application now; a sentence saying how it went (audited)."""
    team = target.origin.team.name
    try:
        app = argocd.sync(target.application)
    except argocd.ArgoError as error:
        audit.record(
            user,
            "service.sync",
            target.origin,
            team=team,
            outcome="failed",
            detail=f"{target.application}: {error}",
        )
        return f"Sync of {target.application} not started: {error}"
    audit.record(
        user,
        "service.sync",
        target.origin,
        team=team,
        detail=f"sync of {target.application} started",
    )
    rollouts.resume_tracking(target.origin, target.environment)
    return f"Argo CD is syncing {target.application} ({app.operation or 'requested'})."
