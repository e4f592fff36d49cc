"""The ticket audit page, its CSV export, and "Ask the platform team"."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from feedback.tickets.models import ColumnMapping, HelpRequest, Ticket
from idp_portal.models import AuditEvent
from tests.factories import make_component
from tests.feedback.tickets_helpers import csv_bytes, make_ticket

AUDIT = "/feedback/tickets/"
HELP = "/feedback/help/"
FORM = {
    "format_name": "Jira",
    "key_column": "Issue key",
    "created_column": "Created",
    "summary_column": "Summary",
    "labels_column": "Labels",
    "resolved_column": "Resolved",
}
# session, user, memberships, survey banner, the header's approvals count, saved formats,
# ranking, unclassified
AUDIT_QUERIES = 8


def _upload(client, data: bytes, **fields):
    return client.post(AUDIT, {**FORM, **fields, "file": SimpleUploadedFile("t.csv", data)})


def test_the_urls_are_the_named_ones(db):
    assert reverse("feedback:ticket_audit") == AUDIT
    assert reverse("feedback:help_request") == HELP


def test_an_admin_uploads_an_export_and_sees_the_report(platform_client):
    rows = ("P-1,Need a bucket,2026-01-02,,", "P-2,x,not a date,,")
    response = _upload(platform_client, csv_bytes(*rows))
    page = response.content.decode()
    assert "1 created, 0 updated, 1 skipped" in page
    assert "line 3: Created" in page
    assert Ticket.objects.count() == 1
    assert ColumnMapping.objects.get().name == "Jira"


def test_missing_columns_are_reported_next_to_the_file_field(platform_client):
    response = _upload(platform_client, csv_bytes("1,x", header="Key,Title\n"))
    assert "Missing column" in response.context["form"].errors["file"][0]
    assert not Ticket.objects.exists()


def test_a_saved_format_fills_the_form_next_time(platform_client):
    header = "Id,Title,Opened,Closed,Tags\n"
    mapped = {"key_column": "Id", "summary_column": "Title", "created_column": "Opened"}
    mapped |= {"resolved_column": "Closed", "labels_column": "Tags", "format_name": "ServiceNow"}
    _upload(platform_client, csv_bytes("S-1,Queue,2026-01-02,,", header=header), **mapped)
    form = platform_client.get(AUDIT + "?format=ServiceNow").context["form"]
    assert form.initial["key_column"] == "Id"


def test_the_page_shows_the_top_five_with_medians_and_coverage(platform_client):
    for i, kind in enumerate(
        ["dns-record"] * 3 + ["s3-bucket"] * 2 + ["queue", "access", "service"]
    ):
        make_ticket(f"T-{i}", kind, hours=2 * (i + 1))
    make_ticket("OTHER", "tls-certificate")
    make_ticket("U-1", "")
    response = platform_client.get(AUDIT)
    top = response.context["top"]
    assert [t.type for t in top] == ["dns-record", "s3-bucket", "access", "queue", "service"]
    assert top[0].median_resolution_hours == 4.0
    page = response.content.decode()
    assert "Unclassified: 1 ticket" in page and "No: a candidate for the roadmap" in page


def test_the_audit_page_query_count_does_not_grow_with_tickets(
    platform_client, django_assert_num_queries
):
    make_ticket("T-0", "queue")
    platform_client.get(AUDIT)  # warm the session and the user
    with django_assert_num_queries(AUDIT_QUERIES):
        platform_client.get(AUDIT)
    for i in range(20):
        make_ticket(f"T-{i + 1}", ["queue", "dns-record", ""][i % 3], hours=i)
    with django_assert_num_queries(AUDIT_QUERIES):
        platform_client.get(AUDIT)


def test_a_member_may_not_see_the_audit_or_the_export(owner_client):
    assert owner_client.get(AUDIT).status_code == 403
    assert owner_client.get(reverse("feedback:ticket_export")).status_code == 403
    assert owner_client.post(AUDIT, FORM).status_code == 403


def test_the_audit_page_refuses_other_methods(platform_client):
    assert platform_client.delete(AUDIT).status_code == 405


def test_the_export_escapes_formula_cells(platform_client):
    Ticket.objects.create(
        key="P-1", type="queue", summary='=HYPERLINK("x")', created="2026-01-02T00:00Z"
    )
    make_ticket("U-1", "")  # unclassified: not exported
    response = platform_client.get(reverse("feedback:ticket_export"))
    rows = list(csv.reader(io.StringIO(b"".join(response).decode())))
    assert rows[0][:3] == ["source", "key", "type"]
    assert len(rows) == 2 and rows[1][6] == '\'=HYPERLINK("x")'


def test_anyone_signed_in_asks_for_help_and_sees_it_listed(outsider_client, personas):
    petstore = make_component("petstore", owner=personas.team)
    data = {
        "category": "provisioning",
        "description": "We need a DNS record",
        "service": petstore.pk,
    }
    response = outsider_client.post(HELP, data, follow=True)
    help_request = HelpRequest.objects.get()
    assert (help_request.user, help_request.team) == (personas.outsider, "payments")
    page = response.content.decode()
    assert f"Sent: request #{help_request.pk}" in page and "within one working day" in page
    assert AuditEvent.objects.filter(action="help.request", object_id=str(help_request.pk)).exists()


def test_a_help_request_without_a_description_says_what_to_do(owner_client):
    response = owner_client.post(HELP, {"category": "how-to", "description": ""})
    assert response.context["form"].errors["description"]
    assert not HelpRequest.objects.exists()


def test_a_user_sees_only_their_own_help_requests(owner_client, personas):
    HelpRequest.objects.create(user=personas.outsider, category="how-to", description="theirs")
    HelpRequest.objects.create(user=personas.owner, category="how-to", description="mine")
    response = owner_client.get(HELP)
    assert [h.description for h in response.context["mine"]] == ["mine"]
    assert "<td>mine</td>" in response.content.decode()  # each asker reads back their question
    assert "theirs" not in response.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    assert client.get(HELP).status_code == 302


def test_a_service_name_in_two_namespaces_is_no_error(outsider_client, personas):
    make_component("api", owner=personas.team)
    other = make_component("api", namespace="edge", owner=personas.team)
    data = {"category": "how-to", "description": "Which api?", "service": other.pk}
    response = outsider_client.post(HELP, data, follow=True)
    assert response.status_code == 200 and HelpRequest.objects.get().service_name == "api"
