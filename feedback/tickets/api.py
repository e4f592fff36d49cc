"""JSON endpoints of the feedback app's tickets part (included under /api/metrics/).

- `GET ticket-audit` → {"period": {"start", "end"}, "unclassified": n, "types": [{"type",
  "count", "median_resolution_hours", "self_service"}]}: every classified ticket type of the
  last 90 days, most requested first. Platform admins only ("metrics.view").
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.urls import path

from catalog import access
from feedback.tickets.querysets import last_days, type_ranking, unclassified_count
from idp_portal.openapi import BOOLEAN, INTEGER, STRING, obj, operation
from observability.api import api_get

DATE = {"type": "string", "format": "date"}
TYPE_ROW = obj(
    {
        "type": STRING,
        "count": INTEGER,
        "median_resolution_hours": {
            "type": ["number", "null"],
            "description": "Median hours from created to resolved; null when none resolved.",
        },
        "self_service": BOOLEAN,
    },
    ("type", "count", "median_resolution_hours", "self_service"),
)
AUDIT = obj(
    {
        "period": obj({"start": DATE, "end": DATE}, ("start", "end")),
        "unclassified": INTEGER,
        "types": {"type": "array", "items": TYPE_ROW},
    },
    ("period", "unclassified", "types"),
)
FORBIDDEN = obj({"error": STRING}, ("error",))
WHY = "The ticket audit is for platform admins."


@operation(
    "get",
    "Ticket audit: the ticket types of the last 90 days, most requested first",
    responses={
        200: ("The ranked types and the period they cover.", AUDIT),
        403: ("Not a platform admin.", FORBIDDEN),
    },
    tags=("feedback",),
)
@api_get
def ticket_audit(request: HttpRequest) -> JsonResponse:
    try:
        access.require(request.user, "metrics.view", None, WHY)  # audits the refusal
    except PermissionDenied as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    start, end = last_days()
    return JsonResponse(
        {
            "period": {"start": start.isoformat(), "end": end.isoformat()},
            "unclassified": unclassified_count(start, end),
            "types": [t.to_json() for t in type_ranking(start, end)],
        }
    )


urlpatterns = [path("ticket-audit", ticket_audit, name="ticket_audit")]
