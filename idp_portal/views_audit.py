"""The audit page for platform admins: the trail, filtered, paged, and exported as CSV."""

import json
from collections.abc import Iterable, Iterator

from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from catalog import access
from catalog.pagination import CappedPaginator
from idp_portal.csv_export import csv_download
from idp_portal.filtersets import FILTERS, AuditEventFilterSet
from idp_portal.htmx import is_partial, vary_on_htmx
from idp_portal.models import AuditEvent
from idp_portal.querystrings import without

PAGE_SIZE = 50
WHY = (
    "The audit trail is for platform admins. If you need to know who changed something, "
    "ask the platform team to look it up."
)
CSV_COLUMNS = [
    "at",
    "actor",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "object",
    "team",
    "via",
    "ip",
    "user_agent",
    "detail",
    "before",
    "after",
]


def _filtered(request: HttpRequest) -> AuditEventFilterSet:
    access.require(request.user, "audit.view", None, WHY)
    return AuditEventFilterSet(request.GET, queryset=AuditEvent.objects.all())


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    filterset = _filtered(request)
    # Invalid values (an impossible date) are reported on the page; the other filters apply.
    paginator = CappedPaginator(filterset.qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = without(request.GET, "page").urlencode()
    context = {
        "filterset": filterset,
        "page": page,
        "query_without_page": query,
        "active_filters": _active_filters(request.GET),
    }
    template = "audit/event_list.html"
    if is_partial(request):
        template += "#results"
    return vary_on_htmx(render(request, template, context))


@require_GET
def event_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered trail as CSV, streamed row by row so a year of events never sits in memory."""
    events = _filtered(request).qs.iterator(chunk_size=2000)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return csv_download(_csv_rows(events), f"audit-{stamp}.csv", stream=True)


def _csv_rows(events: Iterable[AuditEvent]) -> Iterator[list[str]]:
    yield CSV_COLUMNS
    for e in events:
        row = [
            e.at.isoformat(),
            e.actor_name,
            e.action,
            e.outcome,
            e.object_type,
            e.object_id,
            e.object_repr,
            e.team,
            e.via,
            e.ip,
            e.user_agent,
            e.detail,
            _json_or_blank(e.before),
            _json_or_blank(e.after),
        ]
        yield row


def _json_or_blank(value) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True)


def _active_filters(data: QueryDict) -> list[dict]:
    """Each filter in use with the link that removes just it."""
    chips = []
    for key in FILTERS:
        if data.get(key):
            chips.append(
                {"key": key, "value": data[key], "remove": without(data, key, "page").urlencode()}
            )
    return chips
