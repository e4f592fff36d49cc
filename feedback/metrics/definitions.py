"""What each platform metric means and how it is computed, side by side.

Every metric is a `Metric` (value, unit, definition, period, sample size). The aggregation runs
in the database: each function issues a fixed number of queries whatever the number of rows,
and where a median or percentile is needed it fetches only the sorted durations
(`values_list`) and takes the percentile with the pure `percentile()` below. A metric without
data answers value None and sample size 0, never a made-up number.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import (
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from feedback.metrics.aggregates import (
    Delivery,
    between,
    production_environment_ids,
)
from idp_portal.models import AuditEvent
from provisioning.choices import RequestState
from provisioning.golden_paths.choices import DeploymentStatus
from provisioning.golden_paths.services import DEPLOY_TYPE, REQUEST_TYPE
from provisioning.golden_paths.updates import ROLLOUT_TYPE, UPGRADE_TYPE
from provisioning.models import Deployment, ProvisioningRequest, ServiceOrigin

DAY, HOUR = 86400.0, 3600.0
DEFAULT_DAYS = 90
# The adoption gate: the platform may be mandated once this share of provisioning needs is
# self-served (the gauge, its verdict and the per-type table all use it).
ADOPTION_LINE = 0.8
# Requests that are not a resource someone asked for: they are deployments and upgrades.
NOT_RESOURCES = (DEPLOY_TYPE, REQUEST_TYPE, UPGRADE_TYPE, ROLLOUT_TYPE)


@dataclass(frozen=True)
class Metric:
    """One measured number with its unit, what it means, the days it covers (start and end
    included) and from how many cases; `value` is None (and sample_size 0) without data."""

    value: float | None
    unit: str
    definition: str
    period: tuple[date, date]
    sample_size: int

    @property
    def period_label(self) -> str:
        return f"{self.period[0].isoformat()} to {self.period[1].isoformat()}"

    def to_json(self) -> dict:
        return {
            "value": self.value,
            "unit": self.unit,
            "definition": self.definition,
            "period": {"start": self.period[0].isoformat(), "end": self.period[1].isoformat()},
            "sample_size": self.sample_size,
        }


@dataclass(frozen=True)
class Period:
    """Whole days from `start` to `end`, both included, in the portal's time zone."""

    start: date
    end: date

    @classmethod
    def last_days(cls, days: int = DEFAULT_DAYS, today: date | None = None) -> "Period":
        today = today or timezone.localdate()
        return cls(today - timedelta(days=days - 1), today)

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        """The first instant after the period (exclusive bound)."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def bounds(self) -> tuple[date, date]:
        return (self.start, self.end)

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


# --- pure helpers ------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile (0..1) of sorted `values` by linear interpolation between the two
    nearest ranks (PostgreSQL's percentile_cont); None for no values."""
    if not values:
        return None
    rank = p * (len(values) - 1)
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


def seconds(durations) -> list[float]:
    """timedelta values (as the database returns them, sorted) as seconds."""
    return [d.total_seconds() for d in durations if d is not None]


def median_metric(durations: list[float], scale: float, unit: str, definition: str, period):
    median = percentile(durations, 0.5)
    value = None if median is None else median / scale
    return Metric(value, unit, definition, period.bounds, len(durations))


def _sorted_durations(qs: QuerySet, end: str, start) -> list[float]:
    start_expr = F(start) if isinstance(start, str) else start
    duration = ExpressionWrapper(F(end) - start_expr, output_field=DurationField())
    return seconds(
        qs.annotate(duration=duration).order_by("duration").values_list("duration", flat=True)
    )


# --- onboarding --------------------------------------------------------------------------------

ONBOARDING = (
    "Median days from an engineer's first sign-in to their first deployment committed to any "
    "environment, over engineers whose first deployment falls in the period. The first sign-in "
    "is the earlier of the account's creation (date joined) and its first 'auth.login' audit "
    "event, whichever is earliest on record."
)


