"""What observability adds to a catalog service page: signals, links, thresholds, on-call.

Two queries: the service's coverage row with its team's on-call target, and the baselines.
The environments come from the coverage row. A service the periodic refresh has not reached
yet (one just created or backfilled into existence) is read live from the GitOps repository
instead: one more query for the environments and one `git ls-tree`, so its new bundle shows as
configured at once rather than as missing for minutes. With Grafana connected, one more query
reads the dashboard addresses its API answered (GrafanaDashboard), for "Open dashboard in
Grafana".

The team page's "On call" section (`team_section`) reads the team's target and its last
"Connect PagerDuty" run; who is on call now is loaded by HTMX, since it calls PagerDuty.
"""

from urllib.parse import quote

from django.db.models import OuterRef, Subquery
from django.http import HttpRequest

from catalog import access
from catalog.models import Component
from idp_portal.fixed_queries import FixedQuery
from observability import conf, gitops, pagerduty
from observability.bundle import bundle_folder, dashboard_uid, k8s_name
from observability.choices import SIGNALS, SignalStatus
from observability.coverage import environment_details, signal_statuses, summary
from observability.models import GrafanaDashboard, OnCallConnection, TeamOnCall
from observability.services import thresholds_in_force
from observability.stack import StackReport, connection_summary
from provisioning.models import Environment


def _links(component, env: str, grafana: str, prometheus: str, stored: dict) -> dict:
    folder = bundle_folder(component.name, env)
    # the address Grafana's API answered when the portal wrote it, or why the write failed
    api_path, error = stored.get(env, ("", ""))
    default = f"{grafana}/d/{dashboard_uid(component.name, env)}" if grafana else ""
    return {
        "environment": env,
        "dashboard_url": f"{grafana}{api_path}" if grafana and api_path else default,
        "dashboard_in_grafana": bool(grafana and api_path),
        "dashboard_error": error,
        "dashboard_path": f"{conf.GITOPS_REPOSITORY}.git: {folder}/dashboard.yaml",
        "alerts_url": f"{prometheus}/alerts?search={quote(k8s_name(component.name))}"
        if prometheus
        else "",
        "alerts_path": f"{conf.GITOPS_REPOSITORY}.git: {folder}/prometheusrule.yaml",
    }


def _coverage_and_on_call(component_id: int):
    on_call = TeamOnCall.objects.filter(team_id=OuterRef("owner_id"))
    return (
        Component.objects.filter(pk=component_id)
        # Only the coverage row and the on-call target are read from this copy of the service.
        .only("owner_id", "observability_coverage")
        .select_related("observability_coverage")
        .annotate(
            on_call_service=Subquery(on_call.values("pagerduty_service")[:1]),
            on_call_secret=Subquery(on_call.values("routing_key_secret")[:1]),
        )
    )


# Compiled once per process: compiling it cost more than running it (idp_portal/fixed_queries).
_COVERAGE_AND_ON_CALL = FixedQuery(_coverage_and_on_call, int)


def _with_coverage_and_on_call(component) -> Component:
    (row,) = _COVERAGE_AND_ON_CALL(component.pk)
    return row


def _live(component) -> tuple[dict[str, str], list[str]] | None:
    """(signal statuses, environments with a bundle) read from the GitOps repository now;
    None when it cannot be read. Never "verified": that needs the stack, asked by the refresh."""
    environments = list(
        Environment.objects.order_by("order", "name").values_list("name", flat=True)
    )
    try:
        index = gitops.bundle_index([component.name])
    except gitops.NotConnected:
        return None
    details = environment_details(component.name, environments, index)
    statuses = signal_statuses(component.name, environments, details, StackReport())
    return statuses, [env for env in environments if details[env]["digest"]]


def observability_section(request: HttpRequest, component) -> dict:
    row = _with_coverage_and_on_call(component)
    coverage = getattr(row, "observability_coverage", None)
    grafana = conf.strip_slash(conf.grafana_url())
    prometheus = conf.strip_slash(conf.prometheus_url())
    connected = connection_summary()
    live = None if coverage else _live(component)
    # One more query only where Grafana is connected: the addresses its API answered.
    stored = (
        {
            env: (url, error)
            for env, url, error in GrafanaDashboard.objects.filter(component=component).values_list(
                "environment", "url", "error"
            )
        }
        if grafana
        else {}
    )
    if coverage:
        statuses = {signal: getattr(coverage, signal) for signal in SIGNALS}
        environments, fully_covered = list(coverage.environments), coverage.fully_covered
    elif live:
        statuses, environments = live
        fully_covered = summary(statuses)[1]
    else:
        statuses = dict.fromkeys(SIGNALS, SignalStatus.MISSING)
        environments, fully_covered = [], False
    return {
        "coverage": coverage,
        "live": live is not None,
        "fully_covered": fully_covered,
        "signals": [
            {"name": signal, "status": statuses[signal], "connected": connected[signal]}
            for signal in SIGNALS
        ],
        "links": [_links(component, env, grafana, prometheus, stored) for env in environments],
        "thresholds": thresholds_in_force(component.tier),
        "on_call": {"service": row.on_call_service, "secret": row.on_call_secret}
        if row.on_call_service
        else None,
        "can_backfill": access.can(request.user, "backfill.run", component),
        # The on-call link is drawn only for those the form would not refuse with a 403.
        "can_edit_on_call": access.can(request.user, "on_call.edit", component),
        "has_runbook": any(link.kind == "runbook" for link in component.links.all()),
    }


def team_section(request: HttpRequest, team) -> dict:
    """The team page's "On call" section; who is on call loads by HTMX (a PagerDuty call)."""
    on_call = TeamOnCall.objects.filter(team=team).first()
    return {
        "on_call": on_call,
        "connection": OnCallConnection.objects.filter(team=team).first(),
        "pagerduty": pagerduty.connection_status(),
        "can_connect": access.can(request.user, "on_call.connect", team),
        "can_edit_on_call": access.can(request.user, "on_call.edit", team),
    }
