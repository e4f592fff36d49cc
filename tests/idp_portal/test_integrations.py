"""The integrations page: every external system's state from settings, and a "Test connection"
button that makes one harmless read call and says connected, not connected or failing: why."""

import ssl

import pytest
from django.urls import reverse

from idp_portal import integrations
from idp_portal.models import AuditEvent
from observability import pagerduty
from tests.contract_server import VaultServer
from tests.contracts.tls import loopback_certificate
from tests.observability.grafana_server import GrafanaServer
from tests.observability.pagerduty_server import PagerDutyServer

LIST = reverse("integrations:list")


def button_url(key: str) -> str:
    return reverse("integrations:test", args=[key])


@pytest.fixture
def nothing_connected(settings):
    for name in (
        "PAGERDUTY_API_TOKEN",
        "GRAFANA_URL",
        "GRAFANA_TOKEN",
        "VAULT_ADDR",
        "ARGOCD_SERVER",
    ):
        setattr(settings, name, "")
    for name in ("PROMETHEUS_URL", "LOKI_URL", "TEMPO_URL", "KUBECONFIG"):
        setattr(settings, name, "")
    settings.KUBERNETES_IN_CLUSTER = False


def test_the_page_lists_every_integration_with_the_setting_to_fix(
    platform_client, nothing_connected
):
    html = platform_client.get(LIST).content.decode()

    for label in ("AWS", "Kubernetes", "Vault", "Git host", "Argo CD", "PagerDuty", "Grafana"):
        assert f'<th scope="row">{label}</th>' in html
    for label in ("Prometheus", "Loki", "Tempo"):
        assert f'<th scope="row">{label}</th>' in html
    assert "not connected: PAGERDUTY_API_TOKEN is not set" in html
    assert "not connected: GRAFANA_URL is not set" in html
    assert "not connected: set ARGOCD_SERVER and ARGOCD_TOKEN" in html
    assert html.count("Test connection</button>") == len(integrations.INTEGRATIONS)


def test_the_page_and_the_buttons_are_for_platform_admins_only(client, personas):
    client.force_login(personas.owner)
    assert client.get(LIST).status_code == 403
    assert client.post(button_url("pagerduty")).status_code == 403
    assert b"Integrations" not in client.get("/").content  # no link in the navigation


def test_the_navigation_links_the_page_for_admins(platform_client):
    assert f'href="{LIST}"'.encode() in platform_client.get("/").content


