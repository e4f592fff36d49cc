"""The external systems the portal talks to, for the admin integrations page: one registry.

An entry names its key, label, the settings that configure it, and two callables by dotted
path (so an app's module plugs in by adding a line here, and this module imports none of them
until the page asks):
- `status() -> (connected, text)`: from settings only, no network call;
- `test() -> text`: one harmless read call; raises any exception whose message says what
  failed and which setting to fix.
The page shows "connected / not connected (set X) / failing: why"; a failing test never shows
as connected, and an entry whose status says not connected is never called.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Integration:
    key: str
    label: str
    settings: tuple[str, ...]
    status: str  # dotted path of status() -> (connected, text)
    test: str  # dotted path of test() -> text

    def status_now(self) -> tuple[bool, str]:
        try:
            return _call(self.status)
        except Exception as exc:  # a broken status is a failing integration, not a 500
            logger.warning("integration %s: status failed: %s", self.key, exc)
            return False, f"failing: {exc}"

    def run_test(self) -> tuple[bool, str]:
        """(ok, text): connected with what the read returned, or failing with why."""
        connected, text = self.status_now()
        if not connected:
            return False, text
        try:
            return True, _call(self.test)
        except Exception as exc:  # whatever the client raised, shown to the admin, never a 500
            logger.warning("integration %s: test failed: %s", self.key, exc)
            message = str(exc) or exc.__class__.__name__
            return False, message if message.startswith("failing") else f"failing: {message}"


def _call(path: str):
    function: Callable = import_string(path)
    return function()


P = "idp_portal.integration_checks."
INTEGRATIONS: tuple[Integration, ...] = (
    Integration(
        "aws", "AWS", ("AWS_ACCESS_KEY_ID", "AWS_ENDPOINT_URL"), P + "aws_status", P + "aws_test"
    ),
    Integration(
        "kubernetes",
        "Kubernetes",
        ("KUBECONFIG", "KUBERNETES_IN_CLUSTER"),
        P + "kubernetes_status",
        P + "kubernetes_test",
    ),
    Integration(
        "vault",
        "Vault",
        ("VAULT_ADDR", "VAULT_TOKEN", "VAULT_K8S_AUTH_ROLE"),
        P + "vault_status",
        P + "vault_test",
    ),
    # provisioning.git_host.get_host(): local bare repositories, or GitHub (GIT_HOST=github)
    Integration(
        "git_host",
        "Git host",
        ("GIT_HOST", "GITHUB_ORG", "GITHUB_TOKEN", "GITHUB_APP_ID", "GITHUB_API_URL"),
        P + "git_status",
        P + "git_test",
    ),
    Integration(
        "argocd",
        "Argo CD",
        ("ARGOCD_SERVER", "ARGOCD_TOKEN"),
        "provisioning.argocd.connection_status",
        "provisioning.argocd.version",
    ),
    Integration(
        "pagerduty",
        "PagerDuty",
        ("PAGERDUTY_API_TOKEN", "PAGERDUTY_API_URL"),
        "observability.pagerduty.connection_status",
        "observability.pagerduty.test_connection",
    ),
    Integration(
        "grafana",
        "Grafana",
        ("GRAFANA_URL", "GRAFANA_TOKEN"),
        "observability.grafana_api.connection_status",
        "observability.grafana_api.test_connection",
    ),
    Integration(
        "prometheus",
        "Prometheus",
        ("PROMETHEUS_URL",),
        P + "prometheus_status",
        P + "prometheus_test",
    ),
    Integration("loki", "Loki", ("LOKI_URL",), P + "loki_status", P + "loki_test"),
    Integration("tempo", "Tempo", ("TEMPO_URL",), P + "tempo_status", P + "tempo_test"),
)


def get(key: str) -> Integration | None:
    return next((i for i in INTEGRATIONS if i.key == key), None)


def rows() -> list[dict]:
    """Each integration with its status from settings (no network calls)."""
    found = []
    for integration in INTEGRATIONS:
        connected, text = integration.status_now()
        found.append({"integration": integration, "connected": connected, "status": text})
    return found


def configured(name: str) -> str:
    return str(getattr(settings, name, "") or "")
