"""GET /api/metrics/platform: the ten metrics with their definitions, for platform admins."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.metrics.definitions import PLATFORM_KEYS
from idp_portal.models import AuditEvent
from tests.factories import make_team, make_user
from tests.feedback.metrics_helpers import deploy, make_origin

URL = "/api/metrics/platform"
# session, user; one per database metric and two for onboarding (first deployments, then
# those engineers' first sign-ins), but one for deployment frequency and change fail rate
# together (the production deployment counts) and two for the first production deployments
# (the production environments, then the services' first); the observability roll-up (no
# components here, so no on-call look-up); change lead time
QUERIES = 14  # with the ticket metrics (none imported: the share stops after one query)


def recent(days: float):
    return timezone.now() - timedelta(days=days)


def history(team, deployments: int) -> None:
    user = make_user()
    origin = make_origin(f"svc-{deployments}", team, recent(80))
    for i in range(deployments):
        deploy(origin, "prod", user, recent(60 - i), committed=recent(60 - i))
    deploy(origin, "prod", user, recent(2), failed=recent(1.9))


def test_the_url_is_the_one_documented():
    assert reverse("feedback_api:platform") == URL


def test_it_answers_the_ten_metrics_each_with_its_definition(platform_client, team):
    history(team, 3)
    body = platform_client.get(URL).json()
    assert tuple(body) == PLATFORM_KEYS
    for metric in body.values():
        assert set(metric) == {"value", "unit", "definition", "period", "sample_size"}
    assert body["deployment_frequency"]["sample_size"] == 3
    assert set(body["deployment_frequency"]["period"]) == {"start", "end"}
    assert body["deployment_frequency"]["value"] == pytest.approx(3 / (90 / 7))
    assert body["change_fail_rate"]["value"] == 0.25
    assert body["change_lead_time"] == {
        **body["change_lead_time"],
        "value": None,
        "sample_size": 0,
    }
    assert body["self_service_share"]["value"] is None


def test_team_scopes_the_dora_metrics(platform_client, team):
    history(team, 3)
    history(make_team("search"), 5)
    body = platform_client.get(URL, {"team": "search"}).json()
    assert body["deployment_frequency"]["sample_size"] == 5
    assert body["change_fail_rate"]["value"] == pytest.approx(1 / 6)


def test_an_unknown_team_is_a_400_that_says_what_to_send(platform_client):
    response = platform_client.get(URL, {"team": "nope"})
    assert response.status_code == 400
    assert "no team named 'nope'" in response.json()["errors"]["team"][0]


def test_it_refuses_someone_who_is_not_a_platform_admin_and_audits_it(owner_client):
    response = owner_client.get(URL)
    assert response.status_code == 403
    assert "platform admins" in response.json()["error"]
    assert AuditEvent.objects.filter(outcome="denied").exists()


def test_it_answers_401_without_credentials(client, db):
    assert client.get(URL).status_code == 401


def test_it_refuses_a_post(platform_client):
    assert platform_client.post(URL).status_code == 405


@pytest.mark.parametrize("deployments", [3, 30])
def test_the_query_count_is_the_same_for_3_or_30_deployments(
    platform_client, team, deployments, django_assert_num_queries
):
    history(team, deployments)
    with django_assert_num_queries(QUERIES):
        assert platform_client.get(URL).status_code == 200