def onboarding_time(period: Period, team_ids: list[int] | None = None) -> Metric:
    """Two queries: each engineer's first committed deployment with their date joined, kept
    where it falls in the period, then those engineers' first sign-in events; the durations,
    one per such engineer, are then sorted here."""
    rows = list(first_deployments(period, team_ids))
    # A sign-in subquery inside the first query would run for every engineer; asked
    # separately it runs once, for the few engineers kept.
    logins = dict(
        AuditEvent.objects.filter(action="auth.login", actor_id__in=[r[0] for r in rows])
        .values_list("actor_id")
        .annotate(first=Min("at"))
        .order_by()
    )
    durations = sorted(
        (first - min(joined, logins.get(user, joined))).total_seconds()
        for user, joined, first in rows
    )
    return median_metric(durations, DAY, "days", ONBOARDING, period)


def first_deployments(period: Period, team_ids: list[int] | None = None) -> QuerySet:
    """(engineer, date joined, first committed deployment) for the engineers (members of
    `team_ids` when given) whose first committed deployment falls in the period."""
    # One probe of deploy_first_by_user (requested_by, committed_at) per engineer: grouping
    # every deployment by engineer read the whole table (75-125 ms at 200,000 deployments).
    first = (
        Deployment.objects.filter(
            requested_by=OuterRef("pk"),
            status=DeploymentStatus.COMMITTED,
            committed_at__isnull=False,
        )
        .order_by("committed_at")
        .values("committed_at")[:1]
    )
    engineers = get_user_model().objects.all()
    if team_ids is not None:
        members = get_user_model().objects.filter(team_memberships__team_id__in=team_ids)
        engineers = engineers.filter(pk__in=members.values("pk"))
    return (
        engineers.annotate(first=Subquery(first, output_field=DateTimeField()))
        .filter(between("first", period))
        .values_list("pk", "date_joined", "first")
        .order_by()
    )


FIRST_PRODUCTION = (
    "Median days from a service's creation from a golden path to its first deployment "
    "committed to production (an environment that requires approval), over services whose "
    "first production deployment falls in the period."
)


def time_to_first_production_deployment(
    period: Period, team_ids: list[int] | None = None, environments: list[int] | None = None
) -> Metric:
    """Two queries: the production environments (unless given), then each service's first
    committed production deployment, kept where it falls in the period."""
    if environments is None:
        environments = production_environment_ids()
    if not environments:
        return median_metric([], DAY, "days", FIRST_PRODUCTION, period)
    # One probe of deploy_committed (origin, environment, committed_at) per service: grouping
    # every production deployment by service read them all.
    first = (
        Deployment.objects.filter(
            origin=OuterRef("pk"),
            environment__in=environments,
            status=DeploymentStatus.COMMITTED,
            committed_at__isnull=False,
        )
        .order_by("committed_at")
        .values("committed_at")[:1]
    )
    services = ServiceOrigin.objects.all()
    if team_ids is not None:
        services = services.filter(team_id__in=team_ids)
    services = services.annotate(first=Subquery(first, output_field=DateTimeField())).filter(
        between("first", period)
    )
    durations = _sorted_durations(services, "first", "created_at")
    return median_metric(durations, DAY, "days", FIRST_PRODUCTION, period)


# --- provisioning lead time --------------------------------------------------------------------

LEAD_TIME = (
    "Median (p50) hours from a resource request's submission to its successful end, over "
    "requests that succeeded in the period (deployments and golden-path upgrades are not "
    "resources and are left out); the dashboard also shows p90 and each type against the "
    "baseline measured before the portal."
)


def succeeded_requests(period: Period, team_ids: list[int] | None = None) -> QuerySet:
    qs = ProvisioningRequest.objects.filter(
        between("finished_at", period), state=RequestState.SUCCEEDED, submitted_at__isnull=False
    ).exclude(type__in=NOT_RESOURCES)
    return qs if team_ids is None else qs.filter(team_id__in=team_ids)


def resource_lead_times(period: Period, team_ids: list[int] | None = None):
    """(type, seconds) of each succeeded resource request in the period, quickest first: one
    query, shared by the overall lead time and the per-type table."""
    duration = ExpressionWrapper(F("finished_at") - F("submitted_at"), output_field=DurationField())
    rows = (
        succeeded_requests(period, team_ids)
        .annotate(duration=duration)
        .order_by("duration")
        .values_list("type", "duration")
    )
    return [(kind, d.total_seconds()) for kind, d in rows]


