"""The survey's results page and its CSV export (aggregates of closed cycles only)."""

from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog import access
from feedback.roadmap.services import survey_themes
from feedback.survey import reports, results
from feedback.survey.models import SurveyCycle
from idp_portal.csv_export import csv_download


def _chosen(request: HttpRequest, cycles: list[SurveyCycle]) -> SurveyCycle | None:
    wanted = request.GET.get("cycle", "")
    return next((c for c in cycles if c.quarter == wanted), cycles[0] if cycles else None)


@require_GET
def results_page(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "survey.results", None, "see the survey results")
    cycles = reports.closed_cycles()
    cycle = _chosen(request, cycles)
    report, (likert_trend, nps_trend, nps_scores, trend_key) = reports.page_results(cycles, cycle)
    context = {
        "cycles": cycles,
        "cycle": cycle,
        "report": report,
        "likert_trend": likert_trend,
        "nps_trend": nps_trend,
        "nps_scores": nps_scores,
        "trend_key": trend_key,
        "nps_method": results.NPS_METHOD,
        "min_group": results.MIN_GROUP,
        "may_export": access.can(request.user, "survey.export"),
        "themes": survey_themes(cycle) if cycle else [],
    }
    return render(request, "feedback/survey/results.html", context)


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def csv_rows(report: reports.CycleResults) -> Iterator[list[str]]:
    """cycle, group, question, statistic, value: the aggregates the page shows, no more."""
    quarter = report.cycle.quarter
    yield ["cycle", "group", "question", "statistic", "value"]
    yield [quarter, "all", "", "respondents", str(report.respondents)]
    yield [quarter, "all", "", "active users", str(report.active_users)]
    if not report.shown:
        return
    for r in report.questions:
        text = f"{r.question.position}. {r.question.text}"
        yield [quarter, "all", text, "answers", str(r.answers)]
        for label, count in r.chart.rows if r.chart else []:
            yield [quarter, "all", text, label, count]
        if r.mean is not None:
            yield [quarter, "all", text, "mean", _fmt(r.mean)]
        if r.nps is not None:
            yield [quarter, "all", text, "NPS", _fmt(r.nps.score)]
            yield [quarter, "all", text, "NPS 95% low", _fmt(r.nps.low)]
            yield [quarter, "all", text, "NPS 95% high", _fmt(r.nps.high)]
    for team in report.teams:
        if not team.shown:
            yield [quarter, team.name, "", "respondents", f"hidden: fewer than {results.MIN_GROUP}"]
            continue
        yield [quarter, team.name, "", "respondents", str(team.respondents)]
        for question, value in team.means:
            yield [quarter, team.name, f"{question.position}. {question.text}", "mean", _fmt(value)]
        if team.nps is not None:
            yield [quarter, team.name, "", "NPS", _fmt(team.nps.score)]


@require_GET
def export(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "survey.export", None, "export the survey results")
    cycles = reports.closed_cycles()
    cycle = _chosen(request, cycles)
    rows = csv_rows(reports.cycle_results(cycle)) if cycle is not None else []
    return csv_download(rows, f"survey-{cycle.quarter if cycle else 'none'}.csv")
