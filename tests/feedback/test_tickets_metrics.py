"""Ticket metrics and the audit ranking on hand-made tickets, including no data."""

from datetime import date, timedelta

from django.utils import timezone

from feedback.tickets import metrics
from feedback.tickets.models import HelpRequest, Ticket
from feedback.tickets.querysets import last_days, type_ranking
from tests.feedback.tickets_helpers import at, make_request, make_ticket


def test_the_ranking_counts_types_most_first_with_median_hours(db):
    for i, hours in enumerate([2, 4, 30]):
        make_ticket(f"D-{i}", "dns-record", hours=hours)
    make_ticket("D-9", "dns-record")  # unresolved: counted, not in the median
    make_ticket("S-1", "s3-bucket", hours=1)
    make_ticket("U-1", "")
    make_ticket("OLD", "queue", days_ago=120)
    ranking = type_ranking(*last_days())
    assert [t.to_json() for t in ranking] == [
        {"type": "dns-record", "count": 4, "median_resolution_hours": 4.0, "self_service": False},
        {"type": "s3-bucket", "count": 1, "median_resolution_hours": 1.0, "self_service": True},
    ]


def test_support_tickets_per_month_averages_tickets_and_help_requests(db, personas):
    Ticket.objects.create(key="T-1", created=at(2025, 1, 10), summary="x")
    Ticket.objects.create(key="T-2", created=at(2025, 3, 10), summary="x")
    help_request = HelpRequest.objects.create(user=personas.owner, category="how-to")
    HelpRequest.objects.filter(pk=help_request.pk).update(created=at(2025, 2, 1))
    metric = metrics.support_tickets_per_month(date(2025, 1, 1), date(2025, 3, 31))
    assert (metric.value, metric.sample_size) == (1.0, 3)
    assert metric.to_json()["period"] == {"start": "2025-01-01", "end": "2025-03-31"}
    assert "help requests" in metric.definition
    assert metrics.monthly_ticket_counts(date(2025, 1, 1), date(2025, 3, 31)) == {
        "2025-01": 1,
        "2025-02": 1,
        "2025-03": 1,
    }


def test_monthly_counts_narrow_to_teams(db):
    Ticket.objects.create(key="T-1", created=at(2025, 1, 10), summary="x", team="payments")
    Ticket.objects.create(key="T-2", created=at(2025, 1, 11), summary="x", team="search")
    counts = metrics.monthly_ticket_counts(date(2025, 1, 1), date(2025, 1, 31), ["payments"])
    assert counts == {"2025-01": 1}


def test_with_no_data_every_metric_says_so(db):
    start, end = date(2025, 1, 1), date(2025, 3, 31)
    for metric in (
        metrics.support_tickets_per_month(start, end),
        metrics.self_service_share(start, end),
    ):
        assert (metric.value, metric.sample_size) == (None, 0)
    assert metrics.tickets_below_the_line(start, end) == []
    assert metrics.monthly_ticket_counts(start, end) == {"2025-01": 0, "2025-02": 0, "2025-03": 0}


def test_self_service_share_counts_succeeded_requests_against_provisioning_tickets(personas):
    for _ in range(3):
        make_request(personas.owner, personas.team, "s3-bucket")
    make_request(personas.owner, personas.team, "queue", state="failed")
    make_request(personas.owner, None, "observability-backfill")  # platform-wide: not a need
    make_ticket("D-1", "dns-record")
    make_ticket("A-1", "access")  # not a provisioning need
    make_ticket("U-1", "")  # unclassified: not counted
    today = timezone.localdate()
    metric = metrics.self_service_share(today - timedelta(days=30), today)
    assert (metric.value, metric.sample_size) == (0.75, 4)
    assert "Unclassified tickets" in metric.definition


def test_below_the_line_lists_types_under_80_percent_most_tickets_first(personas):
    for _ in range(8):
        make_request(personas.owner, personas.team, "s3-bucket")
    make_ticket("S-1", "s3-bucket")  # 8 / 9 ≥ 80%: above the line
    for i in range(3):
        make_ticket(f"Q-{i}", "queue")
    make_request(personas.owner, personas.team, "queue")  # 1 / 4 < 80%
    for i in range(2):
        make_ticket(f"D-{i}", "dns-record")
    today = timezone.localdate()
    assert metrics.tickets_below_the_line(today - timedelta(days=30), today) == [
        ("queue", 3),
        ("dns-record", 2),
    ]


def test_without_imported_tickets_the_share_is_no_data_not_100_percent(db):
    from datetime import date

    from feedback.tickets.metrics import self_service_share

    metric = self_service_share(date(2026, 1, 1), date(2026, 3, 31))
    assert metric.value is None and metric.sample_size == 0
    assert "no tickets are imported" in metric.definition
