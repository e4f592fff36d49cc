"""Pages of the metrics part: the platform metrics dashboard and the pilot report."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from catalog import access
from feedback.metrics import services
from feedback.metrics.dashboard import dashboard
from feedback.metrics.forms import PilotProgrammeForm
from feedback.metrics.models import PilotProgramme
from feedback.metrics.pilot import comparison, csv_rows
from idp_portal.csv_export import csv_download

WHY = (
    "The platform metrics are for platform admins. If you need a figure, ask the platform "
    "team in their channel."
)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "metrics.view", None, WHY)
    return render(request, "feedback/metrics/dashboard.html", dashboard())


PILOT_WHY = (
    "The pilot report is for platform admins. Ask the platform team for the pilot's figures."
)


def _programme(request: HttpRequest, programmes: list[PilotProgramme]) -> PilotProgramme | None:
    wanted = request.GET.get("programme", "")
    chosen = next((p for p in programmes if str(p.pk) == wanted), None)
    return chosen or (programmes[0] if programmes else None)


@require_http_methods(["GET", "POST"])
def pilot_report(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "pilot.report", None, PILOT_WHY)
    form = PilotProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        programme = services.create_pilot(request.user, form)
        messages.success(request, f"Pilot {programme.name} saved.")
        return redirect(f"{reverse('feedback:pilot_report')}?programme={programme.pk}")
    programmes = list(PilotProgramme.objects.prefetch_related("teams"))
    programme = _programme(request, programmes)
    windows, rows = comparison(programme) if programme else (None, [])
    context = {
        "programmes": programmes,
        "programme": programme,
        "teams": sorted(t.name for t in programme.teams.all()) if programme else [],
        "windows": windows,
        "rows": rows,
        "form": form,
    }
    return render(
        request, "feedback/metrics/pilot_report.html", context, status=400 if form.errors else 200
    )


@require_GET
def pilot_report_csv(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(request.user, "pilot.report", None, PILOT_WHY)
    programme = get_object_or_404(PilotProgramme, pk=pk)
    _, rows = comparison(programme)
    teams = sorted(programme.teams.values_list("name", flat=True))
    return csv_download(csv_rows(programme, teams, rows), f"pilot-{programme.pk}.csv")
