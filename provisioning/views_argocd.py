"""Argo CD's "Sync now" on a service page (HTMX POST, CSRF-checked)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from catalog import access
from idp_portal.htmx import is_partial, vary_on_htmx
from provisioning.argocd_section import SyncTarget, section_context, sync_now
from provisioning.models import Environment, ServiceOrigin

SECTION = "provisioning/sections/argocd.html"


def _refusal(target: SyncTarget) -> str:
    if target.is_production:
        return (
            f"{target.environment} is production: it changes only through a deployment a team "
            "lead approves, so Sync now is not offered there."
        )
    return (
        f"{target.origin.name} belongs to team {target.origin.team.display_name}: only its "
        "members or a platform admin can sync it."
    )


@require_POST
def sync_application(request: HttpRequest, name: str, environment: str) -> HttpResponse:
    origin = get_object_or_404(ServiceOrigin.objects.select_related("team", "component"), name=name)
    env = get_object_or_404(Environment, name=environment)
    target = SyncTarget(origin, env)
    access.require(request.user, "service.sync", target, _refusal(target))
    notice = sync_now(request.user, target)
    if is_partial(request):
        context = section_context(request.user, origin, notice) | {"component": origin.component}
        return vary_on_htmx(render(request, SECTION, context))
    messages.info(request, notice)
    return redirect(origin.component.get_absolute_url() if origin.component_id else "/")
