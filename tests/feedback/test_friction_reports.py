"""Friction reports: the footer form, the reporter's list and the admins' triage."""

import pytest
from django.urls import reverse

from feedback.roadmap.forms import local_path
from feedback.roadmap.models import FrictionReport
from idp_portal.models import AuditEvent
from tests.factories import make_friction_report, make_roadmap_item

pytestmark = pytest.mark.django_db
NEW = reverse("feedback:friction_report")
MINE = reverse("feedback:friction_mine")
TRIAGE = reverse("feedback:friction_triage")
VALID = {"trying_to": "add a database", "what_happened": "the form had no Postgres option"}


def test_the_footer_link_carries_the_page_the_user_is_on(owner_client):
    body = owner_client.get("/catalog/?q=pay").content.decode()
    assert f'href="{NEW}?from=/catalog/%3Fq%3Dpay"' in body
    assert f'hx-get="{NEW}?from=/catalog/%3Fq%3Dpay"' in body


def test_the_form_records_the_page_from_the_query_parameter(owner_client, personas):
    body = owner_client.get(NEW, {"from": "/catalog/?q=pay"}).content.decode()
    assert 'name="page" value="/catalog/?q=pay"' in body
    assert '<label for="id_trying_to">What were you trying to do?</label>' in body
    response = owner_client.post(NEW, {"page": "/catalog/?q=pay", **VALID})
    assert response.status_code == 302 and response.url == MINE
    report = FrictionReport.objects.get()
    assert (report.user, report.page, report.status) == (personas.owner, "/catalog/?q=pay", "new")
    assert report.what_happened == VALID["what_happened"]
    assert AuditEvent.objects.filter(action="friction.report", object_id=str(report.pk)).exists()


@pytest.mark.parametrize(
    "page", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_an_external_page_is_ignored(owner_client, page):
    response = owner_client.get(NEW, {"from": page})
    assert response.context["form"]["page"].value() == ""
    assert "From the page" not in response.content.decode()
    owner_client.post(NEW, {"page": page, **VALID})
    assert FrictionReport.objects.get().page == ""


def test_local_path_keeps_only_this_sites_paths():
    assert local_path("/feedback/roadmap/?x=1") == "/feedback/roadmap/?x=1"
    assert local_path("http://localhost/") == ""
    assert local_path("/" + "a" * 600) == ""


def test_missing_fields_are_refused_with_errors_beside_them(owner_client):
    response = owner_client.post(NEW, {"page": "/", "trying_to": "", "what_happened": ""})
    body = response.content.decode()
    assert response.status_code == 200 and not FrictionReport.objects.exists()
    assert 'id="id_trying_to_error"' in body and "Say what you were trying to do" in body
    assert 'id="id_what_happened_error"' in body


def test_with_htmx_the_form_comes_as_a_dialog_and_thanks_in_place(owner_client):
    response = owner_client.get(NEW, {"from": "/"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.strip().startswith("<dialog") and "<html" not in body
    assert 'hx-target="closest dialog"' in body and "data-close-dialog" in body
    response = owner_client.post(NEW, {"page": "/", **VALID}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    assert FrictionReport.objects.count() == 1


def test_the_plain_page_posts_without_htmx_targets(owner_client):
    body = owner_client.get(NEW).content.decode()
    assert "<dialog" not in body and 'hx-target="closest dialog"' not in body


def test_the_reporter_sees_status_and_linked_item_but_not_others_reports(owner_client, personas):
    item = make_roadmap_item("Self-service DNS records")
    make_friction_report(personas.owner, status="linked", roadmap_item=item, page="/dns/")
    make_friction_report(personas.teammate, page="/secret-of-teammate/")
    body = owner_client.get(MINE).content.decode()
    assert "Linked to the roadmap" in body and "Self-service DNS records" in body
    assert "/dns/" in body and "secret-of-teammate" not in body


def test_triage_is_for_platform_admins_only(owner_client, personas):
    report = make_friction_report(personas.teammate)
    assert owner_client.get(TRIAGE).status_code == 403
    url = reverse("feedback:friction_update", args=[report.pk])
    assert owner_client.post(url, {"status": "closed"}).status_code == 403
    report.refresh_from_db()
    assert report.status == "new"
    assert AuditEvent.objects.filter(action="friction.triage", outcome="denied").count() == 2


def test_an_admin_filters_by_status(platform_client, personas):
    make_friction_report(personas.owner, trying_to="open-one")
    make_friction_report(personas.owner, trying_to="closed-one", status="closed")
    body = platform_client.get(TRIAGE, {"status": "closed"}).content.decode()
    assert "closed-one" in body and "open-one" not in body
    partial = platform_client.get(TRIAGE, {"status": "new"}, HTTP_HX_REQUEST="true")
    text = partial.content.decode()
    assert text.strip().startswith('<section id="reports"') and "open-one" in text


def test_linking_an_item_marks_the_report_linked_and_is_audited(platform_client, personas):
    report = make_friction_report(personas.owner)
    item = make_roadmap_item()
    url = reverse("feedback:friction_update", args=[report.pk])
    data = {"status": "triaged", "roadmap_item": item.pk, "back": "/feedback/friction/?status=new"}
    response = platform_client.post(url, data)
    assert response.status_code == 302 and response.url == "/feedback/friction/?status=new"
    platform_client.post(url, data)  # the same again changes nothing
    report.refresh_from_db()
    assert (report.status, report.roadmap_item) == ("linked", item)
    assert AuditEvent.objects.filter(action="friction.triage", outcome="ok").count() == 1


def test_triage_refuses_an_unknown_status_and_an_external_back_link(platform_client, personas):
    report = make_friction_report(personas.owner)
    url = reverse("feedback:friction_update", args=[report.pk])
    response = platform_client.post(url, {"status": "bogus", "back": "https://evil.example/"})
    assert response.url == TRIAGE
    report.refresh_from_db()
    assert report.status == "new"


def test_triage_query_budget_is_constant_in_reports(
    platform_client, personas, django_assert_num_queries
):
    item = make_roadmap_item()
    for _ in range(2):
        make_friction_report(personas.owner, roadmap_item=item)
    # session, user, memberships, roadmap items for the select, the count, reports with user
    # and item, the survey banner,
    # the header's approvals count
    with django_assert_num_queries(8):
        platform_client.get(TRIAGE)
    for _ in range(10):
        make_friction_report(personas.teammate, roadmap_item=item)
    with django_assert_num_queries(8):
        response = platform_client.get(TRIAGE)
    assert response.content.decode().count("<article>") == 12


def test_triage_is_paged_newest_first_with_an_exact_count(platform_client, personas):
    from feedback.roadmap.views import TRIAGE_PAGE_SIZE

    for n in range(TRIAGE_PAGE_SIZE + 2):
        make_friction_report(personas.owner, trying_to=f"report-{n:02d}")
    first = platform_client.get(TRIAGE, {"status": "new"}).content.decode()
    assert f"<strong>{TRIAGE_PAGE_SIZE + 2}</strong> reports in this status" in first
    assert first.count("<article>") == TRIAGE_PAGE_SIZE and "Page 1 of 2" in first
    assert f"report-{TRIAGE_PAGE_SIZE + 1:02d}" in first and "report-00" not in first
    assert "?status=new&amp;page=2" in first
    second = platform_client.get(TRIAGE, {"status": "new", "page": 2}).content.decode()
    assert second.count("<article>") == 2 and "report-00" in second
