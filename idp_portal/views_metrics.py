"""/metrics: the portal's Prometheus metrics, for a scraper holding METRICS_TOKEN."""

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from idp_portal.metrics import exposition

CLOSED = (
    "metrics are closed in production until METRICS_TOKEN is set: set it, and scrape with "
    "Authorization: Bearer <METRICS_TOKEN>"
)


def refusal(request: HttpRequest) -> JsonResponse | None:
    """Why this caller may not read /metrics, or None when it may: with METRICS_TOKEN set,
    only a bearer of it; without, anyone under DEBUG and nobody in production."""
    token = settings.METRICS_TOKEN
    if not token:
        return None if settings.DEBUG else JsonResponse({"error": CLOSED}, status=403)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token):
        return None
    response = JsonResponse(
        {"error": "send Authorization: Bearer <METRICS_TOKEN> (the scraper's token)"}, status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@login_not_required  # Prometheus has no session: the bearer token (or DEBUG) decides
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's text exposition of the portal's metrics."""
    if (refused := refusal(request)) is not None:
        return refused
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
