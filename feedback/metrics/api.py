"""JSON endpoints of the feedback app's metrics part (included under /api/ by feedback/api.py).

- `GET platform[?team=<name>]` → {"onboarding_time": {"value", "unit", "definition",
  "period": {"start", "end"}, "sample_size"}, ...} for the ten platform metrics over the
  last 90 days; `team` scopes the four DORA metrics to one team. Platform admins only
  ("metrics.view"): others get 403.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.urls import path

from catalog import access
from catalog.models import Team
from feedback.metrics.definitions import PLATFORM_KEYS, Period, platform_metrics
from idp_portal.openapi import FIELD_ERRORS, STRING, obj, operation, query
from observability.api import api_get

WHY = "Platform metrics are for platform admins; ask the platform team for the figures."
DORA = ("deployment_frequency", "change_lead_time", "change_fail_rate", "recovery_time")


DATE = {"type": "string", "format": "date"}


def _metric_schema(value: dict) -> dict:
    return obj(
        {
            "value": value,
            "unit": STRING,
            "definition": STRING,
            "period": obj(
                {"start": DATE, "end": DATE}, ("start", "end"), additionalProperties=False
            ),
            "sample_size": {"type": "integer", "minimum": 0},
        },
        ("value", "unit", "definition", "period", "sample_size"),
        additionalProperties=False,
    )


NUMBER = {"type": ["number", "null"]}
SHARE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
SHARES = ("self_service_share", "change_fail_rate", "observability_coverage")
PLATFORM = obj(
    {key: _metric_schema(SHARE if key in SHARES else NUMBER) for key in PLATFORM_KEYS},
    PLATFORM_KEYS,
    additionalProperties=False,
)
ERROR = obj({"error": STRING}, ("error",))


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@operation(
    "get",
    "Platform and delivery metrics over the last 90 days, each with its definition",
    parameters=(query("team", STRING, "A team's name: scopes the four DORA metrics to it."),),
    responses={
        200: ("The ten metrics; value null with sample_size 0 where there is no data.", PLATFORM),
        400: ("An unknown team.", FIELD_ERRORS),
        403: ("Not a platform admin.", ERROR),
    },
    tags=("feedback",),
)
@api_get
def platform(request: HttpRequest) -> JsonResponse:
    try:
        access.require(request.user, "metrics.view", None, WHY)
    except PermissionDenied as exc:
        return _error(403, str(exc) or WHY)
    team_ids = None
    if name := request.GET.get("team"):
        team_ids = list(Team.objects.filter(name=name).values_list("pk", flat=True))
        if not team_ids:
            message = f"no team named '{name}': use a team's name as the catalog shows it"
            return JsonResponse({"errors": {"team": [message]}}, status=400)
    metrics = platform_metrics(Period.last_days(), team_ids)
    return JsonResponse({key: metric.to_json() for key, metric in metrics.items()})


urlpatterns = [path("platform", platform, name="platform")]
