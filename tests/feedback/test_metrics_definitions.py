"""Each platform metric's definition on small hand-made histories with known answers."""

from datetime import date

import pytest
from django.db import models
from django.utils import timezone

from feedback.metrics import definitions as d
from feedback.metrics.definitions import Period
from idp_portal.models import AuditEvent
from observability.models import ServiceCoverage
from tests.factories import make_component, make_team, make_user
from tests.feedback.metrics_helpers import at, deploy, make_origin, make_request

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


def joined(username: str, when):
    user = make_user(username)
    type(user).objects.filter(pk=user.pk).update(date_joined=when)
    return user


def signed_in(user, when) -> None:
    event = AuditEvent.objects.create(actor=user, actor_name=user.username, action="auth.login")
    # The audit queryset refuses updates by design; a test back-dates through the base class.
    models.QuerySet.update(AuditEvent.objects.filter(pk=event.pk), at=when)


def test_percentile_interpolates_between_ranks_like_percentile_cont():
    assert d.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert d.percentile([1, 2, 3, 4], 0.9) == pytest.approx(3.7)
    assert d.percentile([5], 0.9) == 5
    assert d.percentile([], 0.5) is None


def test_onboarding_is_the_median_from_the_earliest_sign_in_to_the_first_deployment(team):
    origin = make_origin("checkout", team, at(-60))
    fast = joined("fast", at(0))
    deploy(origin, "dev", fast, at(2), committed=at(2))  # 2 days
    deploy(origin, "prod", fast, at(9), committed=at(9))  # not their first
    relogged = joined("relogged", at(1))
    signed_in(relogged, at(-3))  # signed in before the account row says: the earlier counts
    deploy(origin, "dev", relogged, at(5), committed=at(5))  # 8 days
    middle = joined("middle", at(0))
    deploy(origin, "staging", middle, at(4), committed=at(4))  # 4 days
    veteran = joined("veteran", at(-40))
    deploy(origin, "dev", veteran, at(-30), committed=at(-30))  # first one in February
    deploy(origin, "dev", veteran, at(3), committed=at(3))
    waiting = joined("waiting", at(0))
    deploy(origin, "dev", waiting, at(1))  # never committed

    metric = d.onboarding_time(MARCH)

    assert (metric.value, metric.sample_size, metric.unit) == (4.0, 3, "days")
    assert metric.period == (date(2026, 3, 1), date(2026, 3, 31))
    assert metric.to_json()["period"] == {"start": "2026-03-01", "end": "2026-03-31"}
    assert "auth.login" in metric.definition


def test_first_production_deployment_counts_from_service_creation(team):
    user = make_user("dev")
    a = make_origin("a", team, at(0))
    deploy(a, "dev", user, at(1), committed=at(1))
    deploy(a, "prod", user, at(3), committed=at(3))  # 3 days
    deploy(a, "prod", user, at(5), committed=at(5))
    b = make_origin("b", team, at(-5))
    deploy(b, "prod", user, at(1), committed=at(1))  # 6 days
    c = make_origin("c", team, at(0))
    deploy(c, "prod", user, at(2))  # pending
    e = make_origin("e", team, at(-20))
    deploy(e, "prod", user, at(-10), committed=at(-10))  # first one in February
    deploy(e, "prod", user, at(2), committed=at(2))

    metric = d.time_to_first_production_deployment(MARCH)

    assert (metric.value, metric.sample_size) == (4.5, 2)


def test_provisioning_lead_time_counts_succeeded_resource_requests_by_type(team):
    user = make_user("dev")
    for hours in (1, 2, 3, 10):
        make_request(user, team, "s3-bucket", at(1), at(1, hours))
    make_request(user, team, "postgres-database", at(2), at(2, 4))
    make_request(user, team, "s3-bucket", at(1), at(1, 50), state="failed")
    make_request(user, team, "deploy", at(1), at(1, 90))  # a deployment, not a resource
    make_request(user, team, "queue", at(-10), at(-10, 70))  # finished in February

    overall = d.provisioning_lead_time(MARCH)
    rows = d.lead_time_by_type(MARCH)

    assert (overall.value, overall.sample_size, overall.unit) == (3.0, 5, "hours")
    assert rows == [
        d.LeadTimeRow("postgres-database", 4.0, 4.0, 1),
        d.LeadTimeRow("s3-bucket", 2.5, pytest.approx(7.9), 4),
    ]


