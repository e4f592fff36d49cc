"""Ticket-based metrics for the metrics dashboard: support load and the self-service share.

Every function takes a period of whole days (`start` and `end` inclusive) and answers from the
records alone: no data gives `value=None` and `sample_size=0`, never a made-up number.
"""

from datetime import date

from django.db.models import Count
from django.db.models.functions import TruncMonth

from feedback.metrics.definitions import ADOPTION_LINE, Metric
from feedback.tickets.querysets import bounds, help_requests_between, tickets_between
from feedback.tickets.types import PROVISIONING_TYPES, SELF_SERVICE_TYPES
from provisioning.choices import RequestState
from provisioning.models import ProvisioningRequest

DAYS_PER_MONTH = 30.4375  # an average month: a 90-day period is 2.96 months, not 4


def months_in(start: date, end: date) -> list[str]:
    """Every calendar month the period touches, as "YYYY-MM", oldest first."""
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _by_month(queryset, field: str) -> dict[str, int]:
    """Rows per month, counted in the database."""
    rows = (
        queryset.annotate(month=TruncMonth(field))
        .values_list("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {month.strftime("%Y-%m"): n for month, n in rows}


def monthly_ticket_counts(start: date, end: date, teams: list[str] | None = None) -> dict[str, int]:
    """Support tickets (imported tickets + the portal's help requests) per month, "YYYY-MM" →
    count, every month of the period present (0 where there were none); `teams` narrows to
    tickets mapped to those catalog teams."""
    tickets, helps = tickets_between(start, end), help_requests_between(start, end)
    if teams is not None:
        tickets, helps = tickets.filter(team__in=teams), helps.filter(team__in=teams)
    counts = {month: 0 for month in months_in(start, end)}
    for source in (_by_month(tickets, "created"), _by_month(helps, "created")):
        for month, n in source.items():
            counts[month] = counts.get(month, 0) + n
    return counts


def support_tickets_per_month(start: date, end: date) -> Metric:
    total = sum(monthly_ticket_counts(start, end).values())
    months = ((end - start).days + 1) / DAYS_PER_MONTH
    return Metric(
        value=round(total / months, 1) if total else None,
        unit="tickets/month",
        definition=(
            "Support tickets per month: tickets imported from the tracker plus the portal's own "
            "help requests (Ask the platform team), created in the period, divided by the "
            f"period's length in months of {DAYS_PER_MONTH} days ({months:.2f})."
        ),
        period=(start, end),
        sample_size=total,
    )


def _self_served(start: date, end: date):
    """Succeeded self-service provisioning requests (a resource type or a new service) a user
    made for a team; deployments, upgrades, roll-outs and platform-wide runs are not needs."""
    low, high = bounds(start, end)
    return ProvisioningRequest.objects.filter(
        state=RequestState.SUCCEEDED,
        team__isnull=False,
        type__in=SELF_SERVICE_TYPES,
        created_at__gte=low,
        created_at__lt=high,
    )


def self_service_share(start: date, end: date) -> Metric:
    imported = tickets_between(start, end)
    if not imported.exists():
        # Without the period's tickets the share would read 100%: say "no data" instead.
        return Metric(
            value=None,
            unit="share",
            definition=(
                "Not measured: no tickets are imported for this period, so the needs that went "
                "through tickets are unknown. Import the last 90 days at /feedback/tickets/."
            ),
            period=(start, end),
            sample_size=0,
        )
    served = _self_served(start, end).count()
    ticketed = imported.filter(type__in=PROVISIONING_TYPES).count()
    needs = served + ticketed
    return Metric(
        value=round(served / needs, 3) if needs else None,
        unit="share",
        definition=(
            "Provisioning needs served by self-service: succeeded requests for a resource or a "
            "new service made for a team in the portal (each counts as one need; deployments, "
            "upgrades and roll-outs do not), divided "
            "by those plus imported tickets classified into a provisioning type, created in the "
            "period. Unclassified tickets and non-provisioning tickets (e.g. access requests) "
            "do not count as provisioning needs."
        ),
        period=(start, end),
        sample_size=needs,
    )


def tickets_below_the_line(start: date, end: date) -> list[tuple[str, int]]:
    """Provisioning ticket types whose own self-service share is below 80%: (type, tickets),
    most tickets first. A type's share is its succeeded portal requests / (those + its
    tickets); a type the portal does not offer (e.g. dns-record) has a share of 0."""
    tickets = dict(
        tickets_between(start, end)
        .filter(type__in=PROVISIONING_TYPES)
        .values_list("type")
        .annotate(n=Count("pk"))
        .order_by()
    )
    served = dict(
        _self_served(start, end)
        .filter(type__in=list(tickets))
        .values_list("type")
        .annotate(n=Count("pk"))
        .order_by()
    )
    below = [
        (kind, n)
        for kind, n in tickets.items()
        if served.get(kind, 0) / (served.get(kind, 0) + n) < ADOPTION_LINE
    ]
    return sorted(below, key=lambda kv: (-kv[1], kv[0]))