def provisioning_lead_time(
    period: Period,
    team_ids: list[int] | None = None,
    lead_times: list[tuple[str, float]] | None = None,
) -> Metric:
    """`lead_times`, when given, are resource_lead_times() of this period and teams."""
    if lead_times is None:
        lead_times = resource_lead_times(period, team_ids)
    durations = [seconds for _, seconds in lead_times]
    return median_metric(durations, HOUR, "hours", LEAD_TIME, period)


@dataclass(frozen=True)
class LeadTimeRow:
    """One resource type's p50 and p90 in hours now, with how many requests."""

    resource_type: str
    p50: float | None
    p90: float | None
    sample_size: int


def lead_time_by_type(
    period: Period, lead_times: list[tuple[str, float]] | None = None
) -> list[LeadTimeRow]:
    """Percentiles per type from resource_lead_times() (one query unless given)."""
    if lead_times is None:
        lead_times = resource_lead_times(period)
    by_type: dict[str, list[float]] = {}
    for kind, seconds in lead_times:
        by_type.setdefault(kind, []).append(seconds)
    return [
        LeadTimeRow(kind, _hours(percentile(v, 0.5)), _hours(percentile(v, 0.9)), len(v))
        for kind, v in sorted(by_type.items())
    ]


def _hours(value: float | None) -> float | None:
    return None if value is None else value / HOUR


# --- observability -----------------------------------------------------------------------------

OBSERVABILITY = (
    "Share of catalog services with all five signals (logs, metrics, traces, dashboard, "
    "alerts) configured or verified, as of the last observability coverage refresh."
)


def observability_coverage(period: Period) -> Metric:
    """Through the observability app's own per-team roll-up (two queries)."""
    from catalog.models import Component
    from observability.querysets import team_rollup

    rows = team_rollup(Component.objects.all())
    total = sum(r["total"] for r in rows)
    covered = sum(r["covered"] for r in rows)
    value = covered / total if total else None
    # A snapshot: the period is the one asked for, the figures those of the last refresh.
    return Metric(value, "share of services", OBSERVABILITY, period.bounds, total)


# --- DORA: from production Deployment records --------------------------------------------------

FREQUENCY = (
    "Deployments committed to production (an environment that requires approval) per week: "
    "the number committed in the period divided by the period's length in weeks. With Argo CD "
    "connected, only those Argo CD reported Synced and Healthy count."
)
CHANGE_LEAD_TIME = (
    "Median hours from the commit of a change to its deployment to production: from when the "
    "commit the image tag names was committed to the service's repository to when the tag was "
    "committed to the production overlay, over production deployments committed in the period "
    "whose commit time is known. A tag that names no commit of the service's repository (an "
    "image built elsewhere) leaves its deployment out. A commit time GitHub reported for the "
    "deployed SHA (webhook or poller) is preferred; with Argo CD connected the end is when Argo "
    "CD reported the deployment Synced and Healthy."
)
FAIL_RATE = (
    "Share of production deployments requested in the period whose deployment request failed, "
    "out of those that either failed or were committed (deployments still in flight are left "
    "out). Rollbacks are not recorded separately: a roll-back is a new deployment of an older "
    "tag and counts as a deployment. With Argo CD connected, a deployment Argo CD reported "
    "Degraded is a failure, and one it has not yet reported Synced and Healthy is in flight."
)
RECOVERY = (
    "Median hours from a failed production deployment (its request's end) to the next "
    "deployment committed for the same service and environment, over failures in the period "
    "that have been recovered from; failures not yet followed by a success are left out."
)


def deployment_frequency(
    period: Period, team_ids: list[int] | None = None, delivery: Delivery | None = None
) -> Metric:
    """`delivery`, when given, holds this period's aggregates for the same teams."""
    count = (delivery or Delivery(period, team_ids)).committed()
    value = count / (period.days / 7) if count else None
    return Metric(value, "per week", FREQUENCY, period.bounds, count)