@pytest.fixture
def dora_history(team):
    """payments: two committed, one failed then recovered 4 hours later; search: one committed,
    one failed and not recovered; plus a deployment in flight and one to dev."""
    search = make_team("search")
    user = make_user("dev")
    x, y = make_origin("x", team, at(-60)), make_origin("y", search, at(-60))
    deploy(x, "prod", user, at(1), committed=at(1))
    deploy(x, "prod", user, at(3), failed=at(3, 1))
    deploy(x, "dev", user, at(3, 2), committed=at(3, 3))  # other environment: no recovery
    deploy(x, "prod", user, at(3, 2), committed=at(3, 5))  # recovery: 4 hours after the failure
    deploy(y, "prod", user, at(2), committed=at(2))
    deploy(y, "prod", user, at(4), failed=at(4, 1))
    deploy(y, "prod", user, at(5))  # in flight
    return search


def test_deployment_frequency_is_committed_production_deployments_per_week(dora_history):
    metric = d.deployment_frequency(MARCH)
    assert (metric.value, metric.sample_size, metric.unit) == (3 / (31 / 7), 3, "per week")


def test_change_fail_rate_is_failed_out_of_finished_production_deployments(dora_history):
    assert d.change_fail_rate(MARCH).value == 0.4
    assert d.change_fail_rate(MARCH).sample_size == 5
    assert d.change_fail_rate(MARCH, [dora_history.pk]).value == 0.5


def test_recovery_time_runs_from_the_failure_to_the_next_commit_of_that_service_there(
    dora_history,
):
    metric = d.recovery_time(MARCH)
    assert (metric.value, metric.sample_size, metric.unit) == (4.0, 1, "hours")


def test_change_lead_time_runs_from_the_change_commit_to_production_where_known(dora_history):
    from provisioning.models import Deployment

    # x's two production deployments carry commits made 2 and 10 hours before; y's tag names
    # no commit of its repository (unknown) and a dev deployment never counts.
    prod = Deployment.objects.filter(environment__name="prod", status="committed")
    first, recovery = prod.filter(origin__name="x").order_by("committed_at")
    Deployment.objects.filter(pk=first.pk).update(change_committed_at=at(1, -2))
    Deployment.objects.filter(pk=recovery.pk).update(change_committed_at=at(3, -5))
    Deployment.objects.filter(environment__name="dev").update(change_committed_at=at(-30))
    metric = d.change_lead_time(MARCH)
    assert (metric.value, metric.sample_size, metric.unit) == (6.0, 2, "hours")
    assert d.change_lead_time(MARCH, [dora_history.pk]).sample_size == 0
    assert "whose commit time is known" in metric.definition
    payments, search = d.dora_by_team(MARCH)
    assert (payments.change_lead_hours, payments.change_leads) == (6.0, 2)
    assert (search.change_lead_hours, search.change_leads) == (None, 0)


def test_change_lead_time_without_known_commit_times_is_null(dora_history):
    metric = d.change_lead_time(MARCH)
    assert (metric.value, metric.sample_size) == (None, 0)


def test_dora_by_team_gives_each_teams_figures(dora_history):
    payments, search = d.dora_by_team(MARCH)
    assert payments == d.TeamDora("payments", 2, 2 / (31 / 7), 1 / 3, 1, 4.0, 1)
    assert search == d.TeamDora("search", 1, 1 / (31 / 7), 0.5, 1, None, 0)


def test_observability_coverage_is_the_share_fully_covered(team):
    now = timezone.now()
    for i in range(4):
        component = make_component(f"svc-{i}", owner=team)
        ServiceCoverage.objects.create(
            component=component,
            fully_covered=i == 0,
            signals_present=5 if i == 0 else 2,
            refreshed_at=now,
        )
    metric = d.observability_coverage(MARCH)
    assert (metric.value, metric.sample_size) == (0.25, 4)


def test_without_data_every_metric_is_null_with_sample_size_zero(db):
    metrics = d.platform_metrics(MARCH)
    assert tuple(metrics) == d.PLATFORM_KEYS
    assert {k: (m.value, m.sample_size) for k, m in metrics.items()} == {
        k: (None, 0) for k in d.PLATFORM_KEYS
    }
