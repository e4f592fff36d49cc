"""Connect PagerDuty: find or create the team's policy, service and Events API v2 integration
through the REST API (a contract server checked against PagerDuty's OpenAPI description), the
integration key into Vault only, the references into TeamOnCall; who is on call now."""

import logging
import ssl

import pytest
from django.urls import reverse

from observability import oncall, pagerduty
from observability.models import OnCallConnection, TeamOnCall
from observability.services import load_context
from tests.contract_server import VaultServer
from tests.contracts.tls import loopback_certificate
from tests.observability.pagerduty_server import PagerDutyServer

VAULT_TOKEN = "hvs.pd-test"


@pytest.fixture
def pd(settings, monkeypatch):
    monkeypatch.setattr(pagerduty, "SLEEP_SECONDS", 0.001)
    trusted = ssl.create_default_context(cafile=loopback_certificate()[0])
    monkeypatch.setattr(pagerduty, "TLS_VERIFY", trusted)
    with PagerDutyServer() as server:
        settings.PAGERDUTY_API_URL = server.url
        settings.PAGERDUTY_API_TOKEN = server.token
        yield server
    assert not server.problems, "\n".join(server.problems)


@pytest.fixture
def vault(settings):
    with VaultServer(VAULT_TOKEN) as server:
        settings.VAULT_ADDR, settings.VAULT_TOKEN = server.url, VAULT_TOKEN
        settings.VAULT_K8S_AUTH_ROLE, settings.VAULT_KV_MOUNT = "", "secret"
        yield server


@pytest.fixture
def paged(pd, personas):
    """The lead has a PagerDuty user with the same e-mail."""
    return pd.add_user("Olive Owner", personas.owner.email)


def run(team, user):
    """What the Connect button and the worker do, in one go."""
    oncall.request_connection(team, user)
    return oncall.run_connection(team.pk)


def integration_key(pd) -> str:
    return pd.services[0]["_integrations"][0]["full"]["integration_key"]


