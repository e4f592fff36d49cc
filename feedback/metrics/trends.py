"""Month-by-month series for the dashboard's trend chart, each a fixed number of queries."""

import calendar
from datetime import date
from itertools import groupby

from django.db import connection
from django.db.models import Aggregate, DurationField, ExpressionWrapper, F
from django.db.models.functions import ExtractMonth, ExtractYear, TruncMonth
from django.utils import timezone

from feedback.metrics.aggregates import Delivery
from feedback.metrics.definitions import HOUR, Period, percentile, succeeded_requests


def months_back(count: int = 12, today: date | None = None) -> tuple[list[str], Period]:
    """The last `count` calendar months as "YYYY-MM" labels (this one last) and the period
    from the first day of the first to today."""
    today = today or timezone.localdate()
    year, month = today.year, today.month - (count - 1)
    while month < 1:
        year, month = year - 1, month + 12
    labels = []
    for _ in range(count):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    first = date(int(labels[0][:4]), int(labels[0][5:]), 1)
    return labels, Period(first, today)


def _label(moment) -> str:
    return (
        timezone.localtime(moment).strftime("%Y-%m")
        if timezone.is_aware(moment)
        else (moment.strftime("%Y-%m"))
    )


class _Percentile(Aggregate):
    """PostgreSQL's ordered-set aggregate percentile_cont: the same linear interpolation as
    definitions.percentile, computed in the database."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression, fraction: float):
        super().__init__(expression, fraction=fraction)

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, fraction=repr(float(self.extra["fraction"])))


def lead_time_by_month(labels: list[str], period: Period) -> dict[str, list[float | None]]:
    """{"p50": [...], "p90": [...]} hours per month of succeeded resource requests (one query).

    On PostgreSQL the percentiles are computed in the database (a row per month); elsewhere
    the month's sorted durations are read and interpolated the same way.
    """
    duration = ExpressionWrapper(F("finished_at") - F("submitted_at"), output_field=DurationField())
    if connection.vendor == "postgresql":
        # Twelve rows come back, so the month is date_trunc's (cheaper in SQL than numeric
        # year*100+month) and labelled here.
        rows = (
            succeeded_requests(period)
            .annotate(month=TruncMonth("finished_at"), duration=duration)
            .values("month")
            .annotate(p50=_Percentile("duration", 0.5), p90=_Percentile("duration", 0.9))
            .order_by()
        )
        by_key = {_label(r["month"]): r for r in rows}
        return {
            key: [by_key[m][key].total_seconds() / HOUR if m in by_key else None for m in labels]
            for key in ("p50", "p90")
        }
    # The month as a number (yyyymm) made in SQL: a month per row converted in Python was
    # most of this function's time at 50,000 requests.
    month = ExtractYear("finished_at") * 100 + ExtractMonth("finished_at")
    requests = succeeded_requests(period).annotate(month=month, duration=duration)
    rows = requests.order_by("month", "duration").values_list("month", "duration")
    by_month = {
        _month_label(key): [d.total_seconds() / HOUR for _, d in group]
        for key, group in groupby(rows, key=lambda row: row[0])
    }
    return {
        "p50": [percentile(by_month.get(m, []), 0.5) for m in labels],
        "p90": [percentile(by_month.get(m, []), 0.9) for m in labels],
    }


def _month_label(key: int) -> str:
    return f"{int(key) // 100:04d}-{int(key) % 100:02d}"


def _days_counted(label: str, period: Period) -> int:
    """Days of month `label` inside the period (the current month only counts to today)."""
    year, month = int(label[:4]), int(label[5:])
    last = calendar.monthrange(year, month)[1]
    end = min(date(year, month, last), period.end)
    start = max(date(year, month, 1), period.start)
    return max(0, (end - start).days + 1)


def deployments_per_week_by_month(
    labels: list[str], period: Period, delivery: Delivery | None = None
) -> list[float | None]:
    """Committed production deployments per week in each month (one query, none when
    `delivery` is given: aggregates whose span is `period`); None for a month without any."""
    delivery = delivery or Delivery(period)
    if delivery.span != period:
        raise ValueError("the delivery aggregates must span the trend's months")
    counts = delivery.committed_by_month()
    return [counts[m] / (_days_counted(m, period) / 7) if counts.get(m) else None for m in labels]
