"""With Argo CD and GitHub's events, the DORA metrics use what they report: the commit time
GitHub recorded for the deployed SHA, Argo CD's Synced-and-Healthy as the end of a deployment,
Degraded as a failure; without them (rollout empty) nothing changes (test_metrics_definitions)."""

from datetime import date

from feedback.metrics import definitions as d
from feedback.metrics.definitions import Period
from provisioning.golden_paths.choices import RolloutStatus
from provisioning.models import ChangeCommit, Deployment
from tests.factories import make_user
from tests.feedback.metrics_helpers import at, deploy, make_origin

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
SHA = "f" * 40


def _prod(origin, user, day: int, **fields) -> Deployment:
    dep = deploy(origin, "prod", user, at(day), committed=at(day))
    Deployment.objects.filter(pk=dep.pk).update(**fields)
    return dep


def test_lead_time_prefers_githubs_commit_time_and_ends_when_argo_cd_says_done(team):
    origin, user = make_origin("checkout", team, at(-30)), make_user("dev1")
    # The repository said 10 hours before; GitHub recorded 4 hours before for the same SHA;
    # Argo CD reported it Synced and Healthy 2 hours after the overlay commit.
    _prod(
        origin,
        user,
        1,
        tag=SHA,
        change_committed_at=at(1, -10),
        rollout=RolloutStatus.DONE,
        rolled_out_at=at(1, 2),
    )
    ChangeCommit.objects.create(
        origin=origin, repository="acme/checkout", sha=SHA, committed_at=at(1, -4)
    )
    # Without a recorded commit: today's fallback, change_committed_at to the overlay commit.
    _prod(origin, user, 2, tag="b" * 40, change_committed_at=at(2, -3))
    metric = d.change_lead_time(MARCH)
    assert metric.sample_size == 2
    assert metric.value == (6.0 + 3.0) / 2


def test_a_degraded_deployment_is_a_failure_and_a_waiting_one_is_in_flight(team):
    origin, user = make_origin("checkout", team, at(-30)), make_user("dev1")
    _prod(origin, user, 1)  # no Argo CD: committed is done
    _prod(origin, user, 2, rollout=RolloutStatus.DONE, rolled_out_at=at(2, 1))
    _prod(origin, user, 3, rollout=RolloutStatus.DEGRADED)
    _prod(origin, user, 4, rollout=RolloutStatus.WAITING)
    rate = d.change_fail_rate(MARCH)
    assert (rate.value, rate.sample_size) == (1 / 3, 3)
    assert d.deployment_frequency(MARCH).sample_size == 2


def test_a_degraded_deployment_recovers_at_the_next_done_one(team):
    origin, user = make_origin("checkout", team, at(-30)), make_user("dev1")
    _prod(origin, user, 1, rollout=RolloutStatus.DEGRADED)
    _prod(origin, user, 1.5, rollout=RolloutStatus.DEGRADED)  # a failure too, not a recovery
    _prod(origin, user, 2, rollout=RolloutStatus.DONE)
    metric = d.recovery_time(MARCH)
    assert (metric.value, metric.sample_size) == ((24.0 + 12.0) / 2, 2)
