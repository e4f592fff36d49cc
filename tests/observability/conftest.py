import subprocess

import pytest
from django.core.cache import cache

from provisioning.models import Environment
from tests.observability.stack_server import StackServer

STACK_SETTINGS = ("PROMETHEUS_URL", "GRAFANA_URL", "GRAFANA_TOKEN", "LOKI_URL", "TEMPO_URL")


@pytest.fixture(autouse=True)
def empty_cache():
    """The coverage page caches its roll-up per refresh; no test sees another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def gitops_dir(settings, tmp_path):
    """A fresh local git host per test; the stack not connected unless a test connects it."""
    settings.GIT_DIR = tmp_path / "git"
    settings.GIT_HOST = "local"
    settings.OTEL_EXPORTER_OTLP_ENDPOINT = "http://otel-collector.observability.svc:4317"
    for name in STACK_SETTINGS:
        setattr(settings, name, "")
    return settings.GIT_DIR


@pytest.fixture
def stack(settings):
    """The observability stack, connected: Prometheus, Grafana, Loki and Tempo on loopback."""
    with StackServer() as server:
        for name in ("PROMETHEUS_URL", "GRAFANA_URL", "LOKI_URL", "TEMPO_URL"):
            setattr(settings, name, server.url)
        settings.GRAFANA_TOKEN = server.grafana_token
        yield server


@pytest.fixture
def environments(db):
    return list(Environment.objects.order_by("order", "name"))


def git_log(gitops_dir) -> list[str]:
    """Commit subjects of the GitOps repository's main branch, newest first."""
    repo = gitops_dir / "gitops.git"
    if not (repo / "HEAD").exists():
        return []
    result = subprocess.run(
        ["git", f"--git-dir={repo}", "log", "--format=%s", "main"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.splitlines()
