"""The home page, health endpoints and error pages."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from catalog.access import is_platform_admin, member_team_ids
from catalog.choices import TeamRole
from catalog.models import TeamMembership
from idp_portal.api_errors import api_error
from idp_portal.celery import app as celery_app

logger = logging.getLogger(__name__)

HOME_TASKS = [
    {
        "title": "Find a service",
        "text": "Who owns it, what it depends on, where its docs, dashboards and runbook are.",
        "url": "catalog:service_list",
        "action": "Browse the catalog",
    },
    {
        "title": "Create a service",
        "text": "Start from a golden path: repository, pipeline, manifests and monitoring, "
        "deployed to staging.",
        "url": "provisioning:create_service",
        "action": "Create a service",
    },
    {
        "title": "Provision infrastructure",
        "text": "A bucket, a database, a queue, a namespace or a secrets path, named and tagged "
        "for you.",
        "url": "provisioning:index",
        "action": "Request a resource",
    },
    {
        "title": "Check observability",
        "text": "Logs, metrics, traces, dashboards and alerts: see which services have them.",
        "url": "observability:index",
        "action": "See coverage",
    },
    {
        "title": "Tell the platform team",
        "text": "Ask a question, report something confusing, answer the developer-experience "
        "survey, read the roadmap.",
        "url": "feedback:index",
        "action": "Give feedback",
    },
]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"tasks": HOME_TASKS})


@require_GET
def help_page(request: HttpRequest) -> HttpResponse:
    """What the portal does, whom to ask and when the platform team holds office hours."""
    leads = (
        TeamMembership.objects.filter(team_id__in=member_team_ids(request.user), role=TeamRole.LEAD)
        .exclude(user=request.user)
        .select_related("user", "team")
        .order_by("team__name", "user__username")
    )
    return render(request, "help.html", {"tasks": HOME_TASKS, "leads": leads})


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. No database, so an outage never restarts pods."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not ready"
        return f"database unreachable: {exc.__class__.__name__}: {str(exc).strip()[:200]}"
    return None


def _check_broker() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:
        return f"broker unreachable: {exc.__class__.__name__}: {str(exc).strip()[:200]}"
    return None


def _check_cache() -> str | None:
    try:
        cache.set("readyz", "ok", timeout=10)
        if cache.get("readyz") != "ok":
            return "cache unreachable: a value written was not read back"
    except Exception as exc:
        return f"cache unreachable: {exc.__class__.__name__}: {str(exc).strip()[:200]}"
    return None


def _shows_details(request: HttpRequest) -> bool:
    """Hosts, ports and driver errors are for platform admins; probes and others see names."""
    try:
        return is_platform_admin(request.user)
    except Exception:  # the session lives in the database, which may be what is down
        return False


@login_not_required
@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: the database, the Celery broker and the cache answer; 503 names whichever does
    not (with the error only for a signed-in platform admin: it can hold hosts and ports)."""
    checks = (
        ("database", _check_database()),
        ("broker", _check_broker()),
        ("cache", _check_cache()),
    )
    problems = {name: problem for name, problem in checks if problem}
    if problems:
        logger.warning("not ready: %s", problems)
        if not _shows_details(request):
            problems = dict.fromkeys(problems, "unreachable")
        return JsonResponse({"status": "unavailable", "failing": problems}, status=503)
    return JsonResponse({"status": "ok", "checks": [name for name, _ in checks]})


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    reason = str(exception or "")
    if request.path.startswith("/api/"):
        return api_error(403, "NotAllowedError", reason or "You are not allowed to do this.")
    return render(request, "403.html", {"reason": reason}, status=403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return api_error(404, "NotFoundError", f"nothing at {request.path}: see /api/schema")
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without context processors: the failure may be in the database they read.
    from django.template import loader

    return HttpResponse(
        loader.get_template("500.html").render({"debug": settings.DEBUG}), status=500
    )
