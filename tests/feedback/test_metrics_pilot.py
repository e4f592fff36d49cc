"""The pilot report at /feedback/pilot/: the pilot teams before and after, for admins."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.metrics.models import PilotProgramme
from feedback.metrics.pilot import CSV_HEADER, comparison, windows
from idp_portal.models import AuditEvent
from tests.factories import make_team, make_user
from tests.feedback.metrics_helpers import make_request

URL = "/feedback/pilot/"
# session, user, their teams; programmes and their teams; the report's teams; 4 figures x 2
# windows (tickets come from the ticket audit; no engineer deployed, so onboarding skips its
# sign-in look-up), and the production environments once; the form's team choices; the
# header's approvals count
QUERIES = 22  # with the pilot teams' ticket counts and the survey banner


NOW = timezone.now()


def days_ago(n: float):
    return NOW - timedelta(days=n)


@pytest.fixture
def pilot(team):
    """payments, orders and billing from 10 days ago; lead times 8 h and 4 h before, 1 h and
    3 h after; another team's request is left out."""
    teams = [team, make_team("orders"), make_team("billing")]
    programme = PilotProgramme.objects.create(
        name="Spring pilot", start_date=timezone.localdate() - timedelta(days=9)
    )
    programme.teams.set(teams)
    user = make_user()
    for start, hours in ((15, 8), (12, 4), (5, 1), (3, 3)):
        make_request(
            user, team, "s3-bucket", days_ago(start), days_ago(start) + timedelta(hours=hours)
        )
    make_request(
        user, make_team("other"), "s3-bucket", days_ago(3), days_ago(3) + timedelta(hours=90)
    )
    return programme


def test_the_urls_are_the_ones_documented():
    assert reverse("feedback:pilot_report") == URL
    assert reverse("feedback:pilot_report_csv", args=[3]) == "/feedback/pilot/3/csv"


def test_windows_have_the_same_length_either_side_of_the_start():
    w = windows(date(2026, 3, 10), today=date(2026, 3, 19))
    assert (w.before.start, w.before.end) == (date(2026, 2, 28), date(2026, 3, 9))
    assert (w.after.start, w.after.end) == (date(2026, 3, 10), date(2026, 3, 19))
    assert windows(date(2026, 4, 1), today=date(2026, 3, 19)) is None


def test_the_comparison_counts_only_the_pilot_teams(pilot):
    _, rows = comparison(pilot)
    lead = rows[0]
    assert (lead.before.value, lead.before.sample_size) == (6.0, 2)
    assert (lead.after.value, lead.after.sample_size) == (2.0, 2)
    assert lead.change == "-67%"
    tickets = rows[1]
    assert (tickets.before.value, tickets.after.value) == (None, None)  # no ticket audit yet
    assert tickets.change == "no data yet on one side"


def test_the_page_shows_the_figures_with_sample_sizes(platform_client, pilot):
    html = platform_client.get(URL).content.decode()
    assert "Spring pilot: billing, orders, payments" in html
    assert "<td>-67%</td>" in html
    assert f'href="/feedback/pilot/{pilot.pk}/csv"' in html


def test_the_csv_has_the_unrounded_figures(platform_client, pilot):
    response = platform_client.get(f"/feedback/pilot/{pilot.pk}/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert rows[0]["figure"] == "Provisioning lead time (p50)"
    assert (rows[0]["before_value"], rows[0]["after_sample_size"]) == ("6.0", "2")
    assert rows[1]["before_value"] == ""


def test_a_pilot_is_saved_from_the_page_and_audited(platform_client, team):
    teams = [team, make_team("search"), make_team("billing")]
    response = platform_client.post(
        URL,
        {"name": "Autumn", "teams": [t.pk for t in teams], "start_date": "2026-09-01"},
    )
    programme = PilotProgramme.objects.get(name="Autumn")
    assert response.status_code == 302 and response["Location"].endswith(
        f"?programme={programme.pk}"
    )
    assert programme.teams.count() == 3
    assert AuditEvent.objects.get(action="pilot.create").object_repr.startswith("Autumn")


def test_two_teams_are_refused_with_what_to_do(platform_client, team):
    response = platform_client.post(
        URL, {"name": "Tiny", "teams": [team.pk, make_team("x").pk], "start_date": "2026-09-01"}
    )
    assert response.status_code == 400
    assert "you picked 2: pick more" in response.content.decode()
    assert not PilotProgramme.objects.exists()


def test_it_refuses_a_team_lead_and_audits_it(owner_client, pilot):
    assert owner_client.get(URL).status_code == 403
    assert owner_client.get(f"/feedback/pilot/{pilot.pk}/csv").status_code == 403
    assert owner_client.post(URL, {"name": "x"}).status_code == 403
    assert AuditEvent.objects.filter(outcome="denied", action="pilot.report").count() == 3


def test_a_future_pilot_says_there_is_nothing_to_compare_yet(platform_client, team):
    PilotProgramme.objects.create(name="Later", start_date=timezone.localdate() + timedelta(days=3))
    assert "nothing to compare until then" in platform_client.get(URL).content.decode()


def test_csv_cells_typed_by_people_cannot_run_as_formulas(platform_client, pilot):
    PilotProgramme.objects.filter(pk=pilot.pk).update(name="=HYPERLINK()")
    response = platform_client.get(f"/feedback/pilot/{pilot.pk}/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row[CSV_HEADER[0]] for row in rows} == {"'=HYPERLINK()"}


def test_the_query_count_does_not_grow_with_requests(
    platform_client, pilot, django_assert_num_queries
):
    with django_assert_num_queries(QUERIES):
        platform_client.get(URL)
    user = make_user()
    for i in range(20):
        make_request(
            user,
            pilot.teams.first(),
            "queue",
            days_ago(i % 15),
            days_ago(i % 15) + timedelta(hours=1),
        )
    with django_assert_num_queries(QUERIES):
        platform_client.get(URL)
