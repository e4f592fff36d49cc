"""Reading tickets for the audit: which types are asked for most, and how long they take."""

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from feedback.tickets.models import HelpRequest, Ticket
from feedback.tickets.types import TICKET_TYPES, is_self_service

AUDIT_DAYS = 90
TOP = 5


@dataclass(frozen=True)
class TypeCount:
    """One ticket type in the audit: how many, the median time to resolve, whether the portal
    already offers it."""

    type: str
    title: str
    count: int
    median_resolution_hours: float | None  # None: none of them resolved yet
    resolved: int
    self_service: bool

    def to_json(self) -> dict:
        return {
            "type": self.type,
            "count": self.count,
            "median_resolution_hours": self.median_resolution_hours,
            "self_service": self.self_service,
        }


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the current time zone: `end` is inclusive."""
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def last_days(days: int = AUDIT_DAYS, today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today - timedelta(days=days - 1), today


def tickets_between(start: date, end: date) -> QuerySet[Ticket]:
    low, high = bounds(start, end)
    return Ticket.objects.filter(created__gte=low, created__lt=high)


def help_requests_between(start: date, end: date) -> QuerySet[HelpRequest]:
    low, high = bounds(start, end)
    return HelpRequest.objects.filter(created__gte=low, created__lt=high)


def median_hours(durations: list[float]) -> float | None:
    return round(statistics.median(durations), 1) if durations else None


def rank_types(tickets: list[tuple[str, datetime, datetime | None]]) -> list[TypeCount]:
    """Classified types, most requested first (ties by name); pure: (type, created, resolved)."""
    by_type: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    for kind, created, resolved in tickets:
        if not kind:
            continue
        counts[kind] = counts.get(kind, 0) + 1
        if resolved is not None:
            by_type.setdefault(kind, []).append((resolved - created).total_seconds() / 3600)
    return [
        TypeCount(
            kind,
            TICKET_TYPES[kind].title if kind in TICKET_TYPES else kind,
            count,
            median_hours(by_type.get(kind, [])),
            len(by_type.get(kind, [])),
            is_self_service(kind),
        )
        for kind, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def type_ranking(start: date, end: date) -> list[TypeCount]:
    """Every classified type in the period, most requested first (one query)."""
    rows = tickets_between(start, end).values_list("type", "created", "resolved")
    return rank_types(list(rows))


def unclassified_count(start: date, end: date) -> int:
    return tickets_between(start, end).filter(type="").count()
