"""JSON API under /api/observability (token or session authentication, read-only).

- `GET coverage?service=<name>` → {"service", "signals": {"logs": "missing|configured|verified",
  "metrics", "traces", "dashboard", "alerts"}}; an unknown service → 404 {"error": "..."}.
- `GET coverage` with the coverage page's filters (team, system, tier, lifecycle, signal,
  status) → {"count", "next", "previous", "results": [{"service", "namespace", "team", "tier",
  "signals", "fully_covered"}]}, most critical gaps first; `page` (from 1) and `page_size`
  (1–1000, default 50); `next`/`previous` are full URLs or null.
"""

from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.core.paginator import EmptyPage
from django.http import HttpRequest, JsonResponse
from django.urls import path

from catalog.models import Component
from catalog.pagination import API_DEFAULT_PAGE_SIZE, API_MAX_PAGE_SIZE
from idp_portal.openapi import (
    BOOLEAN,
    FIELD_ERRORS,
    INTEGER,
    NULLABLE_STRING,
    STRING,
    obj,
    operation,
    query,
)
from observability.filtersets import CoverageFilterSet
from observability.querysets import CoveragePaginator, coverage_list, signals_of

app_name = "observability_api"
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = API_DEFAULT_PAGE_SIZE, API_MAX_PAGE_SIZE


def _error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def api_get(view):
    """GET only; 401 JSON without a session (not the sign-in page)."""

    @login_not_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.method != "GET":
            response = _error(405, f"{request.method} is not allowed here: use GET")
            response["Allow"] = "GET"
            return response
        if not request.user.is_authenticated:
            return _error(401, "Sign in first: send a bearer token or the portal session cookie")
        return view(request, *args, **kwargs)

    return wrapper


def _one(name: str, namespace: str) -> JsonResponse:
    component = coverage_list(
        Component.objects.filter(namespace__iexact=namespace, name__iexact=name)
    ).first()
    if component is None:
        return _error(404, f"no service named '{name}' in the catalog (namespace '{namespace}')")
    return JsonResponse({"service": component.name, "signals": signals_of(component)})


def _int(raw: str | None, default: int, name: str, high: int | None = None) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, e.g. {name}={default}") from None
    if value < 1 or (high and value > high):
        raise ValueError(f"{name} must be from 1 to {high or 'the last page'}")
    return value


def _page_url(request: HttpRequest, number: int) -> str:
    query = request.GET.copy()
    query["page"] = str(number)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


STATUS = {"type": "string", "enum": ["missing", "configured", "verified"]}
SIGNAL_NAMES = ("logs", "metrics", "traces", "dashboard", "alerts")
SIGNALS = obj({name: STATUS for name in SIGNAL_NAMES}, SIGNAL_NAMES)
ONE_SERVICE = obj({"service": STRING, "signals": SIGNALS}, ("service", "signals"))
ROW = obj(
    {
        "service": STRING,
        "namespace": STRING,
        "team": NULLABLE_STRING,
        "tier": {"type": ["integer", "null"]},
        "signals": SIGNALS,
        "fully_covered": BOOLEAN,
    },
    ("service", "namespace", "team", "tier", "signals", "fully_covered"),
)
LIST = obj(
    {
        "count": INTEGER,
        "next": NULLABLE_STRING,
        "previous": NULLABLE_STRING,
        "results": {"type": "array", "items": ROW},
    },
    ("count", "next", "previous", "results"),
)


@operation(
    "get",
    "Observability coverage: one service's five signals, or a filtered, paged list",
    parameters=(
        query("service", STRING, "One service by name: answers its signals only."),
        query("namespace", STRING, "The service's namespace (default: default)."),
        query("team", STRING, "Owner team's name."),
        query("system", STRING, "System name."),
        query("tier", INTEGER, "Tier, 1 (most critical) to 4."),
        query("lifecycle", STRING, "Lifecycle, e.g. production."),
        query("signal", {"enum": list(SIGNAL_NAMES)}, "With status: filter on one signal."),
        query("status", STATUS, "With signal: that signal's status."),
        query("page", {"type": "integer", "minimum": 1}, "Page number, from 1."),
        query(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            f"Rows per page: {DEFAULT_PAGE_SIZE} unless given, at most {MAX_PAGE_SIZE}.",
        ),
    ),
    responses={
        200: ("One service, or a page of services.", {"anyOf": [ONE_SERVICE, LIST]}),
        400: ("A filter or page parameter to fix.", FIELD_ERRORS),
        404: ("No such service.", obj({"error": STRING}, ("error",))),
    },
    tags=("observability",),
)
@api_get
def coverage(request: HttpRequest) -> JsonResponse:
    if name := request.GET.get("service"):
        return _one(name, request.GET.get("namespace", "default"))
    filterset = CoverageFilterSet(request.GET, queryset=Component.objects.all())
    if not filterset.is_valid():
        return JsonResponse(
            {"errors": {k: [str(m) for m in v] for k, v in filterset.errors.items()}}, status=400
        )
    try:
        size = _int(request.GET.get("page_size"), DEFAULT_PAGE_SIZE, "page_size", MAX_PAGE_SIZE)
        number = _int(request.GET.get("page"), 1, "page")
    except ValueError as exc:
        return JsonResponse({"errors": {"page": [str(exc)]}}, status=400)
    paginator = CoveragePaginator(filterset, size, exact=True)  # "count" is exact here
    try:
        page = paginator.page(number)
    except EmptyPage:
        return JsonResponse(
            {"errors": {"page": [f"there are {paginator.num_pages} page(s)"]}}, status=400
        )
    return JsonResponse(
        {
            "count": paginator.count,
            "next": _page_url(request, number + 1) if page.has_next() else None,
            "previous": _page_url(request, number - 1) if page.has_previous() else None,
            "results": [
                {
                    "service": c.name,
                    "namespace": c.namespace,
                    "team": c.owner.name if c.owner else None,
                    "tier": c.tier,
                    "signals": signals_of(c),
                    "fully_covered": c.covered,
                }
                for c in page.object_list
            ],
        }
    )


urlpatterns = [path("coverage", coverage, name="coverage")]
