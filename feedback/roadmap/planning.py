"""Pure date logic for office hours: which days a monthly session falls on."""

import calendar
from datetime import date, datetime, time, timedelta

LAST = 5  # "week of month" 5 means the last such weekday of the month


def nth_weekday(year: int, month: int, weekday: int, week: int) -> date:
    """The `week`-th (1-4, or LAST) `weekday` (0 = Monday) of the month."""
    days = [
        d
        for d in calendar.Calendar().itermonthdates(year, month)
        if d.month == month and d.weekday() == weekday
    ]
    return days[-1] if week == LAST else days[week - 1]


def monthly_occurrences(
    weekday: int, week: int, at: time, today: date, months: int = 3
) -> list[date | datetime]:
    """The session start (naive, in the caller's zone) in each of the `months` calendar months
    from `today`'s, leaving out any that fall before `today`."""
    starts = []
    year, month = today.year, today.month
    for _ in range(months):
        day = nth_weekday(year, month, weekday, week)
        if day >= today:
            starts.append(datetime.combine(day, at))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return starts


def ends_at(starts_at: datetime, duration_minutes: int) -> datetime:
    return starts_at + timedelta(minutes=duration_minutes)
