"""Demo observability settings for `manage.py seed_demo`: baselines with tier overrides, and
on-call targets for some demo teams (the others show as gaps on the coverage page)."""

from decimal import Decimal

from django.db import transaction

from catalog.models import Team
from observability.choices import BaselineScope, Severity
from observability.models import AlertBaseline, TeamOnCall

DEMO_BASELINES = {
    BaselineScope.DEFAULT: {
        "error_rate_percent": Decimal("1.00"),
        "latency_p99_ms": 500,
        "pod_restarts_per_hour": 3,
        "evaluation_window": "5m",
        "severity": Severity.CRITICAL,
    },
    BaselineScope.TIER_1: {"error_rate_percent": Decimal("0.50"), "latency_p99_ms": 300},
    BaselineScope.TIER_3: {"error_rate_percent": Decimal("2.00"), "severity": Severity.WARNING},
    BaselineScope.TIER_4: {
        "error_rate_percent": Decimal("5.00"),
        "latency_p99_ms": 2000,
        "evaluation_window": "15m",
        "severity": Severity.WARNING,
    },
}
# Teams of the demo catalog with an on-call target; search and data have none on purpose.
DEMO_ON_CALL = {
    "payments": "P1PAYMT",
    "checkout": "P2CHKOT",
    "platform": "P3PLATF",
    "identity": "P4IDENT",
}


@transaction.atomic
def seed_demo_observability() -> list[str]:
    """Create or update the demo baselines and on-call targets; one line per change area."""
    for tier, values in DEMO_BASELINES.items():
        blank = {"error_rate_percent": None, "latency_p99_ms": None, "pod_restarts_per_hour": None,
                 "evaluation_window": "", "severity": ""}  # fmt: skip
        AlertBaseline.objects.update_or_create(tier=tier, defaults=blank | values)
    teams = Team.objects.filter(name__in=DEMO_ON_CALL)
    for team in teams:
        TeamOnCall.objects.update_or_create(
            team=team,
            defaults={
                "pagerduty_service": DEMO_ON_CALL[team.name],
                "routing_key_secret": f"{team.name}-pagerduty",
                "routing_key_secret_key": "routing-key",
            },
        )
    missing = Team.objects.exclude(name__in=DEMO_ON_CALL).count()
    return [
        f"  alert baselines: default and {len(DEMO_BASELINES) - 1} tier overrides",
        f"  on-call targets: {len(teams)} team(s); {missing} team(s) without one",
    ]
