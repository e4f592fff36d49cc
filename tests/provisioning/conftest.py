import pytest

from catalog.choices import TeamRole
from provisioning.drivers import registry
from provisioning.models import Environment
from tests.factories import add_member, make_component, make_user
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
def petstore(personas):
    return make_component("petstore", owner=personas.team)


@pytest.fixture
def dev(db):
    return Environment.objects.get(name="dev")


@pytest.fixture
def prod(db):
    return Environment.objects.get(name="prod")


@pytest.fixture
def second_lead(personas):
    lead = make_user("lead2")
    add_member(personas.team, lead, TeamRole.LEAD)
    return lead