def change_lead_time(
    period: Period, team_ids: list[int] | None = None, delivery: Delivery | None = None
) -> Metric:
    """One query (none when `delivery` has read it): the sorted commit-to-production
    durations of the period's production deployments whose commit time is known."""
    durations = (delivery or Delivery(period, team_ids)).change_led()
    return median_metric(durations, HOUR, "hours", CHANGE_LEAD_TIME, period)


def change_fail_rate(
    period: Period, team_ids: list[int] | None = None, delivery: Delivery | None = None
) -> Metric:
    failures, committed = (delivery or Delivery(period, team_ids)).outcomes()
    done = failures + committed
    value = failures / done if done else None
    return Metric(value, "share of deployments", FAIL_RATE, period.bounds, done)


def recovery_time(
    period: Period, team_ids: list[int] | None = None, delivery: Delivery | None = None
) -> Metric:
    durations = (delivery or Delivery(period, team_ids)).recovered()
    return median_metric(durations, HOUR, "hours", RECOVERY, period)


@dataclass(frozen=True)
class TeamDora:
    """One team's DORA figures over a period (None where it has no data)."""

    team: str
    deployments: int
    per_week: float | None
    fail_rate: float | None
    failures: int
    recovery_hours: float | None
    recoveries: int
    change_lead_hours: float | None = None
    change_leads: int = 0


def dora_by_team(period: Period, delivery: Delivery | None = None) -> list[TeamDora]:
    """Two queries whatever the number of teams (none when `delivery`, this period's
    aggregates for all teams, has already read them): counts per team and month, and the
    sorted recovery durations."""
    delivery = delivery or Delivery(period)
    return [_team_row(team, delivery, period) for team in delivery.teams()]


def _team_row(team: str, delivery: Delivery, period: Period) -> TeamDora:
    count = delivery.committed(team)
    failures, committed = delivery.outcomes(team)
    done = failures + committed
    recovered = delivery.recovered(team)
    return TeamDora(
        team=team,
        deployments=count,
        per_week=count / (period.days / 7) if count else None,
        fail_rate=failures / done if done else None,
        failures=failures,
        recovery_hours=_hours(percentile(recovered, 0.5)),
        recoveries=len(recovered),
        change_lead_hours=_hours(percentile(led := delivery.change_led(team), 0.5)),
        change_leads=len(led),
    )


# --- all of them -------------------------------------------------------------------------------

PLATFORM_KEYS = (
    "onboarding_time",
    "time_to_first_production_deployment",
    "provisioning_lead_time",
    "support_tickets_per_month",
    "deployment_frequency",
    "change_lead_time",
    "change_fail_rate",
    "recovery_time",
    "observability_coverage",
    "self_service_share",
)


def platform_metrics(
    period: Period,
    dora_team_ids: list[int] | None = None,
    delivery: Delivery | None = None,
    lead_times: list[tuple[str, float]] | None = None,
) -> dict[str, Metric]:
    """Every platform metric over `period`, DORA scoped to `dora_team_ids` when given (or read
    from `delivery`, this period's aggregates for those teams, which a page shares with its
    other views; `lead_times` likewise). A fixed number of queries (one per metric or fewer,
    plus what the ticket audit's functions issue)."""
    from feedback.tickets import metrics as tickets

    delivery = delivery or Delivery(period, dora_team_ids)

    return {
        "onboarding_time": onboarding_time(period),
        "time_to_first_production_deployment": time_to_first_production_deployment(
            period, environments=delivery.environments
        ),
        "provisioning_lead_time": provisioning_lead_time(period, lead_times=lead_times),
        "support_tickets_per_month": tickets.support_tickets_per_month(period.start, period.end),
        "deployment_frequency": deployment_frequency(period, delivery=delivery),
        "change_lead_time": change_lead_time(period, delivery=delivery),
        "change_fail_rate": change_fail_rate(period, delivery=delivery),
        "recovery_time": recovery_time(period, delivery=delivery),
        "observability_coverage": observability_coverage(period),
        "self_service_share": tickets.self_service_share(period.start, period.end),
    }
