"""Default alerts and their routing, built from the baselines: the PromQL expressions, the
`PrometheusRule` and the `AlertmanagerConfig` that pages the owning team. Pure.

Metric names follow the conventions every golden path's skeleton exports: OpenTelemetry's
HTTP server semantic conventions as Prometheus names (`http_server_request_duration_seconds`
with `http_response_status_code`), scraped with the Prometheus Operator's `namespace` and
`service` target labels; restarts come from kube-state-metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from observability.bundle import BundleSpec

REQUESTS = "http_server_request_duration_seconds"
RESTARTS = "kube_pod_container_status_restarts_total"


def selector(spec: BundleSpec, *extra: str) -> str:
    """The service's series: its namespace and Service name, plus any `extra` matchers."""
    return ", ".join([f'namespace="{spec.namespace}"', f'service="{spec.workload}"', *extra])


def error_rate_percent_expr(spec: BundleSpec, window: str) -> str:
    failed = selector(spec, 'http_response_status_code=~"5.."')
    return (
        f"100 * sum by (namespace, service) (rate({REQUESTS}_count{{{failed}}}[{window}]))"
        f" / sum by (namespace, service) (rate({REQUESTS}_count{{{selector(spec)}}}[{window}]))"
    )


def latency_ms_expr(spec: BundleSpec, quantile: str, window: str) -> str:
    return (
        f"1000 * histogram_quantile({quantile}, sum by (namespace, service, le) "
        f"(rate({REQUESTS}_bucket{{{selector(spec)}}}[{window}])))"
    )


def restarts_expr(spec: BundleSpec, window: str = "1h") -> str:
    matchers = f'namespace="{spec.namespace}", container="{spec.workload}"'
    return f"sum by (namespace) (increase({RESTARTS}{{{matchers}}}[{window}]))"


def alert_rules(spec: BundleSpec) -> list[dict]:
    t = spec.thresholds
    window = t.evaluation_window
    labels = {
        "severity": t.severity,
        "team": spec.team,
        "service": spec.workload,
        "environment": spec.environment,
        "tier": str(spec.tier),
    }
    rules = [
        (
            "ServiceHighErrorRate",
            f"{error_rate_percent_expr(spec, window)} > {t.error_rate_percent}",
            f"More than {t.error_rate_percent}% of requests fail",
            "{{ $value | humanize }}% of requests to " + spec.workload + " failed (HTTP 5xx) "
            f"over {window}.",
        ),
        (
            "ServiceHighLatencyP99",
            f"{latency_ms_expr(spec, '0.99', window)} > {t.latency_p99_ms}",
            f"p99 latency above {t.latency_p99_ms} ms",
            "The 99th percentile of " + spec.workload + " request duration is "
            "{{ $value | humanize }} ms over " + window + ".",
        ),
        (
            "ServicePodRestarts",
            f"{restarts_expr(spec)} > {t.pod_restarts_per_hour}",
            f"More than {t.pod_restarts_per_hour} container restarts in an hour",
            "Containers of " + spec.workload + " restarted {{ $value | humanize }} times "
            "in the last hour.",
        ),
    ]
    return [
        _rule(spec, name, expr, window, labels, summary, text)
        for name, expr, summary, text in rules
    ]


def _rule(spec, name, expr, window, labels, summary, description) -> dict:
    annotations = {"summary": f"{spec.workload} ({spec.environment}): {summary}"}
    if spec.runbook_url:
        annotations["runbook_url"] = spec.runbook_url
    else:
        description += " No runbook in the catalog: add a link of kind 'runbook' to the service."
    annotations["description"] = description
    annotations["dashboard"] = f"grafana uid {spec.dashboard_uid}"
    return {
        "alert": name,
        "expr": expr,
        "for": window,
        "labels": labels,
        "annotations": annotations,
    }


def prometheus_rule(spec: BundleSpec) -> dict:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": spec.metadata(f"{spec.workload}-alerts"),
        "spec": {
            "groups": [
                {"name": f"{spec.workload}.{spec.environment}.standard", "rules": alert_rules(spec)}
            ]
        },
    }


def alertmanager_config(spec: BundleSpec) -> dict | None:
    """The team's critical alerts for this service go to its PagerDuty receiver; None without
    an on-call target (the coverage page shows that gap)."""
    if spec.on_call is None:
        return None
    receiver = f"{spec.team}-pagerduty"
    return {
        "apiVersion": "monitoring.coreos.com/v1alpha1",
        "kind": "AlertmanagerConfig",
        "metadata": spec.metadata(f"{spec.workload}-oncall"),
        "spec": {
            "route": {
                "receiver": receiver,
                # The operator adds namespace="<this namespace>" to these matchers itself.
                "matchers": [
                    {"name": "severity", "value": "critical", "matchType": "="},
                    {"name": "service", "value": spec.workload, "matchType": "="},
                ],
                "groupBy": ["alertname", "service", "environment"],
                "groupWait": "30s",
                "groupInterval": "5m",
                "repeatInterval": "4h",
            },
            "receivers": [
                {
                    "name": receiver,
                    "pagerdutyConfigs": [
                        {
                            "routingKey": {
                                "name": spec.on_call.secret_name,
                                "key": spec.on_call.secret_key,
                            },
                            "sendResolved": True,
                            "severity": "critical",
                            "class": "service",
                            "component": spec.workload,
                            "group": spec.environment,
                            "details": [
                                {"key": "team", "value": spec.team},
                                {
                                    "key": "pagerduty_service",
                                    "value": spec.on_call.pagerduty_service,
                                },
                                {"key": "tier", "value": str(spec.tier)},
                            ],
                        }
                    ],
                }
            ],
        },
    }
