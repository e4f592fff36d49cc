"""The pilot report: the pilot teams' figures before and after the programme's start date.

The two windows have the same length: "after" runs from the start date to today, "before"
is as many days just before it. `comparison()` runs a fixed number of queries.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from feedback.metrics import definitions as d
from feedback.metrics.aggregates import Delivery, production_environment_ids
from feedback.metrics.dashboard import number
from feedback.metrics.models import PilotProgramme
from feedback.tickets import metrics as tickets


@dataclass(frozen=True)
class Windows:
    before: d.Period
    after: d.Period


def windows(start: date, today: date | None = None) -> Windows | None:
    """Equal windows either side of `start`; None when the pilot has not started yet."""
    today = today or timezone.localdate()
    if start > today:
        return None
    days = (today - start).days + 1
    return Windows(
        d.Period(start - timedelta(days=days), start - timedelta(days=1)), d.Period(start, today)
    )


@dataclass(frozen=True)
class Row:
    """One figure before and after, with how many cases each side."""

    title: str
    unit: str
    before: d.Metric
    after: d.Metric

    @property
    def change(self) -> str:
        if self.before.value is None or self.after.value is None:
            return "no data yet on one side"
        if not self.before.value:
            return "was 0 before"
        return f"{(self.after.value - self.before.value) / self.before.value * 100:+.0f}%"

    @property
    def before_text(self) -> str:
        return number(self.before.value)

    @property
    def after_text(self) -> str:
        return number(self.after.value)


TICKETS = "Support tickets raised by the pilot teams in the window (from the ticket audit)."


def ticket_metric(period: d.Period, team_names: list[str]) -> d.Metric:
    months = tickets.monthly_ticket_counts(period.start, period.end, teams=team_names)
    total = sum(months.values())
    # No ticket in the window reads "no data yet", as the ticket audit's own metrics do: an
    # import that does not cover the window must not read as zero tickets.
    return d.Metric(total or None, "tickets", TICKETS, period.bounds, total)


def comparison(
    programme: PilotProgramme, today: date | None = None
) -> tuple[Windows | None, list[Row]]:
    """(windows, rows) for the programme's teams; no rows before the start date."""
    team_ids, names = [], []
    for pk, name in programme.teams.order_by("name").values_list("pk", "name"):
        team_ids.append(pk)
        names.append(name)
    w = windows(programme.start_date, today)
    if w is None:
        return None, []

    environments = production_environment_ids()  # read once for both windows

    def both(title: str, unit: str, measure) -> Row:
        return Row(title, unit, measure(w.before), measure(w.after))

    def first_production(p: d.Period) -> d.Metric:
        return d.time_to_first_production_deployment(p, team_ids, environments)

    def frequency(p: d.Period) -> d.Metric:
        return d.deployment_frequency(p, team_ids, Delivery(p, team_ids, environments=environments))

    return w, [
        both(
            "Provisioning lead time (p50)", "hours", lambda p: d.provisioning_lead_time(p, team_ids)
        ),
        both("Support tickets", "tickets", lambda p: ticket_metric(p, names)),
        both("Time to first deployment", "days", lambda p: d.onboarding_time(p, team_ids)),
        both("Time to first production deployment", "days", first_production),
        both("Deployment frequency", "per week", frequency),
    ]


CSV_HEADER = [
    "programme",
    "teams",
    "figure",
    "unit",
    "before_period",
    "before_value",
    "before_sample_size",
    "after_period",
    "after_value",
    "after_sample_size",
    "change",
    "definition",
]


def csv_rows(programme: PilotProgramme, teams: list[str], rows: list[Row]) -> list[list]:
    """The report as CSV rows; values unrounded, empty where there is no data."""
    out: list[list] = [CSV_HEADER]
    for r in rows:
        out.append(
            [
                programme.name,
                " ".join(teams),
                r.title,
                r.unit,
                r.before.period_label,
                "" if r.before.value is None else r.before.value,
                r.before.sample_size,
                r.after.period_label,
                "" if r.after.value is None else r.after.value,
                r.after.sample_size,
                r.change,
                r.after.definition,
            ]
        )
    return out
