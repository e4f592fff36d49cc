"""Pages of the metrics part: the platform metrics dashboard and the pilot report."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog import access
from feedback.metrics.dashboard import dashboard

WHY = (
    "The platform metrics are for platform admins. If you need a figure, ask the platform "
    "team in their channel."
)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "metrics.view", None, WHY)
    return render(request, "feedback/metrics/dashboard.html", dashboard())
