"""Pages of the tickets part: the ticket audit (admins) and "Ask the platform team"."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from catalog import access
from feedback import charts
from feedback.tickets import parsing, services
from feedback.tickets.forms import HelpRequestForm, TicketUploadForm
from feedback.tickets.models import ColumnMapping, HelpRequest, Ticket
from feedback.tickets.querysets import AUDIT_DAYS, TOP, last_days, type_ranking, unclassified_count
from idp_portal.csv_export import csv_download

WHY = "The ticket audit is for platform admins: ask the platform team for its findings."
EXPORT_COLUMNS = ["source", "key", "type", "team", "created", "resolved", "summary", "labels"]


def _initial_from(mapping: ColumnMapping | None) -> dict:
    if mapping is None:
        return {}
    return {
        "format_name": mapping.name,
        "key_column": mapping.key_column,
        "created_column": mapping.created_column,
        "summary_column": mapping.summary_column,
        "labels_column": mapping.labels_column,
        "resolved_column": mapping.resolved_column,
    }


@require_http_methods(["GET", "POST"])
def ticket_audit(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "tickets.import", None, WHY)
    mappings = list(ColumnMapping.objects.all())
    chosen = next((m for m in mappings if m.name == request.GET.get("format")), None)
    chosen = chosen or max(mappings, key=lambda m: m.updated_at, default=None)
    form = TicketUploadForm(initial=_initial_from(chosen))
    report = None
    if request.method == "POST":
        form = TicketUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = services.import_tickets(
                    upload.read(), form.columns(), actor=request.user, filename=upload.name
                )
            except parsing.ImportRefused as exc:
                form.add_error("file", str(exc))
            else:
                services.save_mapping(
                    form.cleaned_data["format_name"], form.columns(), request.user
                )
                mappings = list(ColumnMapping.objects.all())
    start, end = last_days()
    ranking = type_ranking(start, end)
    top = ranking[:TOP]
    chart = charts.bar_chart(
        f"Top {TOP} ticket types, last {AUDIT_DAYS} days", [(t.title, t.count) for t in top]
    )
    context = {
        "form": form,
        "report": report,
        "mappings": mappings,
        "top": top,
        "chart": chart,
        "period": (start, end),
        "days": AUDIT_DAYS,
        "unclassified": unclassified_count(start, end),
        "total": sum(t.count for t in ranking),
    }
    return render(request, "feedback/tickets/audit.html", context)


@require_GET
def ticket_export(request: HttpRequest) -> HttpResponse:
    """Every classified ticket as CSV; cells a spreadsheet would run as formulas are escaped."""
    access.require(request.user, "tickets.import", None, WHY)
    stamp = timezone.now().strftime("%Y%m%d")
    tickets = Ticket.objects.exclude(type="").order_by("created").iterator(chunk_size=2000)
    return csv_download(_export_rows(tickets), f"tickets-{stamp}.csv", stream=True)


def _export_rows(tickets):
    yield EXPORT_COLUMNS
    for t in tickets:
        row = [t.source, t.key, t.type, t.team, t.created.isoformat()]
        yield row + [t.resolved.isoformat() if t.resolved else "", t.summary, " ".join(t.labels)]


@require_http_methods(["GET", "POST"])
def help_request(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "help.request", None, "Sign in to ask the platform team.")
    form = HelpRequestForm()
    if request.method == "POST":
        form = HelpRequestForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            sent = services.create_help_request(
                request.user, data["category"], data["description"], data["service"]
            )
            return redirect(f"{reverse('feedback:help_request')}?sent={sent.pk}")
    mine = list(HelpRequest.objects.filter(user=request.user))
    sent = next((h for h in mine if str(h.pk) == request.GET.get("sent")), None)
    return render(request, "feedback/tickets/help.html", {"form": form, "mine": mine, "sent": sent})
