"""What the metrics dashboard shows: cards, charts and tables from the metric definitions.

`verdict()` and `value_text()` are pure; `dashboard()` runs a fixed number of queries.
"""

from dataclasses import dataclass
from decimal import Decimal

from feedback import charts
from feedback.metrics import definitions as d
from feedback.metrics import trends
from feedback.metrics.aggregates import Delivery
from feedback.metrics.models import LeadTimeBaseline
from feedback.tickets import metrics as tickets

TICKETS_PAGE = "/feedback/tickets/"
TITLES = {
    "onboarding_time": "Onboarding time",
    "time_to_first_production_deployment": "Time to first production deployment",
    "provisioning_lead_time": "Provisioning lead time (p50)",
    "support_tickets_per_month": "Support tickets per month",
    "deployment_frequency": "Deployment frequency",
    "change_lead_time": "Change lead time",
    "change_fail_rate": "Change fail rate",
    "recovery_time": "Failed-deployment recovery time",
    "observability_coverage": "Observability coverage",
    "self_service_share": "Self-service share",
}
SHARES = {"change_fail_rate", "observability_coverage", "self_service_share"}


def number(value: float | None, share: bool = False) -> str:
    """One decimal (a share as a percentage), two significant digits below 0.05 so a small
    value never reads as 0; "no data yet" for None."""
    if value is None:
        return "no data yet"
    if not share and 0 < abs(value) < 0.05:
        return f"{value:.2g}"
    if share:
        return f"{value * 100:.1f}%".replace(".0%", "%")
    return f"{value:.1f}".removesuffix(".0")


def verdict(share: float | None, below: list[tuple[str, int]], line: float = d.ADOPTION_LINE):
    """The adoption gate in words, e.g. "73%: not yet — still through tickets: Object storage
    bucket (30), DNS record (24)"."""
    if share is None:
        return f"no data yet: import the last 90 days of tickets at {TICKETS_PAGE}"
    shown = number(share, share=True)
    if share >= line:
        return f"{shown}: yes — {round(line * 100)}% or more of requests are self-service"
    if not below:
        return f"{shown}: not yet — fewer than {round(line * 100)}% of requests are self-service"
    names = [f"{_type_title(slug)} ({count})" for slug, count in below]
    return f"{shown}: not yet — still through tickets: {', '.join(names)}"


def _type_title(slug: str) -> str:
    """A ticket type as people say it ("S3 bucket", not "s3-bucket")."""
    from feedback.tickets.types import TICKET_TYPES

    ticket_type = TICKET_TYPES.get(slug)
    return ticket_type.title if ticket_type else slug


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    value: str
    metric: d.Metric

    @property
    def unit(self) -> str:
        """The unit after the value: none for a share, which reads as a percentage."""
        return "" if self.key in SHARES or self.metric.value is None else self.metric.unit


@dataclass(frozen=True)
class BaselineRow:
    """A resource type's lead time now against its baseline before the portal."""

    resource_type: str
    now: d.LeadTimeRow | None
    before: LeadTimeBaseline | None

    @property
    def p50_change(self) -> str:
        if self.now is None or self.now.p50 is None or self.before is None:
            return "no data yet"
        before = float(self.before.hours_p50)
        if not before:
            return "baseline is 0 hours"
        return f"{(self.now.p50 - before) / before * 100:+.0f}%"


def baseline_rows(rows: list[d.LeadTimeRow], baselines: list[LeadTimeBaseline]):
    now = {r.resource_type: r for r in rows}
    before = {b.resource_type: b for b in baselines}
    return [BaselineRow(t, now.get(t), before.get(t)) for t in sorted(set(now) | set(before))]


def _hours(value: float | Decimal | None) -> str:
    return number(None if value is None else float(value))


def dashboard(period: d.Period | None = None) -> dict:
    """Everything the page shows: a fixed number of queries whatever the data."""
    period = period or d.Period.last_days()
    labels, year = trends.months_back(12)
    # Read once, shown three times: the cards, the trend and the per-team table (delivery);
    # the lead-time card and the per-type table (lead_times).
    delivery = Delivery(period, span=year)
    lead_times = d.resource_lead_times(period)
    metrics = d.platform_metrics(period, delivery=delivery, lead_times=lead_times)
    cards = [Card(k, TITLES[k], number(m.value, share=k in SHARES), m) for k, m in metrics.items()]
    lead = trends.lead_time_by_month(labels, year)
    monthly_tickets = tickets.monthly_ticket_counts(year.start, year.end)
    share = metrics["self_service_share"].value
    below = tickets.tickets_below_the_line(period.start, period.end) if share is not None else []
    said = verdict(share, below)
    rows = baseline_rows(
        d.lead_time_by_type(period, lead_times), list(LeadTimeBaseline.objects.all())
    )
    return {
        "period": period,
        "cards": cards,
        "lead_chart": charts.line_chart(
            "Provisioning lead time by month (hours)", labels, lead, " h"
        ),
        "deploy_chart": charts.line_chart(
            "Production deployments per week, by month",
            labels,
            {"per week": trends.deployments_per_week_by_month(labels, year, delivery)},
        ),
        "tickets_chart": charts.line_chart(
            "Support tickets by month",
            labels,
            # No ticket at all in the year is no data (nothing imported), not a year of zeros.
            {
                "tickets": [
                    monthly_tickets.get(m) if any(monthly_tickets.values()) else None
                    for m in labels
                ]
            },
        ),
        "gauge": charts.gauge("Self-service share", share, d.ADOPTION_LINE, said),
        "verdict": said,
        "adoption_line": round(d.ADOPTION_LINE * 100),
        "below": [(_type_title(slug), count) for slug, count in below],
        "baselines": rows,
        "dora": d.dora_by_team(period, delivery),
    }
