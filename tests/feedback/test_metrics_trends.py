"""The monthly lead-time trend: the same percentiles whether the database computes them
(PostgreSQL's percentile_cont) or Python interpolates them (SQLite)."""

from datetime import date

from feedback.metrics.definitions import Period
from feedback.metrics.trends import lead_time_by_month
from tests.feedback.metrics_helpers import at, make_request


def test_each_months_p50_and_p90_are_interpolated_between_ranks(personas):
    # March: 1, 2, 3, 10 hours; April: 5 hours; May: none.
    for hours in (1, 2, 3, 10):
        make_request(personas.owner, personas.team, "s3-bucket", at(1), at(1, hours))
    make_request(personas.owner, personas.team, "queue", at(31), at(31, 5))
    period = Period(date(2026, 3, 1), date(2026, 5, 31))
    trend = lead_time_by_month(["2026-03", "2026-04", "2026-05"], period)
    assert trend["p50"] == [2.5, 5.0, None]
    # rank 0.9 * 3 = 2.7: 3 + (10 - 3) * 0.7
    assert [round(v, 6) if v is not None else None for v in trend["p90"]] == [7.9, 5.0, None]
