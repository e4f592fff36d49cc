"""Day-2 updates: which services are behind their golden path or pipeline, and opening the
upgrades and roll-outs that bring them forward (each a provisioning request)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from catalog import access
from provisioning.golden_paths import updates
from provisioning.lookups import get_origin_for_user
from provisioning.models import GoldenPath, PipelineTemplate, ProvisioningRequest

ADMINS_ONLY = (
    "Upgrading services across teams is for platform admins: upgrade your own service from its "
    "page in the catalog, or ask a platform admin."
)
TARGETS = {"golden-path": GoldenPath, "pipeline": PipelineTemplate}


@require_GET
def updates_overview(request: HttpRequest) -> HttpResponse:
    """Every golden path and pipeline template, with the services behind its newest version."""
    access.require(request.user, "golden_path.update", None, ADMINS_ONLY)
    recent = (
        ProvisioningRequest.objects.filter(type__in=[updates.UPGRADE_TYPE, updates.ROLLOUT_TYPE])
        .select_related("requester")
        .order_by("-created_at")[:10]
    )
    context = {**updates.overview(), "recent": updates.progress(list(recent))}
    return render(request, "provisioning/golden/updates.html", context)


@require_POST
def open_update(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Open the upgrade (golden path) or roll-out (pipeline) for every service behind, or for
    the one named in `service`."""
    access.require(request.user, "golden_path.update", None, ADMINS_ONLY)
    if kind not in TARGETS:
        raise Http404("no such kind of update")
    target = get_object_or_404(TARGETS[kind], pk=pk)
    service = request.POST.get("service", "").strip()
    try:
        opened = updates.submit_update(request.user, target, [service] if service else None)
    except updates.UpdateError as exc:
        messages.error(request, f"Nothing opened: {exc}.")
        return redirect("provisioning:updates")
    messages.success(request, f"Request #{opened.pk}: {opened.plan['summary']}.")
    return redirect(opened)


@require_POST
def upgrade_service(request: HttpRequest, name: str) -> HttpResponse:
    """Bring one service to the newest golden path and pipeline versions (owners and admins)."""
    origin = get_origin_for_user(request.user, name, "service.upgrade")
    try:
        opened = updates.submit_service_upgrade(request.user, origin)
    except updates.UpdateError as exc:
        messages.error(request, f"Nothing opened: {exc}.")
        if origin.component_id:
            return redirect(origin.component.get_absolute_url())
        return redirect("provisioning:my_requests")
    messages.success(request, f"Request #{opened.pk}: {opened.plan['summary']}.")
    return redirect(opened)
