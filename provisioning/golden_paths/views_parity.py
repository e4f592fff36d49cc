"""Environment parity: the platform team's report across every team's services.

It reads what is really in the GitOps repository at the branch head (people hand-edit it),
with one `ls-tree` and one `cat-file --batch` however many services there are, and hands the
files to the pure comparison in golden_paths/parity.py. The service page's own section is in
golden_paths/sections.py.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog import access
from catalog.models import Team
from provisioning.git_host import get_host
from provisioning.golden_paths import parity
from provisioning.golden_paths.forms import ParityFilterForm
from provisioning.golden_paths.sections import gitops_files
from provisioning.models import Environment, ServiceOrigin

ADMINS_ONLY = (
    "The parity report covers every team's services, so it is for platform admins. "
    "Your own services' parity is on each service's page, under Environment parity."
)


@require_GET
def parity_report(request: HttpRequest) -> HttpResponse:
    """Every golden-path service with its flagged differences, worst first."""
    access.require(request.user, "parity.report", None, ADMINS_ONLY)
    teams = list(Team.objects.filter(pk__in=ServiceOrigin.objects.values("team")).order_by("name"))
    form = ParityFilterForm(request.GET, teams)
    origins = ServiceOrigin.objects.select_related("team", "component").order_by("name")
    if form.is_valid() and form.cleaned_data["team"]:
        origins = origins.filter(team__name=form.cleaned_data["team"])
    context = {"form": form, "rows": [], "not_connected": ""}
    connected, status = get_host().connection_status()
    if not connected:
        context["not_connected"] = status
        return render(request, "provisioning/parity_report.html", context)
    environments = list(Environment.objects.values_list("name", flat=True))
    by_service = parity.files_by_service(gitops_files("apps"))
    rows = [
        {"origin": o, "parity": parity.compare_service(by_service.get(o.name, {}), environments)}
        for o in origins
    ]
    rows.sort(key=lambda r: (-r["parity"].issue_count, r["origin"].name))
    context |= {"rows": rows, "environments": environments}
    return render(request, "provisioning/parity_report.html", context)
