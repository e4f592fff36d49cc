"""The database aggregates the platform metrics share, each gathered at most once per page.

The headline DORA metrics and the per-team DORA table are sums of one count of production
deployments per team; the recovery time and its per-team medians come from one list of
recovery durations; the monthly trend is one count per month. `Delivery` runs each of those
queries on first use and keeps the answer, so a page that shows several views of the same
deployments reads them once.
"""

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from provisioning.choices import RequestState
from provisioning.golden_paths.choices import DeploymentStatus, RolloutStatus
from provisioning.models import ChangeCommit, Deployment, Environment

if TYPE_CHECKING:
    from feedback.metrics.definitions import Period


def between(field: str, period: "Period") -> Q:
    return Q(**{f"{field}__gte": period.since, f"{field}__lt": period.until})


def production_deployments(environments: list[int] | None = None) -> QuerySet:
    """Deployments to an environment that requires approval: production (`environments`, when
    given, are those environments' ids, read beforehand)."""
    if environments is not None:
        return Deployment.objects.filter(environment__in=environments)
    return Deployment.objects.filter(environment__requires_approval=True)


def production_environment_ids() -> list[int]:
    """The environments that require approval (one small query): written into a query as
    values, they let PostgreSQL walk deploy_committed in commit order for each service."""
    return list(Environment.objects.filter(requires_approval=True).values_list("pk", flat=True))


def failed() -> Q:
    """A deployment whose request failed and that was never committed, or (with Argo CD
    connected) that Argo CD reported Degraded."""
    never_committed = Q(request__state=RequestState.FAILED) & ~Q(status=DeploymentStatus.COMMITTED)
    return never_committed | Q(rollout=RolloutStatus.DEGRADED)


def delivered() -> Q:
    """A deployment that is done: committed and, with Argo CD connected, reported Synced and
    Healthy (without Argo CD `rollout` stays empty and the commit is the deployment)."""
    return Q(status=DeploymentStatus.COMMITTED, rollout__in=DONE_ROLLOUTS)


DONE_ROLLOUTS = [RolloutStatus.UNTRACKED, RolloutStatus.DONE]


def scoped(qs: QuerySet, team_ids: list[int] | None) -> QuerySet:
    return qs if team_ids is None else qs.filter(origin__team_id__in=team_ids)


@dataclass(frozen=True)
class CountRow:
    """One team's production deployments: how many were committed in the period, and how many
    were requested in the period and, of those, how many failed and how many were committed."""

    team: str
    committed: int
    requested: int
    failed: int
    done: int


def count_rows(
    period: "Period", team_ids: list[int] | None, environments: list[int]
) -> list[CountRow]:
    """One query grouped by team over the production deployments (to `environments`)
    committed or requested in the period."""
    committed = delivered()
    requested = between("created_at", period)
    rows = (
        # The environments as values: PostgreSQL then finds the period's rows through
        # deploy_prod_committed and deploy_env_created (a BitmapOr) instead of joining every
        # deployment to its environment first.
        scoped(production_deployments(environments), team_ids)
        .filter((committed & between("committed_at", period)) | requested)
        .values_list("origin__team__name")
        .annotate(
            committed=Count("pk", filter=committed & between("committed_at", period)),
            requested=Count("pk", filter=requested),
            failed=Count("pk", filter=requested & failed()),
            done=Count("pk", filter=requested & committed),
        )
        .order_by()
    )
    return [CountRow(*row) for row in rows]


def committed_by_month(
    span: "Period", team_ids: list[int] | None, environments: list[int]
) -> dict[str, int]:
    """ "YYYY-MM" → production deployments committed in that month of the span: one query,
    answered from deploy_prod_committed alone on PostgreSQL (no team, so no join)."""
    rows = (
        scoped(production_deployments(environments), team_ids)
        .filter(delivered(), between("committed_at", span))
        .annotate(month=TruncMonth("committed_at"))
        .values_list("month")
        # COUNT(*), not of the id: the id is not in the index.
        .annotate(n=Count("*"))
        .order_by()
    )
    return {timezone.localtime(month).strftime("%Y-%m"): n for month, n in rows}


def recoveries(period: "Period", team_ids: list[int] | None) -> QuerySet:
    """Failed production deployments in the period annotated with `failed_at` and
    `recovered_at` (the next committed deployment of the same service and environment)."""
    failed_at = Coalesce("request__finished_at", "created_at", output_field=DateTimeField())
    # One probe of deploy_committed (origin, environment, committed_at) per failure, the
    # failures found through deploy_not_committed: a few hundred index reads, where a window
    # (LEAD over each service and environment) would read and sort every production deployment.
    following = (
        Deployment.objects.filter(
            origin=OuterRef("origin"),
            environment=OuterRef("environment"),
            status=DeploymentStatus.COMMITTED,
            rollout__in=DONE_ROLLOUTS,
            committed_at__gt=OuterRef("failed_at"),
        )
        .order_by("committed_at")
        .values("committed_at")[:1]
    )
    return (
        scoped(production_deployments(), team_ids)
        .filter(failed(), between("created_at", period))
        .annotate(failed_at=failed_at)
        .annotate(recovered_at=Subquery(following, output_field=DateTimeField()))
        .filter(recovered_at__isnull=False)
    )


