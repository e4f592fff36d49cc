"""Builders for observability test data, beside tests/factories.py's catalog builders."""

from decimal import Decimal

from django.utils import timezone

from observability.choices import SIGNALS, BaselineScope, SignalStatus
from observability.models import AlertBaseline, ServiceCoverage, TeamOnCall


def make_baseline(tier: int = BaselineScope.DEFAULT, **values) -> AlertBaseline:
    defaults = (
        {
            "error_rate_percent": Decimal("1.00"),
            "latency_p99_ms": 500,
            "pod_restarts_per_hour": 3,
            "evaluation_window": "5m",
            "severity": "critical",
        }
        if tier == BaselineScope.DEFAULT
        else {}
    )
    baseline, _ = AlertBaseline.objects.update_or_create(tier=tier, defaults=defaults | values)
    return baseline


def make_on_call(team, service: str = "P1ABCDE") -> TeamOnCall:
    return TeamOnCall.objects.create(
        team=team, pagerduty_service=service, routing_key_secret=f"{team.name}-pagerduty"
    )


def make_coverage(
    component,
    default: str = SignalStatus.MISSING,
    environments: tuple[str, ...] = ("dev", "staging", "prod"),
    **statuses,
) -> ServiceCoverage:
    values = {signal: statuses.get(signal, default) for signal in SIGNALS}
    configured = [s for s, v in values.items() if v != SignalStatus.MISSING]
    present = sum(1 for v in values.values() if v != SignalStatus.MISSING)
    return ServiceCoverage.objects.create(
        component=component,
        **values,
        signals_present=present,
        fully_covered=present == len(SIGNALS),
        environments={env: {"digest": "", "signals": configured} for env in environments},
        refreshed_at=timezone.now(),
        tier=component.tier,  # the copies a refresh makes, which the page sorts by
        name=component.name,
    )
