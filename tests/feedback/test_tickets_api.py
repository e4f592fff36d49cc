"""GET /api/metrics/ticket-audit: its shape, and admins only."""

from django.urls import reverse

from idp_portal.models import AuditEvent
from tests.feedback.tickets_helpers import make_ticket

URL = "/api/metrics/ticket-audit"


def test_the_url_is_the_declared_one(db):
    assert reverse("feedback_api:ticket_audit") == URL


def test_an_admin_gets_the_ranked_types_and_the_period(platform_client):
    make_ticket("Q-1", "queue", hours=3)
    make_ticket("U-1", "")
    body = platform_client.get(URL).json()
    assert set(body) == {"period", "unclassified", "types"}
    assert set(body["period"]) == {"start", "end"}
    assert body["unclassified"] == 1
    assert body["types"] == [
        {"type": "queue", "count": 1, "median_resolution_hours": 3.0, "self_service": True}
    ]


def test_a_member_gets_403_and_the_refusal_is_audited(owner_client):
    response = owner_client.get(URL)
    assert response.status_code == 403 and "platform admins" in response.json()["error"]
    assert AuditEvent.objects.filter(action="metrics.view", outcome="denied").exists()


def test_post_is_not_allowed(platform_client):
    assert platform_client.post(URL).status_code == 405


def test_the_schema_declares_it(platform_client):
    schema = platform_client.get("/api/schema").json()
    responses = schema["paths"][URL]["get"]["responses"]
    assert set(responses) >= {"200", "403"}
