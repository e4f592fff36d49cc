"""The CSV export: the same filters as the page, streamed, and safe to open in a spreadsheet."""

import csv
import io

import pytest

from idp_portal import audit
from idp_portal.csv_export import escape_cell
from idp_portal.views_audit import CSV_COLUMNS

URL = "/audit/export.csv"


def rows_of(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_the_export_streams_every_event_with_a_header(platform_client, personas):
    audit.record(personas.owner, "request.approve", personas.team, team="payments",
                 before={"state": "awaiting_approval"}, after={"state": "approved"})  # fmt: skip
    response = platform_client.get(URL)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = [r for r in rows_of(response) if r["action"] != "auth.login"]
    assert list(rows[0]) == CSV_COLUMNS
    assert (rows[0]["actor"], rows[0]["team"], rows[0]["object"]) == (
        "owner",
        "payments",
        "Payments",
    )
    assert rows[0]["before"] == '{"state": "awaiting_approval"}'


def test_the_export_takes_the_pages_filters(platform_client, personas):
    audit.record(personas.owner, "request.approve", team="payments")
    audit.record(personas.outsider, "request.cancel", team="search", outcome="denied")
    rows = rows_of(platform_client.get(URL + "?team=search&outcome=denied"))
    assert [r["action"] for r in rows] == ["request.cancel"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_gets_an_apostrophe(start):
    assert escape_cell(start + "HYPERLINK(1)") == "'" + start + "HYPERLINK(1)"


@pytest.mark.parametrize("value, shown", [("payments", "payments"), ("", ""), (None, ""),
                                          ("a=b", "a=b"), (42, 42), (-0.5, -0.5),
                                          (True, "True")])  # fmt: skip
def test_ordinary_cells_are_left_as_they_are(value, shown):
    # Numbers stay numbers: a negative number is not a formula.
    assert escape_cell(value) == shown and type(escape_cell(value)) is type(shown)


def test_a_hostile_name_typed_at_sign_in_is_defused_in_the_export(platform_client, db):
    from django.test import Client

    Client().post("/accounts/login/", {"login": "=cmd|'/c calc'!A1", "password": "x"})
    (row,) = [r for r in rows_of(platform_client.get(URL)) if r["action"] == "auth.login_failed"]
    assert row["actor"] == "'=cmd|'/c calc'!A1"
    assert row["detail"].startswith("failed sign-in")
