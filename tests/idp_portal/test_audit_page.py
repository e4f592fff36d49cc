"""The audit page: platform admins only, every filter, HTMX fragment, paging, query budget."""

import datetime
import re

import pytest
from django.utils import timezone

from idp_portal import audit
from idp_portal.audit import Origin, audit_context
from idp_portal.models import AuditEvent
from tests.factories import make_user

URL = "/audit/"


def record_at(when: datetime.datetime, *args, monkeypatch, **kwargs) -> AuditEvent:
    """An event stamped `when`: `at` is set on insert and can never be changed afterwards."""
    with monkeypatch.context() as m:
        m.setattr(timezone, "now", lambda: when)
        return audit.record(*args, **kwargs)


@pytest.fixture
def events(personas, monkeypatch):
    """Three events that differ in every filtered column."""
    owner, outsider = personas.owner, personas.outsider
    with audit_context(Origin(via="web", ip="10.0.0.1")):
        record_at(
            datetime.datetime(2025, 1, 10, 9, tzinfo=datetime.UTC),
            owner, "request.approve", personas.team, team="payments",
            monkeypatch=monkeypatch, detail="approved for production",
            before={"state": "awaiting_approval"}, after={"state": "approved"},
        )  # fmt: skip
    with audit_context(Origin(via="api", ip="10.0.0.2")):
        record_at(
            datetime.datetime(2025, 2, 20, 9, tzinfo=datetime.UTC),
            outsider, "request.cancel", None, team="search", outcome="denied",
            monkeypatch=monkeypatch, detail="not your team's request",
        )  # fmt: skip
    with audit_context(Origin(via="admin", ip="10.0.0.3")):
        record_at(
            datetime.datetime(2025, 3, 30, 9, tzinfo=datetime.UTC),
            owner, "admin.change", make_user("renamed"), monkeypatch=monkeypatch,
            detail="Changed Email.",
        )  # fmt: skip


def actions(response) -> list[str]:
    """The actions listed, leaving out the sign-in that logging the test client in recorded."""
    return [e.action for e in response.context["page"].object_list if e.action != "auth.login"]


# --- who may see it ---------------------------------------------------------------------------
def test_a_platform_admin_sees_the_trail_newest_first(platform_client, events):
    response = platform_client.get(URL)
    assert response.status_code == 200
    assert actions(response) == ["admin.change", "request.cancel", "request.approve"]
    html = response.content.decode()
    assert "Audit trail" in html and "who changed this" in html
    assert "10.0.0.2" in html and "approved for production" in html
    assert "&quot;awaiting_approval&quot;" in html  # the before payload, escaped


@pytest.mark.parametrize("persona", ["owner", "teammate", "outsider"])
def test_everyone_else_is_refused_with_a_reason(client, personas, persona):
    client.force_login(getattr(personas, persona))
    response = client.get(URL)
    assert response.status_code == 403
    assert "The audit trail is for platform admins" in response.content.decode()
    refusal = AuditEvent.objects.get(action="audit.view")
    assert (refusal.outcome, refusal.actor_name) == ("denied", persona)


@pytest.mark.parametrize("persona", ["owner", "outsider"])
def test_everyone_else_is_refused_the_export_too(client, personas, persona):
    client.force_login(getattr(personas, persona))
    assert client.get(URL + "export.csv").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/audit/")


def test_posting_is_not_allowed(platform_client, events):
    assert platform_client.post(URL).status_code == 405


def test_the_navigation_links_the_page_for_platform_admins_only(client, personas, platform_admin):
    client.force_login(personas.owner)
    assert 'href="/audit/"' not in client.get("/").content.decode()
    client.force_login(platform_admin)
    assert 'href="/audit/"' in client.get("/").content.decode()


# --- filters ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query, expected",
    [
        ("actor=outsider", ["request.cancel"]),
        ("actor=owner", ["admin.change", "request.approve"]),
        ("action=request.approve", ["request.approve"]),
        ("action=request.", ["request.cancel", "request.approve"]),
        ("action=request", []),
        ("team=payments", ["request.approve"]),
        ("object_type=auth.user", ["admin.change"]),
        ("outcome=denied", ["request.cancel"]),
        ("via=admin", ["admin.change"]),
        ("date_from=2025-02-20", ["admin.change", "request.cancel"]),
        ("date_to=2025-02-20", ["request.cancel", "request.approve"]),
        ("date_from=2025-02-01&date_to=2025-02-28", ["request.cancel"]),
        ("actor=owner&via=web", ["request.approve"]),
    ],
)
def test_each_filter_narrows_the_trail(platform_client, events, query, expected):
    assert actions(platform_client.get(f"{URL}?{query}")) == expected


def test_a_filter_that_makes_no_sense_is_reported_and_the_others_still_apply(
    platform_client, events
):
    response = platform_client.get(URL + "?outcome=maybe&actor=outsider")
    assert response.status_code == 200
    assert "Some filters were not understood" in response.content.decode()
    assert actions(response) == ["request.cancel"]


def test_an_active_filter_can_be_removed(platform_client, events):
    html = platform_client.get(URL + "?actor=owner&via=web").content.decode()
    assert 'href="?via=web"' in html and 'href="?actor=owner"' in html


# --- HTMX, paging, queries ----------------------------------------------------------------------
def test_htmx_gets_just_the_results_fragment(platform_client, events):
    response = platform_client.get(URL + "?via=api", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and 'id="results"' in html
    assert "request.cancel" in html and "request.approve" not in html
    assert "HX-Request" in response["Vary"]


def test_the_plain_page_has_a_real_form_and_export_link(platform_client, events):
    html = platform_client.get(URL + "?via=api").content.decode()
    assert 'method="get"' in html and 'hx-get="/audit/"' in html
    assert 'href="/audit/export.csv?via=api"' in html


def test_the_trail_is_paged_with_an_exact_count(platform_client, db):
    for n in range(55):
        audit.record(None, f"test.{n:02d}")
    response = platform_client.get(URL + "?action=test.")
    page = response.context["page"]
    assert (page.paginator.count, len(page.object_list), page.has_next()) == (55, 50, True)
    assert "<strong>55</strong> events" in response.content.decode()
    assert actions(platform_client.get(URL + "?action=test.&page=2"))[-1] == "test.00"


def test_a_count_past_the_cap_says_so(platform_client, db, monkeypatch):
    from catalog.pagination import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "CAP", 3)
    for n in range(5):
        audit.record(None, f"test.{n}")
    html = platform_client.get(URL).content.decode()
    assert "<strong>3+</strong>" in html and "Counting stops at 3" in html


def test_queries_do_not_grow_with_the_number_of_events(
    platform_client, platform_admin, django_assert_num_queries
):
    # session, user, the user's teams (navigation), the survey banner, the header's approvals
    # count, the count, the page; the HTMX fragment has no banner and no header
    budget = 7
    audit.record(platform_admin, "test.one")
    with django_assert_num_queries(budget):
        platform_client.get(URL)
    for n in range(120):
        audit.record(platform_admin, f"test.{n}", make_user(f"u{n}"), team="payments")
    with django_assert_num_queries(budget):
        platform_client.get(URL + "?team=payments&page=2")
    with django_assert_num_queries(budget - 2):
        platform_client.get(URL, headers={"HX-Request": "true"})


def test_every_filter_is_described_by_its_help(platform_client):
    html = platform_client.get(URL).content.decode()
    for described_by in re.findall(r'aria-describedby="([^"]+)"', html):
        for element_id in described_by.split():
            assert f'id="{element_id}"' in html, f"aria-describedby names no element {element_id}"
