import pytest

from catalog.choices import TeamRole
from provisioning.drivers import registry
from provisioning.models import Environment
from tests.factories import add_member, make_component, make_user
from tests.provisioning.github_server import GitHubServer
from tests.provisioning.recording_driver import RecordingDriver

RECORDING = "tests.provisioning.recording_driver.RecordingDriver"


@pytest.fixture
def recording_driver(monkeypatch):
    """Route every provider to the in-memory driver."""
    RecordingDriver.reset()
    for provider in list(registry.DRIVER_PATHS):
        monkeypatch.setitem(registry.DRIVER_PATHS, provider, RECORDING)
    return RecordingDriver


@pytest.fixture
def member(client, personas, petstore, recording_driver):
    """A client signed in as a member of petstore's team, with every provider recorded."""
    client.force_login(personas.teammate)
    return client


@pytest.fixture
def petstore(personas):
    return make_component("petstore", owner=personas.team)


def default_environment(name: str) -> Environment:
    """The environments migration 0002 creates; transactional tests flush them, so re-create."""
    env, _ = Environment.objects.get_or_create(
        name=name,
        defaults={
            "display_name": {"dev": "Development", "staging": "Staging", "prod": "Production"}[
                name
            ],
            "requires_approval": name == "prod",
            "order": {"dev": 10, "staging": 20, "prod": 30}[name],
        },
    )
    return env


@pytest.fixture
def dev(db):
    return default_environment("dev")


@pytest.fixture
def prod(db):
    return default_environment("prod")


@pytest.fixture
def second_lead(personas):
    lead = make_user("lead2")
    add_member(personas.team, lead, TeamRole.LEAD)
    return lead


@pytest.fixture
def github(tmp_path):
    """A GitHub contract server (organisation acme, team payments); the test fails on any
    request GitHub's API description refuses."""
    with GitHubServer(tmp_path / "github") as server:
        server.teams.add("payments")
        yield server
    assert server.violations == [], "requests GitHub's API description refuses"
