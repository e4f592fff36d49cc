"""The shared delivery aggregates: read once, and the same answers as each metric's definition
on hand-made histories (including the edges the faster queries could get wrong)."""

from datetime import date

from feedback.metrics import definitions as d
from feedback.metrics.aggregates import Delivery
from feedback.metrics.definitions import Period
from feedback.metrics.trends import deployments_per_week_by_month
from provisioning.models import Environment
from tests.factories import add_member, make_team, make_user
from tests.feedback.metrics_helpers import at, deploy, make_origin

FEBRUARY = Period(date(2026, 2, 1), date(2026, 2, 28))
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
SPRING = Period(date(2026, 2, 1), date(2026, 3, 31))


def test_one_read_serves_the_cards_the_team_table_and_the_trend(team, django_assert_num_queries):
    user = make_user("dev")
    x = make_origin("x", team, at(-60))
    deploy(x, "prod", user, at(-10), committed=at(-10))  # February
    deploy(x, "prod", user, at(1), committed=at(1))
    deploy(x, "prod", user, at(2), failed=at(2, 1))
    deploy(x, "prod", user, at(2, 2), committed=at(2, 3))  # recovers in 2 hours
    delivery = Delivery(MARCH, span=SPRING)

    # the production environments, the counts per team, per month, the recovery durations,
    # the change lead times; then nothing
    with django_assert_num_queries(5):
        assert delivery.rows and delivery.months and delivery.recoveries
        assert delivery.change_leads == []  # no commit time known here
    with django_assert_num_queries(0):
        frequency = d.deployment_frequency(MARCH, delivery=delivery)
        fail_rate = d.change_fail_rate(MARCH, delivery=delivery)
        recovery = d.recovery_time(MARCH, delivery=delivery)
        change_lead = d.change_lead_time(MARCH, delivery=delivery)
        (row,) = d.dora_by_team(MARCH, delivery)
        trend = deployments_per_week_by_month(["2026-02", "2026-03"], SPRING, delivery)

    assert (frequency.sample_size, fail_rate.value, recovery.value) == (2, 1 / 3, 2.0)
    assert (change_lead.value, change_lead.sample_size) == (None, 0)
    assert row == d.TeamDora("payments", 2, 2 / (31 / 7), 1 / 3, 1, 2.0, 1)
    assert trend == [1 / (28 / 7), 2 / (31 / 7)]


def test_a_deployment_asked_for_before_the_period_counts_where_it_was_committed(team):
    user = make_user("dev")
    x = make_origin("x", team, at(-60))
    deploy(x, "prod", user, at(-3), committed=at(1))  # asked in February, committed in March
    deploy(x, "prod", user, at(-5))  # still in flight since February

    delivery = Delivery(MARCH)
    assert delivery.committed() == 1
    assert delivery.outcomes() == (0, 0)  # neither was asked for in March
    assert d.dora_by_team(MARCH, delivery) == [
        d.TeamDora("payments", 1, 1 / (31 / 7), None, 0, None, 0)
    ]


def test_a_period_outside_the_trends_months_is_still_counted(team):
    user = make_user("dev")
    x = make_origin("x", team, at(-60))
    deploy(x, "prod", user, at(1), committed=at(1))  # March

    delivery = Delivery(MARCH, span=FEBRUARY)
    assert delivery.committed() == 1
    assert delivery.committed_by_month() == {}  # nothing committed in February


def test_a_team_that_only_has_a_deployment_in_flight_is_listed(team):
    x = make_origin("x", team, at(-60))
    deploy(x, "prod", make_user("dev"), at(1))

    assert d.dora_by_team(MARCH) == [d.TeamDora("payments", 0, None, None, 0, None, 0)]


def test_recovery_needs_a_commit_strictly_after_the_failure(team):
    user = make_user("dev")
    x = make_origin("x", team, at(-60))
    deploy(x, "prod", user, at(1), failed=at(1, 1))
    deploy(x, "prod", user, at(1), committed=at(1, 1))  # the same instant: not after it

    assert (d.recovery_time(MARCH).value, d.recovery_time(MARCH).sample_size) == (None, 0)


def test_onboarding_for_teams_counts_each_member_once_from_their_first_deployment_anywhere(team):
    search = make_team("search")
    origin = make_origin("checkout", search, at(-60))
    both = make_user("both")
    type(both).objects.filter(pk=both.pk).update(date_joined=at(0))
    add_member(team, both)
    add_member(search, both)
    deploy(origin, "dev", both, at(3), committed=at(3))  # a search service: still counts
    deploy(origin, "dev", both, at(5), committed=at(5))
    outsider = make_user("outsider")
    type(outsider).objects.filter(pk=outsider.pk).update(date_joined=at(0))
    deploy(origin, "dev", outsider, at(1), committed=at(1))

    metric = d.onboarding_time(MARCH, [team.pk, search.pk])

    assert (metric.value, metric.sample_size) == (3.0, 1)
    assert d.onboarding_time(MARCH).sample_size == 2


def test_first_production_deployment_looks_at_every_production_environment(team):
    Environment.objects.create(name="prod-eu", display_name="Prod EU", requires_approval=True)
    user = make_user("dev")
    a = make_origin("a", team, at(0))
    deploy(a, "prod-eu", user, at(2), committed=at(2))  # first, in the second production
    deploy(a, "prod", user, at(4), committed=at(4))

    metric = d.time_to_first_production_deployment(MARCH)

    assert (metric.value, metric.sample_size) == (2.0, 1)


def test_without_a_production_environment_first_production_and_dora_have_no_data(team):
    Environment.objects.filter(requires_approval=True).update(requires_approval=False)
    user = make_user("dev")
    a = make_origin("a", team, at(0))
    deploy(a, "prod", user, at(2), committed=at(2))

    assert d.time_to_first_production_deployment(MARCH).sample_size == 0
    assert d.deployment_frequency(MARCH).value is None
    assert d.dora_by_team(MARCH) == []
