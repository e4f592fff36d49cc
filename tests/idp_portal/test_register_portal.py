"""The portal registers itself in its own catalog with its observability bundle, and so shows
fully covered (`manage.py register_portal`, also the last step of `seed_demo`)."""

import importlib
from io import StringIO

import pytest
from django.core.management import call_command
from kombu.exceptions import OperationalError

from catalog.models import Component
from observability.choices import SIGNALS, SignalStatus
from observability.models import ServiceCoverage
from provisioning.models import ProvisioningRequest
from tests.observability.conftest import git_log


@pytest.fixture(autouse=True)
def gitops_dir(settings, local_git):
    """A fresh local git host; the observability stack not connected."""
    for name in ("PROMETHEUS_URL", "GRAFANA_URL", "GRAFANA_TOKEN", "LOKI_URL", "TEMPO_URL"):
        setattr(settings, name, "")
    return local_git


def register() -> str:
    out = StringIO()
    call_command("register_portal", stdout=out)
    return out.getvalue()


def portal_coverage() -> ServiceCoverage:
    return ServiceCoverage.objects.get(component__name="idp-portal")


@pytest.mark.django_db
def test_the_portal_is_a_component_of_the_platform_team_in_its_system():
    register()
    portal = Component.objects.select_related("owner", "system").get(name="idp-portal")
    assert (portal.owner.name, portal.system.name, portal.tier) == (
        "platform", "developer-platform", 1,
    )  # fmt: skip
    assert {link.kind for link in portal.links.all()} == {"docs", "runbook", "dashboard", "chat"}


@pytest.mark.django_db
def test_the_portal_shows_all_five_signals_configured(gitops_dir):
    output = register()
    coverage = portal_coverage()
    assert coverage.fully_covered and coverage.signals_present == 5
    assert {getattr(coverage, s) for s in SIGNALS} == {SignalStatus.CONFIGURED}
    assert "coverage: fully covered" in output
    assert any("standard bundle for idp-portal" in subject for subject in git_log(gitops_dir))


@pytest.mark.django_db
def test_registering_again_writes_nothing(gitops_dir):
    register()
    commits, requests = git_log(gitops_dir), ProvisioningRequest.objects.count()
    output = register()
    assert git_log(gitops_dir) == commits
    assert ProvisioningRequest.objects.count() == requests
    assert "observability bundle: up to date" in output
    assert portal_coverage().fully_covered


@pytest.mark.django_db
def test_without_a_readable_gitops_repository_it_registers_and_says_what_is_missing(settings):
    settings.GIT_HOST = "github"
    output = register()
    assert Component.objects.filter(name="idp-portal").exists()
    assert "observability bundle not written: Cannot read the GitOps repository" in output
    assert not ProvisioningRequest.objects.exists()


def restore_migration_data() -> None:
    """Transactional tests run last and each empties the tables after itself, so the rows the
    data migrations made (environments, the default alert baseline) are gone by the second one:
    make them again, the migrations' own way."""
    from django.apps import apps

    from observability.models import AlertBaseline
    from provisioning.models import Environment

    made_by = {
        Environment: ("provisioning.migrations.0002_default_environments", "create"),
        AlertBaseline: ("observability.migrations.0002_default_alert_baseline", "create_default"),
    }
    for model, (module, function) in made_by.items():
        if not model.objects.exists():
            getattr(importlib.import_module(module), function)(apps, None)


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_refuses_the_message_does_not_stop_the_registration(monkeypatch):
    """The deploy Job may run before the broker answers: the request is applied here anyway."""
    from provisioning import tasks

    restore_migration_data()

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.apply_request, "delay", refuse)
    output = register()
    assert portal_coverage().fully_covered
    assert ProvisioningRequest.objects.get().state == "succeeded"
    assert "coverage: fully covered" in output


@pytest.mark.django_db
def test_seed_demo_shows_the_portal_fully_covered():
    call_command("seed_demo", verbosity=0, stdout=StringIO())
    coverage = portal_coverage()
    assert coverage.fully_covered
    assert coverage.component.owner.description.startswith("Runs the internal developer platform:")
