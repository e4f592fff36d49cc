"""Observability pages: the coverage catalog, backfills, and a team's on-call target."""

import hashlib

from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog import access
from catalog.choices import Lifecycle, Tier
from catalog.models import Component, System, Team
from idp_portal import audit
from idp_portal.htmx import is_partial, vary_on_htmx
from idp_portal.querystrings import without
from observability import conf, oncall, pagerduty, services
from observability.choices import SIGNALS, SignalStatus
from observability.filtersets import FILTER_KEYS, CoverageFilterSet
from observability.forms import TeamOnCallForm
from observability.lookups import (
    get_component_for_backfill,
    get_team_for_connect,
    get_team_for_on_call,
    get_team_for_on_call_view,
)
from observability.models import CoverageRefresh, TeamOnCall
from observability.querysets import CoveragePaginator, signals_of, team_rollup
from observability.stack import connection_summary
from provisioning.models import ProvisioningRequest

PAGE_SIZE = 50


def _filter_options() -> dict:
    return {
        "teams": list(Team.objects.order_by("name").values_list("name", "title")),
        "systems": list(System.objects.order_by("name").values_list("name", "title")),
        "tiers": Tier.choices,
        "lifecycles": Lifecycle.choices,
        "signals": SIGNALS,
        "statuses": SignalStatus.choices,
    }


def _rollup_key(filterset: CoverageFilterSet, last_refresh: CoverageRefresh | None) -> str:
    """The roll-up's cache key: per refresh and filter ("" before the first refresh)."""
    if last_refresh is None:
        return ""
    params = sorted((k, v) for k, values in filterset.data.lists() for v in values)
    return (
        "observability:rollup:"
        + hashlib.sha256(repr((last_refresh.pk, params)).encode()).hexdigest()
    )


def _cached_rollup(filterset: CoverageFilterSet, key: str) -> list:
    """The roll-up changes with each refresh: cache it per refresh and filter (it is the page's
    costliest query, an aggregate over every matching service). A service added since the
    last refresh joins its team's count at the next one. The page caches its rendered table
    under the same key too."""
    if not key:
        return team_rollup(filterset.qs)
    return cache.get_or_set(key, lambda: team_rollup(filterset.qs), conf.refresh_seconds())


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    data = request.GET
    filterset = CoverageFilterSet(data, queryset=Component.objects.all())
    # The roll-up answers "how covered is each team" for the same teams, systems and tiers,
    # whatever signal status is picked.
    rollup_set = CoverageFilterSet(
        without(data, "signal", "status", "page"), Component.objects.all()
    )
    last_refresh = CoverageRefresh.objects.first()
    after = last_refresh.last_component_id if last_refresh else 0
    page = CoveragePaginator(filterset, PAGE_SIZE, after).get_page(data.get("page"))
    for component in page.object_list:
        component.signal_statuses = list(signals_of(component).items())
    rollup_key = _rollup_key(rollup_set, last_refresh)
    context = {
        "filterset": filterset,
        "selected": {key: data.getlist(key) for key in FILTER_KEYS},
        "page": page,
        "rollup": _cached_rollup(rollup_set, rollup_key),
        "rollup_key": rollup_key,
        # Readers of the same roll-up see the same table but for their on-call links.
        "viewer_key": "admin"
        if access.is_platform_admin(request.user)
        else ",".join(map(str, sorted(access.lead_team_ids(request.user)))),
        "refresh_seconds": conf.refresh_seconds(),
        "query_without_page": without(data, "page").urlencode(),
        "filter_query": without(data, "page"),
        "signals": SIGNALS,
        "can_backfill_many": access.can(request.user, "backfill.run", None),
    }
    template = "observability/index.html"
    if is_partial(request):
        return vary_on_htmx(render(request, f"{template}#coverage", context))
    context |= {
        "connected": connection_summary(),
        "last_refresh": last_refresh,
        "backfills": ProvisioningRequest.objects.for_user(request.user)
        .filter(type=services.BACKFILL_TYPE, state__in=services.ACTIVE_REQUEST_STATES)
        .order_by("-created_at")[:5],
        **_filter_options(),
    }
    return vary_on_htmx(render(request, template, context))


