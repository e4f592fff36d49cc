"""Argo CD: the client against a contract server checked against Argo CD's swagger, the service
page's Argo CD section, and "Sync now" by role and environment."""

import pytest
from django.test import Client

from idp_portal.models import AuditEvent
from provisioning import argocd
from provisioning.demo import seed_golden_paths
from provisioning.models import GoldenPath, ServiceOrigin
from tests.factories import make_component
from tests.provisioning.argocd_server import ArgoCDServer
from tests.provisioning.conftest import default_environment

SYNC = "/provisioning/services/checkout/environments/{env}/sync/"


@pytest.fixture
def argo(settings):
    with ArgoCDServer() as server:
        settings.ARGOCD_SERVER = server.url
        settings.ARGOCD_TOKEN = server.token
        yield server
    assert not server.violations, server.violations


@pytest.fixture
def origin(personas, settings, tmp_path):
    settings.GIT_DIR = tmp_path / "git"
    default_environment("dev"), _staging(), default_environment("prod")
    seed_golden_paths()
    return ServiceOrigin.objects.create(
        name="checkout",
        component=make_component("checkout", owner=personas.team, type="service"),
        golden_path=GoldenPath.objects.get(slug="python-http"),
        team=personas.team,
        image="ghcr.io/acme/checkout",
    )


def _staging():
    from provisioning.models import Environment

    Environment.objects.get_or_create(
        name="staging", defaults={"display_name": "Staging", "order": 20}
    )


def _page(client: Client) -> str:
    return client.get("/catalog/services/default/checkout/").content.decode()


# --- the client --------------------------------------------------------------------------------


def test_it_reads_every_environment_of_a_service_in_one_call(argo, db):
    argo.put_app("checkout", "dev", revision="b" * 40)
    argo.put_app("checkout", "prod", sync="OutOfSync", health="Degraded", message="crash loop")
    argo.put_app("other", "dev")
    apps = argocd.service_applications("checkout")
    assert set(apps) == {"dev", "prod"}
    assert (apps["dev"].sync, apps["dev"].health, apps["dev"].revision) == (
        "Synced",
        "Healthy",
        "b" * 40,
    )
    assert apps["dev"].synced_at is not None
    assert apps["prod"].is_degraded and apps["prod"].why == "crash loop"
    assert argo.lines() == ["GET /api/v1/applications"]
    assert argo.calls[0].query == {"selector": ["app.kubernetes.io/name=checkout"]}


def test_a_wrong_token_names_the_setting(argo, settings):
    settings.ARGOCD_TOKEN = "wrong"
    with pytest.raises(argocd.ArgoError, match="ARGOCD_TOKEN"):
        argocd.service_applications("checkout")


def test_a_missing_application_is_a_readable_404(argo):
    with pytest.raises(argocd.ArgoError, match="no such application"):
        argocd.application("checkout-dev")


def test_an_unreachable_server_is_transient_and_names_the_setting(settings):
    settings.ARGOCD_SERVER, settings.ARGOCD_TOKEN = "http://127.0.0.1:9", "t"
    with pytest.raises(argocd.ArgoError, match="ARGOCD_SERVER is unreachable") as caught:
        argocd.application("checkout-dev")
    assert caught.value.transient


def test_without_settings_nothing_is_called(settings):
    settings.ARGOCD_SERVER = ""
    assert argocd.connection_status() == (False, argocd.NOT_CONNECTED)
    with pytest.raises(argocd.ArgoError, match="not connected"):
        argocd.application("checkout-dev")


def test_sync_posts_a_body_the_swagger_accepts(argo):
    argo.put_app("checkout", "dev")
    state = argocd.sync("checkout-dev")
    assert state.operation == "Running"
    assert argo.bodies("POST", "/api/v1/applications/checkout-dev/sync") == [
        {"name": "checkout-dev", "prune": True}
    ]


# --- the section -------------------------------------------------------------------------------


def test_the_page_says_not_connected_without_settings(owner_client, origin, settings):
    settings.ARGOCD_SERVER = ""
    html = _page(owner_client)
    assert "Argo CD not connected: set ARGOCD_SERVER and ARGOCD_TOKEN" in html
    assert "Sync now" not in html and 'id="argocd-section"' not in html


def test_the_page_shows_sync_and_health_per_environment(owner_client, origin, argo):
    argo.put_app("checkout", "dev", revision="c" * 40)
    argo.put_app("checkout", "prod", sync="OutOfSync", health="Degraded", message="crash loop")
    html = _page(owner_client)
    assert "Synced" in html and "Healthy" in html and "c" * 12 in html
    assert "OutOfSync" in html and "Degraded" in html and "crash loop" in html
    assert "Argo CD has no application checkout-staging" in html
    assert argo.lines() == ["GET /api/v1/applications"]
    # Sync now where the policy allows it: dev, not production.
    assert SYNC.format(env="dev") in html and SYNC.format(env="prod") not in html


def test_the_page_says_failing_when_argo_cd_is_down(owner_client, origin, argo):
    argo.fail("GET", "/api/v1/applications", 503, times=1)
    html = _page(owner_client)
    assert "Argo CD failing: Argo CD answered HTTP 503" in html


# --- Sync now ----------------------------------------------------------------------------------


def test_a_member_syncs_a_non_production_environment(client, personas, origin, argo):
    argo.put_app("checkout", "staging")
    client.force_login(personas.teammate)
    response = client.post(SYNC.format(env="staging"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Argo CD is syncing checkout-staging" in response.content.decode()
    assert argo.sync_calls() == ["/api/v1/applications/checkout-staging/sync"]
    assert AuditEvent.objects.filter(action="service.sync", outcome="ok").count() == 1


def test_production_is_refused_with_the_reason(client, personas, origin, argo):
    argo.put_app("checkout", "prod")
    client.force_login(personas.owner)
    response = client.post(SYNC.format(env="prod"))
    assert response.status_code == 403
    assert "production" in response.content.decode()
    assert argo.sync_calls() == []
    assert AuditEvent.objects.filter(action="service.sync", outcome="denied").count() == 1


def test_an_outsider_is_refused(client, personas, origin, argo):
    argo.put_app("checkout", "staging")
    client.force_login(personas.outsider)
    assert client.post(SYNC.format(env="staging")).status_code == 403
    assert argo.sync_calls() == []


def test_a_failed_sync_says_why_and_is_audited_as_failed(client, personas, origin, argo):
    client.force_login(personas.teammate)
    response = client.post(SYNC.format(env="staging"), headers={"HX-Request": "true"})
    assert "Sync of checkout-staging not started: Argo CD has no such application" in (
        response.content.decode()
    )
    assert AuditEvent.objects.filter(action="service.sync", outcome="failed").count() == 1


def test_sync_needs_the_csrf_token(personas, origin, argo):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.teammate)
    assert client.post(SYNC.format(env="staging")).status_code == 403
    assert argo.sync_calls() == []