def recovery_seconds(period: "Period", team_ids: list[int] | None) -> list[tuple[str, float]]:
    """(team, seconds to recover) per recovered failure in the period, fastest first: one
    query."""
    duration = ExpressionWrapper(F("recovered_at") - F("failed_at"), output_field=DurationField())
    rows = (
        recoveries(period, team_ids)
        .annotate(duration=duration)
        .order_by("duration")
        .values_list("origin__team__name", "duration")
    )
    return [(team, d.total_seconds()) for team, d in rows]


def change_lead_seconds(
    period: "Period", team_ids: list[int] | None, environments: list[int]
) -> list[tuple[str, float]]:
    """(team, seconds from the change's commit to production) per production deployment done
    in the period whose commit time is known, fastest first: one query. The commit time is the
    one GitHub reported for the deployed SHA (webhook or poller) when recorded, else the one
    read from the repository at deployment; the end is when Argo CD reported the deployment
    Synced and Healthy, else its commit to the overlay."""
    recorded = ChangeCommit.objects.filter(origin=OuterRef("origin"), sha=OuterRef("tag"))
    started = Coalesce(
        Subquery(recorded.values("committed_at")[:1], output_field=DateTimeField()),
        "change_committed_at",
        output_field=DateTimeField(),
    )
    ended = Coalesce("rolled_out_at", "committed_at", output_field=DateTimeField())
    duration = ExpressionWrapper(F("ended") - F("started"), output_field=DurationField())
    rows = (
        scoped(production_deployments(environments), team_ids)
        .filter(delivered(), between("committed_at", period))
        .annotate(started=started, ended=ended)
        .filter(started__isnull=False)
        .annotate(duration=duration)
        .order_by("duration")
        .values_list("origin__team__name", "duration")
    )
    return [(team, d.total_seconds()) for team, d in rows]


class Delivery:
    """The production deployment aggregates of one period, for all teams or `team_ids`, and
    the months of `span` (the trend's months; the period when not given). Each query runs on
    first use, once; `environments` may be given when already read."""

    def __init__(
        self,
        period: "Period",
        team_ids: list[int] | None = None,
        span: "Period | None" = None,
        environments: list[int] | None = None,
    ):
        self.period, self.team_ids, self.span = period, team_ids, span or period
        if environments is not None:
            self.environments = environments

    @cached_property
    def environments(self) -> list[int]:
        """The production environments' ids (read once, unless given)."""
        return production_environment_ids()

    @cached_property
    def rows(self) -> list[CountRow]:
        if not self.environments:
            return []
        return count_rows(self.period, self.team_ids, self.environments)

    @cached_property
    def months(self) -> dict[str, int]:
        if not self.environments:
            return {}
        return committed_by_month(self.span, self.team_ids, self.environments)

    @cached_property
    def recoveries(self) -> list[tuple[str, float]]:
        return recovery_seconds(self.period, self.team_ids)

    @cached_property
    def change_leads(self) -> list[tuple[str, float]]:
        if not self.environments:
            return []
        return change_lead_seconds(self.period, self.team_ids, self.environments)

    def change_led(self, team: str | None = None) -> list[float]:
        """Seconds from a change's commit to production, fastest first (by `team` if given)."""
        return [seconds for t, seconds in self.change_leads if team is None or t == team]

    @cached_property
    def _rows_by_team(self) -> dict[str, CountRow]:
        return {r.team: r for r in self.rows}

    @cached_property
    def _recovered_by_team(self) -> dict[str, list[float]]:
        by_team: dict[str, list[float]] = {}
        for team, seconds in self.recoveries:
            by_team.setdefault(team, []).append(seconds)
        return by_team

    def _rows(self, team: str | None) -> list[CountRow]:
        if team is None:
            return self.rows
        row = self._rows_by_team.get(team)
        return [row] if row else []

    def committed(self, team: str | None = None) -> int:
        """Deployments committed in the period (by `team` when given)."""
        return sum(r.committed for r in self._rows(team))

    def outcomes(self, team: str | None = None) -> tuple[int, int]:
        """(failed, committed) of the deployments requested in the period."""
        rows = self._rows(team)
        return sum(r.failed for r in rows), sum(r.done for r in rows)

    def teams(self) -> list[str]:
        """Teams with a deployment committed or requested in the period, by name."""
        return sorted(r.team for r in self.rows if r.committed or r.requested)

    def recovered(self, team: str | None = None) -> list[float]:
        """Seconds to recover, fastest first (by `team` when given)."""
        if team is None:
            return [seconds for _, seconds in self.recoveries]
        return self._recovered_by_team.get(team, [])

    def committed_by_month(self) -> dict[str, int]:
        """ "YYYY-MM" → deployments committed in that month of the span."""
        return self.months
