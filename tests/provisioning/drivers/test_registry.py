"""A worker thread keeps its drivers between tasks, and makes them again whenever what they
were made from changes."""

import threading

import pytest

from provisioning.drivers import registry
from provisioning.drivers.aws import AwsDriver
from provisioning.drivers.git import GitDriver


@pytest.fixture(autouse=True)
def fresh():
    registry.forget_drivers()
    yield
    registry.forget_drivers()


def test_a_thread_reuses_its_driver_and_its_clients():
    first = registry.get_driver("aws")
    assert isinstance(first, AwsDriver)
    assert registry.get_driver("aws") is first
    assert registry.get_driver("git") is not first and isinstance(
        registry.get_driver("git"), GitDriver
    )


def test_a_changed_setting_makes_a_new_driver(settings):
    first = registry.get_driver("aws")
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:1"
    second = registry.get_driver("aws")
    assert second is not first
    assert second.clients.endpoint_url == "http://127.0.0.1:1"


def test_changed_aws_credentials_in_the_environment_make_a_new_driver(monkeypatch):
    first = registry.get_driver("aws")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "another-key")
    assert registry.get_driver("aws") is not first


def test_another_driver_class_for_the_provider_is_used_at_once(monkeypatch):
    registry.get_driver("aws")
    monkeypatch.setitem(registry.DRIVER_PATHS, "aws", "provisioning.drivers.git.GitDriver")
    assert isinstance(registry.get_driver("aws"), GitDriver)


def test_an_old_driver_is_made_again(monkeypatch):
    first = registry.get_driver("vault")
    monkeypatch.setattr(registry, "DRIVER_MAX_AGE", 0.0)
    assert registry.get_driver("vault") is not first


def test_threads_never_share_a_driver():
    mine, theirs = registry.get_driver("aws"), []
    thread = threading.Thread(target=lambda: theirs.append(registry.get_driver("aws")))
    thread.start()
    thread.join()
    assert theirs[0] is not mine
    assert registry.get_driver("aws") is mine


def test_a_forked_process_makes_its_own(monkeypatch):
    first = registry.get_driver("aws")
    monkeypatch.setattr(registry.os, "getpid", lambda: -1)
    assert registry.get_driver("aws") is not first