def test_a_not_connected_integration_is_not_called(platform_client, nothing_connected):
    response = platform_client.post(button_url("pagerduty"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="integration-pagerduty"' in html
    assert "not connected: PAGERDUTY_API_TOKEN is not set" in html
    assert AuditEvent.objects.filter(action="integrations.test", outcome="failed").exists()


def test_pagerduty_test_reads_abilities(platform_client, settings, monkeypatch):
    trusted = ssl.create_default_context(cafile=loopback_certificate()[0])
    monkeypatch.setattr(pagerduty, "TLS_VERIFY", trusted)
    with PagerDutyServer() as pd:
        settings.PAGERDUTY_API_URL, settings.PAGERDUTY_API_TOKEN = pd.url, pd.token
        html = platform_client.post(button_url("pagerduty"), HTTP_HX_REQUEST="true").content
        assert b"connected: the account has 3 abilities" in html
        assert pd.lines() == ["GET /abilities"]

        settings.PAGERDUTY_API_TOKEN = "expired"
        html = platform_client.post(button_url("pagerduty"), HTTP_HX_REQUEST="true").content
        assert b"failing: PAGERDUTY_API_TOKEN was refused (HTTP 401)" in html
    assert not pd.problems


def test_grafana_test_says_failing_with_a_revoked_token(platform_client, settings):
    with GrafanaServer() as grafana:
        settings.GRAFANA_URL, settings.GRAFANA_TOKEN = grafana.url, "revoked"
        html = platform_client.post(button_url("grafana"), HTTP_HX_REQUEST="true").content
    assert b"failing: GRAFANA_TOKEN was refused (HTTP 401)" in html


def test_vault_test_looks_up_its_own_token(platform_client, settings):
    with VaultServer("hvs.good") as vault:
        settings.VAULT_ADDR, settings.VAULT_TOKEN = vault.url, "hvs.good"
        settings.VAULT_K8S_AUTH_ROLE = ""
        ok = integrations.get("vault").run_test()
        settings.VAULT_TOKEN = "hvs.revoked"
        refused = integrations.get("vault").run_test()
    assert ok[0] and ok[1].startswith("connected"), ok
    assert refused == (
        False,
        "failing: Vault refused the token (HTTP 403): it is expired or revoked: set a new "
        "VAULT_TOKEN (or check VAULT_K8S_AUTH_ROLE)",
    )


def test_an_unreachable_prometheus_names_the_setting(settings):
    settings.PROMETHEUS_URL = "http://127.0.0.1:9"
    ok, text = integrations.get("prometheus").run_test()
    assert not ok and text.startswith("failing: unreachable") and "PROMETHEUS_URL" in text


def test_argo_cd_says_its_version_when_connected(settings):
    from tests.provisioning.argocd_server import ArgoCDServer

    with ArgoCDServer() as server:
        settings.ARGOCD_SERVER, settings.ARGOCD_TOKEN = server.url, server.token
        ok, text = integrations.get("argocd").run_test()
        settings.ARGOCD_TOKEN = "wrong"
        refused = integrations.get("argocd").run_test()
    assert (ok, text) == (True, f"connected: Argo CD v3.6.0+37ee009 at {server.url}")
    assert refused[0] is False and "ARGOCD_TOKEN" in refused[1]
    assert not server.violations


def test_without_htmx_the_button_redirects_with_a_message(platform_client, nothing_connected):
    response = platform_client.post(button_url("loki"), follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert b"Loki: not connected: LOKI_URL is not set" in response.content


def test_an_unknown_integration_is_404_and_get_is_405(platform_client):
    assert platform_client.post(button_url("nagios")).status_code == 404
    assert platform_client.get(button_url("vault")).status_code == 405


def test_a_status_that_raises_is_failing_not_a_500(monkeypatch):
    entry = integrations.Integration("x", "X", ("X_URL",), "no.such.module.status", "no.such.t")
    ok, text = entry.run_test()
    assert not ok and text.startswith("failing:")


def test_the_stack_tests_read_build_information(settings):
    from tests.observability.stack_server import StackServer

    with StackServer() as stack:
        for name in ("PROMETHEUS_URL", "LOKI_URL", "TEMPO_URL"):
            setattr(settings, name, stack.url)
        results = [integrations.get(key).run_test() for key in ("prometheus", "loki", "tempo")]
    assert results == [
        (True, "connected: Prometheus 2.53.0"),
        (True, "connected: Loki 3.1.0"),
        (True, "connected: Tempo 2.5.0"),
    ]
    assert stack.lines() == [
        "GET /api/v1/status/buildinfo",
        "GET /loki/api/v1/status/buildinfo",
        "GET /api/status/buildinfo",
    ]


def test_aws_test_asks_who_the_credentials_are(aws):
    ok, text = integrations.get("aws").run_test()
    assert ok and text == "connected: account 123456789012"  # moto's default account


def test_kubernetes_test_reads_the_version(settings, tmp_path):
    from tests.contract_server import KubernetesApiServer, write_kubeconfig

    with KubernetesApiServer() as cluster:
        config = write_kubeconfig(tmp_path / "kubeconfig", cluster.url, cluster.token, ("test",))
        settings.KUBECONFIG, settings.KUBERNETES_IN_CLUSTER = str(config), False
        ok = integrations.get("kubernetes").run_test()
        cluster.token = "rotated"  # the portal's token no longer works
        refused = integrations.get("kubernetes").run_test()
    assert ok == (True, "connected: Kubernetes v1.31.2")
    assert not refused[0] and "(HTTP 401)" in refused[1] and "KUBECONFIG" in refused[1]


def test_the_git_host_test_reads_through_the_host(settings, tmp_path):
    settings.GIT_HOST, settings.GIT_DIR = "local", tmp_path / "git"
    ok, text = integrations.get("git_host").run_test()
    assert ok and text.startswith("connected:") and "is not created yet" in text
