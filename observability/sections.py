"""What observability adds to a catalog service page: signals, links, thresholds, on-call.

Two queries: the service's coverage row with its team's on-call target, and the baselines.
The environments come from the coverage row (a service never refreshed has no links yet).
"""

from urllib.parse import quote

from django.db.models import OuterRef, Subquery
from django.http import HttpRequest

from catalog.models import Component
from observability import conf
from observability.access import can_backfill_service
from observability.bundle import bundle_folder, dashboard_uid, k8s_name
from observability.choices import SIGNALS, SignalStatus
from observability.models import TeamOnCall
from observability.services import thresholds_in_force
from observability.stack import connection_summary


def _links(component, env: str, grafana: str, prometheus: str) -> dict:
    folder = bundle_folder(component.name, env)
    return {
        "environment": env,
        "dashboard_url": f"{grafana}/d/{dashboard_uid(component.name, env)}" if grafana else "",
        "dashboard_path": f"{conf.GITOPS_REPOSITORY}.git: {folder}/dashboard.yaml",
        "alerts_url": f"{prometheus}/alerts?search={quote(k8s_name(component.name))}"
        if prometheus
        else "",
        "alerts_path": f"{conf.GITOPS_REPOSITORY}.git: {folder}/prometheusrule.yaml",
    }


def _with_coverage_and_on_call(component) -> Component:
    on_call = TeamOnCall.objects.filter(team_id=OuterRef("owner_id"))
    return (
        Component.objects.filter(pk=component.pk)
        .select_related("observability_coverage")
        .annotate(
            on_call_service=Subquery(on_call.values("pagerduty_service")[:1]),
            on_call_secret=Subquery(on_call.values("routing_key_secret")[:1]),
        )
        .get()
    )


def observability_section(request: HttpRequest, component) -> dict:
    row = _with_coverage_and_on_call(component)
    coverage = getattr(row, "observability_coverage", None)
    grafana = conf.strip_slash(conf.grafana_url())
    prometheus = conf.strip_slash(conf.prometheus_url())
    connected = connection_summary()
    environments = list(coverage.environments) if coverage else []
    return {
        "coverage": coverage,
        "signals": [
            {
                "name": signal,
                "status": getattr(coverage, signal) if coverage else SignalStatus.MISSING,
                "connected": connected[signal],
            }
            for signal in SIGNALS
        ],
        "links": [_links(component, env, grafana, prometheus) for env in environments],
        "thresholds": thresholds_in_force(component.tier),
        "on_call": {"service": row.on_call_service, "secret": row.on_call_secret}
        if row.on_call_service
        else None,
        "can_backfill": can_backfill_service(request.user, component, request),
        "has_runbook": any(link.kind == "runbook" for link in component.links.all()),
    }
