"""Environment parity: the service page's section and the platform team's report.

Both read what is really in the GitOps repository at the branch head (people hand-edit it),
with one `ls-tree` and one `cat-file --batch` however many services there are, and hand the
files to the pure comparison in golden_paths/parity.py.
"""

from django import forms
from django.db.models import Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog import access
from catalog.models import Team
from provisioning.git_host import DEFAULT_BRANCH, GITOPS_REPOSITORY, get_host
from provisioning.golden_paths import parity
from provisioning.models import Environment, ServiceOrigin

ADMINS_ONLY = (
    "The parity report covers every team's services, so it is for platform admins. "
    "Your own services' parity is on each service's page, under Environment parity."
)


def gitops_files(folder: str) -> dict[str, str]:
    """Every file under `folder` at the branch head; a hand-added file that is not text is
    read with replacement characters (parity only compares)."""
    return get_host().read_files(GITOPS_REPOSITORY, DEFAULT_BRANCH, folder, errors="replace")


# --- The service page's section --------------------------------------------------------------


def parity_section(request: HttpRequest, component) -> dict:
    """One query: the environments, each carrying the name of the component's golden-path
    service (None when it was not made from one, and the section stays empty)."""
    origin = ServiceOrigin.objects.filter(component=component).values("name")[:1]
    rows = list(
        Environment.objects.annotate(service=Subquery(origin)).values_list("name", "service")
    )
    service = rows[0][1] if rows else None
    if service is None:
        return {"service": None}
    connected, status = get_host().connection_status()
    if not connected:
        return {"service": service, "not_connected": status}
    environments = [name for name, _ in rows]
    result = parity.compare_service(gitops_files(f"apps/{service}"), environments)
    return {"service": service, "parity": result, "environments": environments}


# --- The platform team's report --------------------------------------------------------------


class ParityFilterForm(forms.Form):
    team = forms.ChoiceField(
        required=False,
        label="Team",
        help_text="Show only the services this team owns; leave empty for every team.",
    )

    def __init__(self, data, teams: list[Team]) -> None:
        super().__init__(data)
        self.fields["team"].choices = [("", "All teams")] + [
            (t.name, t.display_name) for t in teams
        ]
        self.fields["team"].error_messages["invalid_choice"] = (
            "no golden-path service belongs to that team: pick one from the list"
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
