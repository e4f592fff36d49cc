"""CSV reading and classification: pure functions, no database."""

from datetime import UTC, datetime

import pytest

from feedback.tickets import parsing
from feedback.tickets.parsing import Columns, ImportRefused, Rule, classify, parse_date, read_rows
from tests.feedback.tickets_helpers import HEADER, csv_bytes

ROW = "PLAT-1,Need a bucket,03/Nov/26 9:15 AM,04/Nov/26 10:15 AM,s3 team-payments"


def test_it_reads_jiras_date_format():
    assert parse_date("03/Nov/26 9:15 AM") == datetime(2026, 11, 3, 9, 15, tzinfo=UTC)
    assert parse_date("03/Nov/26 9:15 PM") == datetime(2026, 11, 3, 21, 15, tzinfo=UTC)


def test_it_reads_iso_dates():
    assert parse_date("2026-11-03T09:15:00Z") == datetime(2026, 11, 3, 9, 15, tzinfo=UTC)
    assert parse_date("2026-11-03") == datetime(2026, 11, 3, tzinfo=UTC)


def test_it_reads_a_row_with_space_separated_labels():
    parsed = read_rows(csv_bytes(ROW))
    (row,) = parsed.rows
    assert (row.key, row.summary, row.labels) == (
        "PLAT-1",
        "Need a bucket",
        ("s3", "team-payments"),
    )
    assert row.resolved - row.created == (
        datetime(2026, 11, 4, 10, 15) - datetime(2026, 11, 3, 9, 15)
    )


def test_a_utf8_bom_is_not_part_of_the_first_column_name():
    parsed = read_rows(b"\xef\xbb\xbf" + csv_bytes(ROW))
    assert len(parsed.rows) == 1 and parsed.notes == []


def test_a_cp1252_file_is_read_and_the_fallback_reported():
    parsed = read_rows(
        csv_bytes("PLAT-2,Café bucket “urgent”,03/Nov/26 9:15 AM,,", encoding="cp1252")
    )
    assert parsed.rows[0].summary == "Café bucket “urgent”"
    assert "Windows-1252" in parsed.notes[0]


def test_a_utf16_file_is_refused_with_a_clear_message():
    with pytest.raises(ImportRefused, match="not a CSV text file"):
        read_rows(csv_bytes(ROW, encoding="utf-16"))


def test_missing_columns_are_named_with_the_columns_found():
    with pytest.raises(ImportRefused) as refused:
        read_rows(csv_bytes("PLAT-1,x", header="Key,Title\n"))
    message = str(refused.value)
    assert "'Issue key'" in message and "'Created'" in message and "'Title'" in message


def test_mapped_column_names_are_used():
    columns = Columns(
        key="Key", created="Opened", summary="Title", labels="Tags", resolved="Closed"
    )
    parsed = read_rows(
        csv_bytes("K-1,Bucket,2026-01-02,,s3", header="Key,Title,Opened,Closed,Tags\n"), columns
    )
    assert parsed.rows[0].key == "K-1"


def test_a_bad_date_skips_the_row_with_its_line_and_why():
    parsed = read_rows(
        csv_bytes(ROW, "PLAT-2,Bucket,yesterday,,", "PLAT-3,x,2026-01-02,2026-01-01,")
    )
    assert [r.key for r in parsed.rows] == ["PLAT-1"]
    assert parsed.skipped[0].startswith("line 3: Created: 'yesterday' is not a date")
    assert parsed.skipped[1] == "line 4: Resolved is before Created"


def test_a_file_over_the_size_limit_is_refused_with_the_limit(monkeypatch):
    monkeypatch.setattr(parsing, "MAX_BYTES", 100)
    with pytest.raises(ImportRefused, match="Export a shorter period"):
        read_rows(csv_bytes(ROW, ROW, ROW))


def test_a_file_over_the_row_limit_is_refused(monkeypatch):
    monkeypatch.setattr(parsing, "MAX_ROWS", 2)
    with pytest.raises(ImportRefused, match="more than 2 rows; the limit is 2"):
        read_rows(csv_bytes(ROW, ROW, ROW))


def test_the_real_size_limit_is_ten_mib():
    assert parsing.MAX_BYTES == 10 * 2**20 and parsing.MAX_ROWS == 100_000
    with pytest.raises(ImportRefused, match="the limit is 10 MiB"):
        read_rows(HEADER.encode() + b"x" * (10 * 2**20))


def test_the_highest_priority_rule_wins():
    rules = [Rule("keyword", "bucket", "s3-bucket", 100), Rule("keyword", "dns", "dns-record", 110)]
    assert classify("DNS name for the bucket", (), rules) == "dns-record"
    assert classify("a bucket please", (), rules) == "s3-bucket"


def test_a_label_rule_can_outrank_keywords():
    rules = [
        Rule("keyword", "bucket", "s3-bucket", 100),
        Rule("label", "access-request", "access", 150),
    ]
    assert classify("access to the bucket", ("Access-Request",), rules) == "access"


def test_keywords_match_whole_words_only():
    rules = [Rule("keyword", "db", "postgres-database", 100)]
    assert classify("feedback form", (), rules) == ""
    assert classify("a db for us", (), rules) == "postgres-database"


def test_the_default_rules_use_the_portals_type_slugs():
    from feedback.tickets.types import TICKET_TYPES

    assert {rule.type for rule in parsing.DEFAULT_RULES} <= set(TICKET_TYPES)
    rules = parsing.DEFAULT_RULES
    assert classify("SQS queue for events", (), rules) == "queue"
    assert classify("Renew certificate for api", (), rules) == "tls-certificate"


def test_a_label_names_its_team_as_the_catalog_spells_it():
    from feedback.tickets.parsing import team_of

    assert team_of(("Team-PAYMENTS",), {"Payments", "search"}) == "Payments"
    assert team_of(("infra",), {"Payments"}) == ""
