"""The platform metrics dashboard at /feedback/metrics/: platform admins only."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.metrics.dashboard import verdict
from feedback.metrics.models import LeadTimeBaseline
from feedback.tickets.types import TICKET_TYPES
from idp_portal.models import AuditEvent
from tests.factories import make_user
from tests.feedback.metrics_helpers import deploy, make_origin, make_request

URL = "/feedback/metrics/"
# session, user, their teams; resource lead times (the card and the by-type table), onboarding
# (two), first production deployment (two: the production environments first), coverage
# (two), the production deployment counts per team (the DORA cards and the per-team table)
# and per month (the trend), the recovery durations (the card and the table), baselines, the
# lead-time trend; change lead time; the header's approvals count
QUERIES = 22  # with the ticket metrics (none imported), the verdict and the survey banner


def recent(days: float):
    return timezone.now() - timedelta(days=days)


def history(team, deployments: int) -> None:
    user = make_user()
    origin = make_origin(f"svc-{deployments}", team, recent(80))
    for i in range(deployments):
        deploy(origin, "prod", user, recent(60 - i), committed=recent(60 - i))
        make_request(user, team, "s3-bucket", recent(30 + i), recent(30 + i) + timedelta(hours=2))
    deploy(origin, "prod", user, recent(2), failed=recent(1.9))


def test_the_url_is_the_one_documented():
    assert reverse("feedback:metrics") == URL


def test_each_metric_is_a_card_with_its_definition_and_sample_size(platform_client, team):
    history(team, 3)
    LeadTimeBaseline.objects.create(
        resource_type="s3-bucket", hours_p50=48, hours_p90=120, source="Jira PLAT, 2025"
    )
    html = platform_client.get(URL).content.decode()
    assert 'id="metric-deployment_frequency"' in html
    assert "3 cases" in html
    assert "whose commit time is known" in html
    assert "Jira PLAT, 2025" in html and "-96%" in html  # 2 h now against 48 h before
    assert '<th scope="row">payments</th>' in html
    assert "no data yet: import the last 90 days of tickets at /feedback/tickets/" in html


def test_without_data_it_says_no_data_yet_and_never_a_number(platform_client):
    html = platform_client.get(URL).content.decode()
    assert html.count("<strong>no data yet</strong>") == 10
    assert "No production deployments in the period yet." in html


def test_it_refuses_a_team_lead_with_a_403_page_and_audits_it(owner_client):
    response = owner_client.get(URL)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(outcome="denied", action="metrics.view").exists()


def test_it_refuses_a_post(platform_client):
    assert platform_client.post(URL).status_code == 405


@pytest.mark.parametrize("deployments", [3, 30])
def test_the_query_count_is_the_same_for_3_or_30_deployments(
    platform_client, team, deployments, django_assert_num_queries
):
    history(team, deployments)
    with django_assert_num_queries(QUERIES):
        assert platform_client.get(URL).status_code == 200


def test_the_verdict_names_the_ticket_types_below_the_line():
    below = [("s3-bucket", 40), ("dns-record", 12)]
    bucket = TICKET_TYPES["s3-bucket"].title
    assert verdict(0.73, below) == (
        f"73%: not yet — still through tickets: {bucket} (40), DNS record (12)"
    )
    assert verdict(0.855, []) == "85.5%: yes — 80% or more of requests are self-service"
    assert verdict(None, []).startswith("no data yet: import the last 90 days of tickets")


def test_months_back_lists_twelve_months_ending_with_this_one():
    from datetime import date

    from feedback.metrics.trends import months_back

    labels, period = months_back(12, date(2026, 3, 15))
    assert labels[0] == "2025-04" and labels[-1] == "2026-03" and len(labels) == 12
    assert (period.start, period.end) == (date(2025, 4, 1), date(2026, 3, 15))


def test_monthly_trends_group_by_month(team):
    from datetime import date

    from feedback.metrics.definitions import Period
    from feedback.metrics.trends import deployments_per_week_by_month, lead_time_by_month
    from tests.feedback.metrics_helpers import at

    user = make_user()
    origin = make_origin("svc", team, at(-60))
    for day in (0, 7, 14):  # March 2026
        deploy(origin, "prod", user, at(day), committed=at(day))
    for hours in (1, 3):
        make_request(user, team, "queue", at(1), at(1, hours))
    labels, period = ["2026-02", "2026-03"], Period(date(2026, 2, 1), date(2026, 3, 31))
    assert deployments_per_week_by_month(labels, period) == [None, 3 / (31 / 7)]
    assert lead_time_by_month(labels, period) == {"p50": [None, 2.0], "p90": [None, 2.8]}


def test_numbers_are_rounded_to_one_decimal_but_a_small_value_never_reads_as_zero():
    from feedback.metrics.dashboard import number

    assert number(2.0) == "2"
    assert number(6.8123) == "6.8"
    assert number(0.0412) == "0.041"
    assert number(0.0) == "0"
    assert number(0.734, share=True) == "73.4%"
    assert number(None) == "no data yet"
