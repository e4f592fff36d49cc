"""Golden-path fixtures: the two shipped golden paths, a temporary git host, no bundle."""

import pytest

from provisioning import extensions
from provisioning.demo import seed_golden_paths
from provisioning.models import GoldenPath


@pytest.fixture(autouse=True)
def git_dir(settings, tmp_path):
    """Bare repositories go to a fresh folder; the git host is the local one."""
    settings.GIT_DIR = tmp_path / "git"
    settings.GIT_HOST = "local"
    return settings.GIT_DIR


@pytest.fixture(autouse=True)
def no_bundle(monkeypatch):
    """Tests choose whether an observability bundle is registered."""
    monkeypatch.setattr(extensions, "_BUNDLES", {})


@pytest.fixture
def golden_paths(db):
    seed_golden_paths()
    return {gp.slug: gp for gp in GoldenPath.objects.all()}


@pytest.fixture
def python_http(golden_paths):
    return golden_paths["python-http"]


@pytest.fixture
def node_http(golden_paths):
    return golden_paths["node-http"]


@pytest.fixture
def member_client(client, personas):
    client.force_login(personas.teammate)
    return client