def test_connect_creates_policy_service_and_integration_and_stores_the_key_in_vault(
    pd, vault, paged, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        oncall.request_connection(personas.team, personas.owner)
    assert len(callbacks) == 1  # the worker's task is queued once the row is committed
    row = oncall.run_connection(personas.team.pk)

    assert row.state == OnCallConnection.State.CONNECTED, row.message
    assert [p["name"] for p in pd.policies] == ["payments (portal)"]
    assert pd.policies[0]["escalation_rules"][0]["targets"] == [
        {"id": paged["id"], "type": "user_reference"}
    ]
    assert [s["name"] for s in pd.services] == ["payments (portal)"]
    stored = vault.kv["secret/teams/payments/pagerduty"]["versions"]
    assert [v["data"] for v in stored.values()] == [{"routing-key": integration_key(pd)}]
    on_call = TeamOnCall.objects.get(team=personas.team)
    assert (on_call.pagerduty_service, on_call.escalation_policy) == (
        pd.services[0]["id"],
        pd.policies[0]["id"],
    )
    assert (on_call.routing_key_secret, on_call.vault_path) == (
        "payments-pagerduty",
        "secret/teams/payments/pagerduty",
    )


def test_a_second_run_creates_nothing(pd, vault, paged, personas):
    run(personas.team, personas.owner)
    posts = len([c for c in pd.calls if c.method == "POST"])
    versions = len(vault.kv["secret/teams/payments/pagerduty"]["versions"])

    row = run(personas.team, personas.owner)

    assert row.state == OnCallConnection.State.CONNECTED
    assert "created nothing (all found)" in row.message and "(unchanged)" in row.message
    assert len([c for c in pd.calls if c.method == "POST"]) == posts
    assert (len(pd.policies), len(pd.services)) == (1, 1)
    assert len(vault.kv["secret/teams/payments/pagerduty"]["versions"]) == versions


def test_the_key_is_never_in_the_database_a_message_or_a_log(pd, vault, paged, personas, caplog):
    caplog.set_level(logging.DEBUG)
    row = run(personas.team, personas.owner)
    key = integration_key(pd)

    assert key not in caplog.text
    assert key not in row.message
    for model in (TeamOnCall, OnCallConnection):
        for values in model.objects.values():
            assert key not in str(values)
    from idp_portal.models import AuditEvent

    assert key not in str(list(AuditEvent.objects.values()))


def test_a_refused_token_fails_naming_the_setting_and_makes_nothing(
    pd, vault, paged, personas, settings
):
    settings.PAGERDUTY_API_TOKEN = "revoked"

    row = run(personas.team, personas.owner)

    assert row.state == OnCallConnection.State.FAILED
    assert row.message.startswith("failing: PAGERDUTY_API_TOKEN was refused (HTTP 401)")
    assert not pd.policies and not pd.services and not vault.kv
    assert not TeamOnCall.objects.exists()


def test_without_vault_nothing_is_created_in_pagerduty(pd, paged, personas, settings):
    settings.VAULT_ADDR = ""

    row = run(personas.team, personas.owner)

    assert row.state == OnCallConnection.State.FAILED
    assert "VAULT_ADDR must be set" in row.message
    assert pd.calls == []  # refused before any call
    assert not TeamOnCall.objects.exists()


def test_no_member_in_pagerduty_fails_before_creating_anything(pd, vault, personas):
    row = run(personas.team, personas.owner)

    assert row.state == OnCallConnection.State.FAILED
    assert "no member of team payments has a PagerDuty user" in row.message
    assert not pd.policies and not pd.services


def test_a_rate_limit_is_retried_then_succeeds(pd, vault, paged, personas):
    pd.fail("POST", "/services", 429, times=2)

    row = run(personas.team, personas.owner)

    assert row.state == OnCallConnection.State.CONNECTED, row.message
    assert len(pd.services) == 1


def test_a_rate_limit_that_lasts_fails_clearly_and_a_retry_finishes_the_job(
    pd, vault, paged, personas
):
    pd.fail("POST", "/services", 429, times=10)
    row = run(personas.team, personas.owner)
    assert row.state == OnCallConnection.State.FAILED
    assert "rate limit was still reached after retrying" in row.message

    pd._faults.clear()
    row = run(personas.team, personas.owner)
    assert row.state == OnCallConnection.State.CONNECTED
    assert (len(pd.policies), len(pd.services)) == (1, 1)  # the policy made first is found


def test_unreachable_pagerduty_fails_naming_the_url_setting(vault, paged, personas, settings):
    settings.PAGERDUTY_API_URL = "https://127.0.0.1:9"  # nothing listens on the discard port

    row = run(personas.team, personas.owner)

    assert row.state == OnCallConnection.State.FAILED
    assert "unreachable" in row.message and "PAGERDUTY_API_URL" in row.message


def test_the_bundle_syncs_the_key_from_vault_for_the_alert_route(pd, vault, paged, personas):
    run(personas.team, personas.owner)
    on_call = load_context().on_calls[personas.team.pk]
    assert on_call.vault_key == "teams/payments/pagerduty"

    from observability.bundle import PAGERDUTY_SECRET, documents, pagerduty_secret
    from observability.validation import document_problems
    from tests.observability.test_bundle import make_spec

    spec = make_spec(team="payments", on_call=on_call)
    secret = pagerduty_secret(spec)
    assert secret["spec"]["data"] == [
        {
            "secretKey": "routing-key",
            "remoteRef": {"key": "teams/payments/pagerduty", "property": "routing-key"},
        }
    ]
    route = documents(spec)["alertmanagerconfig.yaml"]
    receiver = route["spec"]["receivers"][0]["pagerdutyConfigs"][0]
    assert receiver["routingKey"] == {"name": "payments-pagerduty", "key": "routing-key"}
    assert PAGERDUTY_SECRET in documents(spec)
    assert document_problems(secret) == []


# --- who is on call ---------------------------------------------------------------------------


def test_the_team_page_shows_who_is_on_call(pd, vault, paged, personas, client):
    run(personas.team, personas.owner)
    pd.put_on_call(pd.policies[0]["id"], paged, 1, "2026-12-07T09:00:00Z")
    client.force_login(personas.outsider)  # anyone signed in may see whom to page

    url = reverse("observability:team_on_call_now", args=["payments"])
    html = client.get(url, HTTP_HX_REQUEST="true").content.decode()

    assert "Olive Owner" in html and "2026-12-07T09:00:00Z" in html
    call = [c for c in pd.calls if c.path == "/oncalls"][-1]
    assert call.query["escalation_policy_ids[]"] == [pd.policies[0]["id"]]
    page = client.get(reverse("catalog:team_detail", args=["default", "payments"]))
    assert 'hx-get="' + url + '"' in page.content.decode()


def test_on_call_with_a_revoked_token_says_failing(pd, vault, paged, personas, client, settings):
    run(personas.team, personas.owner)
    settings.PAGERDUTY_API_TOKEN = "revoked"
    client.force_login(personas.teammate)

    url = reverse("observability:team_on_call_now", args=["payments"])
    html = client.get(url).content.decode()

    assert "failing: PAGERDUTY_API_TOKEN was refused" in html


def test_on_call_not_connected_names_the_setting(personas, client, settings):
    settings.PAGERDUTY_API_TOKEN = ""
    client.force_login(personas.teammate)
    html = client.get(reverse("catalog:team_detail", args=["default", "payments"])).content
    assert b"not connected: PAGERDUTY_API_TOKEN is not set" in html


# --- the Connect button -----------------------------------------------------------------------


def test_the_lead_sees_the_button_and_a_member_does_not(pd, personas, client):
    page = reverse("catalog:team_detail", args=["default", "payments"])
    client.force_login(personas.owner)
    assert b"Connect PagerDuty</button>" in client.get(page).content
    client.force_login(personas.teammate)
    assert b"Connect PagerDuty</button>" not in client.get(page).content


def test_the_button_queues_one_run_and_a_member_is_refused(
    pd, personas, client, django_capture_on_commit_callbacks
):
    url = reverse("observability:team_pagerduty_connect", args=["payments"])
    client.force_login(personas.teammate)
    assert client.post(url).status_code == 403

    client.force_login(personas.owner)
    with django_capture_on_commit_callbacks() as callbacks:
        assert client.post(url).status_code == 302
        client.post(url)  # a second click while queued queues nothing more
    assert len(callbacks) == 1
    assert OnCallConnection.objects.get().state == OnCallConnection.State.QUEUED
    assert client.get(url).status_code == 405


def test_a_run_lost_with_its_worker_can_be_started_again(
    pd, personas, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    oncall.request_connection(personas.team, personas.owner)
    OnCallConnection.objects.update(
        state=OnCallConnection.State.RUNNING, updated_at=timezone.now() - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks() as callbacks:
        row = oncall.request_connection(personas.team, personas.owner)
    assert row.state == OnCallConnection.State.QUEUED and len(callbacks) == 1


def test_a_target_typed_by_hand_afterwards_drops_the_vault_sync(pd, vault, paged, personas):
    run(personas.team, personas.owner)
    oncall.set_on_call(personas.team, personas.owner, "P1ABCDE", "own-secret", "routing-key")
    on_call = load_context().on_calls[personas.team.pk]
    assert (on_call.secret_name, on_call.vault_key) == ("own-secret", "")


def test_a_target_typed_by_hand_shows_who_is_on_call_through_its_service(
    pd, vault, paged, personas, client
):
    run(personas.team, personas.owner)
    service_id = pd.services[0]["id"]
    oncall.set_on_call(personas.team, personas.owner, service_id, "own-secret", "routing-key")
    pd.put_on_call(pd.policies[0]["id"], paged, 1, None)
    client.force_login(personas.teammate)

    url = reverse("observability:team_on_call_now", args=["payments"])
    html = client.get(url, HTTP_HX_REQUEST="true").content.decode()

    assert "Olive Owner" in html and "further notice" in html
    assert f"GET /services/{service_id}" in pd.lines()