def _submit_backfill(request: HttpRequest, components, team, component, back: str):
    try:
        created, plan = services.submit_backfill(request.user, components, team, component)
    except services.BackfillError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    if plan.without_owner:
        messages.warning(
            request,
            f"{len(plan.without_owner)} service(s) have no owner team in the catalog and were "
            f"left out (e.g. {', '.join(plan.without_owner[:3])}): set their owner first.",
        )
    if created is None:
        messages.info(
            request,
            f"Nothing to write: {plan.up_to_date} bundle(s) are already up to date and "
            f"{plan.in_flight} are being written by an earlier request.",
        )
        return redirect(back)
    more = (
        f" {plan.not_examined} more service(s) remain: run the backfill again when this one "
        "has finished."
        if plan.not_examined
        else ""
    )
    messages.success(request, f"{plan.summary}. This page shows its progress.{more}")
    return redirect(created)


@require_POST
def backfill_service(request: HttpRequest, namespace: str, name: str) -> HttpResponse:
    component = get_component_for_backfill(request.user, namespace, name)
    return _submit_backfill(
        request, [component], component.owner, component, component.get_absolute_url()
    )


@require_POST
def backfill(request: HttpRequest) -> HttpResponse:
    """Every service matching the posted filter (the page's current one): admins only."""
    access.require(
        request.user,
        "backfill.run",
        None,
        "Backfilling many services at once is for platform admins: backfill one of your "
        "team's services from its page, or ask the platform team.",
    )
    data = request.POST.copy()
    data.pop("csrfmiddlewaretoken", None)
    filterset = CoverageFilterSet(data, queryset=Component.objects.all())
    components = list(filterset.qs.select_related("owner", "system"))
    back = f"{reverse('observability:index')}?{data.urlencode()}"
    return _submit_backfill(request, components, None, None, back)


@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    access.require(
        request.user,
        "coverage.refresh",
        None,
        "Only platform admins can start a coverage refresh by hand.",
    )
    from observability.tasks import refresh_coverage

    audit.record(request.user, "coverage.refresh", detail="coverage refresh queued by hand")
    transaction.on_commit(refresh_coverage.delay)
    messages.success(request, "Coverage refresh queued: reload this page in a minute.")
    return redirect("observability:index")


@require_http_methods(["GET", "POST"])
def team_on_call(request: HttpRequest, name: str) -> HttpResponse:
    team = get_team_for_on_call(request.user, name)
    current = TeamOnCall.objects.filter(team=team).first()
    form = TeamOnCallForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        oncall.set_on_call(
            team,
            request.user,
            form.cleaned_data["pagerduty_service"],
            form.cleaned_data["routing_key_secret"],
            form.cleaned_data["routing_key_secret_key"],
        )
        messages.success(
            request,
            f"Team {team.display_name}'s critical alerts now page PagerDuty service "
            f"{form.cleaned_data['pagerduty_service']}. Backfill the team's services to update "
            "their alert routes.",
        )
        return redirect(f"{reverse('observability:index')}?team={team.name}")
    context = {"team": team, "form": form, "current": current}
    return render(request, "observability/team_on_call.html", context)


@require_POST
def team_pagerduty_connect(request: HttpRequest, name: str) -> HttpResponse:
    """Queue "Connect PagerDuty" for the team; the team page shows how it went."""
    team = get_team_for_connect(request.user, name)
    connected, status = pagerduty.connection_status()
    if not connected:
        messages.error(request, f"PagerDuty is {status}: a platform admin must set it first.")
    else:
        row = oncall.request_connection(team, request.user)
        messages.success(request, f"Connect PagerDuty: {row.get_state_display()}: {row.message}.")
    return redirect(team.get_absolute_url())


@require_GET
def team_on_call_now(request: HttpRequest, name: str) -> HttpResponse:
    """Who is on call now in the team's escalation policy (GET /oncalls), or why not."""
    team = get_team_for_on_call_view(request.user, name)
    target = TeamOnCall.objects.filter(team=team).first()
    connected, status = pagerduty.connection_status()
    context = {"team": team, "connected": connected, "status": status, "on_calls": []}
    if connected and target:
        try:
            context["on_calls"] = pagerduty.on_call_for(target)
        except pagerduty.PagerDutyError as exc:
            context["error"] = f"failing: {exc}"
    elif connected:
        context["status"] = "the team has no on-call target yet"
        context["connected"] = False
    partial = is_partial(request)
    template = (
        "observability/_on_call_now.html" if partial else "observability/team_on_call_now.html"
    )
    return vary_on_htmx(render(request, template, context))
