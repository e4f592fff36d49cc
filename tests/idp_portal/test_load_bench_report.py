"""The load benchmark's pure parts (tests/bench/load_report.py): locust's CSV read into
figures, the level where p95 passes 500 ms, the goals and the section's text."""

import csv
import io
from collections import namedtuple

import pytest

from tests.bench.load_processes import busy_share
from tests.bench.load_report import (
    HEADING,
    KindStats,
    Level,
    Run,
    best_within_limit,
    first_over_limit,
    goals,
    is_quiet,
    limit_note,
    parse_stats,
    section,
)

# Written by locust 2.47 (`--csv`), trimmed to three rows.
STATS_CSV = """\
Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%
GET,catalog list,23,1,550,745.9,163.2,1644.7,39936.7,4.7786,0.0,550,870,930,1500,1600,1600,1600,1600,1600,1600,1600
POST,provisioning request,0,0,0,0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A
,Aggregated,34,1,450,638.6,163.2,1644.7,34706.4,7.0641,0.2,450,700,860,920,1500,1600,1600,1600,1600,1600,1600
"""  # noqa: E501 - locust's header is one line


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def level(users: int, p95: float | None, rate: float = 50.0, failures: int = 0, **kw) -> Level:
    return Level(users, KindStats(100, failures, rate, 10.0, p95), **kw)


def test_it_reads_the_aggregated_row_and_one_row_per_kind():
    total, kinds = parse_stats(rows(STATS_CSV))
    assert (total.requests, total.failures, total.p50_ms, total.p95_ms) == (34, 1, 450, 1600)
    assert total.rate == pytest.approx(7.0641)
    assert set(kinds) == {"catalog list", "provisioning request"}
    assert kinds["catalog list"].p95_ms == 1600


def test_a_kind_without_requests_has_no_percentiles():
    _, kinds = parse_stats(rows(STATS_CSV))
    assert kinds["provisioning request"].p50_ms is None
    assert kinds["provisioning request"].p95_ms is None


def test_stats_without_the_aggregated_row_are_refused_with_a_reason():
    header_and_one = "\n".join(STATS_CSV.splitlines()[:2])
    with pytest.raises(ValueError, match="Aggregated"):
        parse_stats(rows(header_and_one))


def test_the_limit_is_first_passed_at_the_lowest_concurrency_over_it():
    levels = [level(50, 900), level(1, 40), level(25, 510), level(10, 500)]
    assert first_over_limit(levels).users == 25


def test_no_level_passes_the_limit_when_every_p95_is_within_it():
    assert first_over_limit([level(1, 40), level(5, 500), level(10, None)]) is None


def test_the_best_level_is_the_fastest_within_the_limit_without_errors():
    levels = [
        level(10, 300, rate=80),
        level(25, 450, rate=120, failures=2),
        level(50, 700, rate=150),
        level(5, 100, rate=60),
    ]
    assert best_within_limit(levels).users == 10


def test_unfinished_or_failed_provisioning_requests_count_as_errors():
    lv = level(5, 100, provisioned={"succeeded": 3, "failed": 1, "queued after 120 s": 2})
    assert lv.errors == 3
    assert best_within_limit([lv]) is None


def test_goals_say_pass_and_miss_with_the_figures():
    levels = [level(10, 300, rate=120), level(25, 800, rate=130)]
    peaks = {"gunicorn master": 30.0, "gunicorn worker 1": 180.0, "gunicorn worker 2": 260.0}
    rate, memory, errors = goals(levels, peaks)
    assert "120.0 req/s at 10 users" in rate and rate.endswith("pass")
    assert "peak 260 MB" in memory and memory.endswith("**miss**")
    assert errors.endswith("pass")


def test_a_machine_is_quiet_up_to_half_a_load_point_per_cpu():
    assert is_quiet(1.0, 2)
    assert not is_quiet(1.1, 2)


def test_the_limit_note_names_other_programs_when_they_used_the_cpus():
    busy = level(5, 900, machine_cpu=1.0, cpu={"web": 0.3, "PostgreSQL": 0.2, "other": 1.4})
    note = limit_note([level(1, 200), busy], cpus=2)
    assert note.startswith("At 5 users")
    assert "saturated" in note and "other than the benchmark's" in note


def test_the_limit_note_says_requests_queue_for_the_web_workers_when_cpus_are_idle():
    idle = level(25, 900, machine_cpu=0.4, cpu={"web": 0.5, "other": 0.2})
    note = limit_note([idle], cpus=2)
    assert "not saturated" in note and "4 sync web workers" in note


def test_the_section_starts_with_its_heading_and_says_when_the_machine_was_busy():
    run = Run("make bench-load", 60, 0.0, {"cpus": "2"}, 3.0, "commit abc", 10.0)
    text = section(run, [level(1, 100), level(5, 600)], {"gunicorn worker 1": 150.0})
    assert text.startswith(HEADING + "\n")
    assert "**not quiet**" in text
    assert "p95 first passes 500 ms at: 5 users (600 ms)." in text


def test_busy_share_is_the_part_of_cpu_time_not_idle():
    Times = namedtuple("Times", "user system idle iowait")
    assert busy_share(Times(0, 0, 0, 0), Times(30, 10, 50, 10)) == pytest.approx(0.4)
    assert busy_share(Times(5, 5, 5, 5), Times(5, 5, 5, 5)) == 0.0


def test_the_table_says_how_many_requests_were_provisioned_and_the_workers_backlog():
    lv = level(5, 100, provisioned={"succeeded": 3}, drained_s=4.2)
    run = Run("make bench-load", 60, 0.0, {"cpus": "2"}, 0.2, "commit abc", 10.0)
    text = section(run, [lv], {})
    row = next(line for line in text.splitlines() if line.startswith("| 5 |"))
    assert "| 3 ok, +4 s |" in row
    assert "quiet." in text and "not quiet" not in text
