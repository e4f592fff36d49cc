"""Backfill: a provisioning request that writes the bundle for existing services, one step per
service and environment, never writing a bundle twice."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.choices import LinkKind
from observability import services
from observability.choices import BaselineScope
from observability.models import ServiceCoverage
from provisioning import engine
from provisioning.choices import RequestState
from provisioning.extensions import bundles
from provisioning.git_host.plumbing import read_files
from provisioning.models import Environment, ProvisioningRequest
from tests.factories import add_link, make_component, make_team
from tests.observability.conftest import git_log
from tests.observability.factories import make_baseline


def backfill_url(component) -> str:
    return reverse("observability:backfill_service", args=[component.namespace, component.name])


@pytest.fixture
def petstore(personas):
    component = make_component("petstore", owner=personas.team, tier=1)
    add_link(component, "https://runbooks.example.com/petstore", kind=LinkKind.RUNBOOK)
    return component


def backfills():
    return ProvisioningRequest.objects.filter(type=services.BACKFILL_TYPE)


def test_an_owner_backfills_one_service_as_a_request_with_a_step_per_environment(
    owner_client, petstore, environments
):
    response = owner_client.post(backfill_url(petstore))
    [request] = backfills()
    assert response.status_code == 302
    assert response.url == reverse("provisioning:request_detail", args=[request.pk])
    assert (request.team, request.component, request.state) == (
        petstore.owner, petstore, RequestState.QUEUED,
    )  # fmt: skip
    assert [s.name for s in request.steps.order_by("position")] == [
        f"ensure gitops-files gitops:apps/petstore/{env.name}/observability" for env in environments
    ]


def test_applying_the_backfill_writes_the_bundles_and_coverage_follows(
    owner_client, petstore, environments, gitops_dir
):
    owner_client.post(backfill_url(petstore))
    request = backfills().get()
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    files = read_files(gitops_dir / "gitops.git", "main", "apps/petstore/prod/observability")
    assert "servicemonitor.yaml" in files and "alertmanagerconfig.yaml" not in files
    assert "https://runbooks.example.com/petstore" in files["prometheusrule.yaml"]
    services.refresh_coverage()
    assert ServiceCoverage.objects.get(component=petstore).fully_covered


def test_running_the_backfill_again_writes_nothing(
    owner_client, petstore, environments, gitops_dir
):
    owner_client.post(backfill_url(petstore))
    engine.apply(backfills().get().pk, "w1")
    commits = git_log(gitops_dir)
    response = owner_client.post(backfill_url(petstore), follow=True)
    assert backfills().count() == 1
    assert git_log(gitops_dir) == commits
    assert "Nothing to write: 3 bundle(s) are already up to date" in response.content.decode()


def test_a_second_backfill_before_the_first_ran_does_not_repeat_its_bundles(
    owner_client, petstore, environments
):
    owner_client.post(backfill_url(petstore))
    response = owner_client.post(backfill_url(petstore), follow=True)
    assert backfills().count() == 1
    assert "3 are being written by an earlier request" in response.content.decode()


def test_a_changed_baseline_is_written_by_the_next_backfill(
    owner_client, petstore, environments, gitops_dir
):
    owner_client.post(backfill_url(petstore))
    engine.apply(backfills().get().pk, "w1")
    make_baseline(BaselineScope.TIER_1, error_rate_percent=Decimal("0.25"))
    owner_client.post(backfill_url(petstore))
    latest = backfills().first()
    assert latest.steps.count() == 3
    engine.apply(latest.pk, "w1")
    rules = read_files(gitops_dir / "gitops.git", "main", "apps/petstore/dev/observability")
    assert "> 0.25" in rules["prometheusrule.yaml"]


def test_a_teammate_may_backfill_their_teams_service(client, personas, petstore, environments):
    client.force_login(personas.teammate)
    assert client.post(backfill_url(petstore)).status_code == 302
    assert backfills().count() == 1


def test_an_outsider_may_not_backfill_another_teams_service(outsider_client, petstore):
    response = outsider_client.post(backfill_url(petstore))
    assert response.status_code == 403
    assert "only its members or a platform admin" in response.content.decode()
    assert not backfills().exists()


def test_backfill_needs_post(owner_client, petstore):
    assert owner_client.get(backfill_url(petstore)).status_code == 405


def test_an_unknown_service_is_404(owner_client, db):
    url = reverse("observability:backfill_service", args=["default", "nope"])
    assert owner_client.post(url).status_code == 404


def test_the_request_is_sent_to_a_worker_only_once_committed(
    owner_client, petstore, environments, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        owner_client.post(backfill_url(petstore))
    assert len(callbacks) == 1


def make_fleet(count: int, team=None) -> list:
    team = team or make_team("fleet")
    return [make_component(f"svc-{n:03}", owner=team, tier=1 + n % 4) for n in range(count)]


def test_a_filter_backfill_is_one_platform_wide_request_with_per_service_steps(
    platform_client, environments, gitops_dir
):
    make_fleet(6)
    make_component("elsewhere", owner=make_team("other"))
    response = platform_client.post(reverse("observability:backfill"), {"team": "fleet"})
    [request] = backfills()
    assert response.url == request.get_absolute_url()
    assert request.team is None  # platform-wide: admins see it
    assert request.steps.count() == 6 * len(environments)
    assert not request.steps.filter(name__contains="elsewhere").exists()
    # Tier 1 first, so the most critical gaps close first.
    first = request.steps.order_by("position").first()
    assert "apps/svc-000/" in first.name
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    assert len(git_log(gitops_dir)) == 6 * len(environments)

    platform_client.post(reverse("observability:backfill"), {"team": "fleet"})
    assert backfills().count() == 1
    assert len(git_log(gitops_dir)) == 6 * len(environments)


def test_a_filter_backfill_stops_at_the_size_limit_and_says_what_is_left(
    platform_client, environments, monkeypatch
):
    monkeypatch.setattr(services, "MAX_BACKFILL_SERVICES", 2)
    make_fleet(5)
    response = platform_client.post(
        reverse("observability:backfill"), {"team": "fleet"}, follow=True
    )
    assert backfills().get().steps.count() == 2 * len(environments)
    assert "3 more service(s) remain" in response.content.decode()


def test_services_without_an_owner_are_left_out_with_a_warning(platform_client, environments):
    make_component("orphan")
    make_fleet(1)
    response = platform_client.post(reverse("observability:backfill"), {}, follow=True)
    assert "have no owner team in the catalog and were left out (e.g. orphan)" in (
        response.content.decode()
    )
    assert not backfills().get().steps.filter(name__contains="orphan").exists()


def test_only_platform_admins_backfill_a_filter(owner_client, petstore):
    response = owner_client.post(reverse("observability:backfill"), {"team": "payments"})
    assert response.status_code == 403
    assert not backfills().exists()


def test_no_environments_means_nothing_is_planned(platform_client, db):
    make_fleet(1)
    Environment.objects.all().delete()
    response = platform_client.post(reverse("observability:backfill"), {}, follow=True)
    assert "No environments exist" in response.content.decode()
    assert not backfills().exists()


def test_the_bundle_generator_is_registered_for_golden_paths(petstore, environments):
    generate = bundles()["observability"]
    [resource] = generate(petstore, environments[0])
    assert (resource.provider, resource.kind) == ("git", "gitops-files")
    assert resource.name == "gitops:apps/petstore/dev/observability"
    assert resource.config["prune"] is True
    assert resource.tags["team"] == "payments"


def test_the_filter_backfill_needs_post(platform_client):
    assert platform_client.get(reverse("observability:backfill")).status_code == 405
