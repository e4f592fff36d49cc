"""Coverage is current: when a request that writes a service's GitOps files finishes, its
coverage row is refreshed in the same task, so the API agrees with the service page at once
(the periodic refresh stays the safety net for changes made outside the portal)."""

from catalog.models import Component
from observability import hooks, services
from observability.models import ServiceCoverage
from provisioning import engine
from provisioning.choices import RequestState
from provisioning.demo import seed_golden_paths
from provisioning.golden_paths import services as golden
from provisioning.models import Environment, GoldenPath, ProvisioningRequest
from tests.factories import make_component

API = "/api/observability/coverage"
SIGNALS = ("logs", "metrics", "traces", "dashboard", "alerts")


def create(personas, name: str) -> ProvisioningRequest:
    seed_golden_paths()
    gp = GoldenPath.objects.get(slug="python-http")
    values = {s["name"]: s["default"] for s in gp.parameters}
    return golden.submit_new_service(
        personas.teammate, gp, name, personas.team, "Takes card payments", values,
        Environment.objects.get(name="staging"),
    )  # fmt: skip


def test_a_just_created_service_is_configured_in_the_api_without_waiting_for_a_refresh(
    client, personas, environments
):
    client.force_login(personas.teammate)
    request = create(personas, "checkout")
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    body = client.get(API, {"service": "checkout"}).json()
    assert body["signals"] == dict.fromkeys(SIGNALS, "configured")
    row = ServiceCoverage.objects.get(component__name="checkout")
    assert row.fully_covered and row.signals_present == 5


def test_a_backfill_refreshes_the_coverage_of_the_service_it_wrote(
    owner_client, personas, environments
):
    petstore = make_component("petstore", owner=personas.team, tier=1)
    other = make_component("other", owner=personas.team)
    services.refresh_coverage()
    assert not ServiceCoverage.objects.get(component=petstore).fully_covered
    owner_client.post("/observability/services/default/petstore/backfill/")
    request = ProvisioningRequest.objects.get(type=services.BACKFILL_TYPE)
    refreshed_before = ServiceCoverage.objects.get(component=other).refreshed_at
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    assert ServiceCoverage.objects.get(component=petstore).fully_covered
    # only what the request wrote is refreshed
    assert ServiceCoverage.objects.get(component=other).refreshed_at == refreshed_before


def test_a_request_that_writes_no_gitops_files_refreshes_nothing(personas, environments):
    make_component("petstore", owner=personas.team)
    request = create(personas, "checkout")
    assert services.services_written_by(request) == {"checkout"}
    # from the steps the engine holds, the same answer without reading them
    steps = list(request.steps.order_by("position"))
    assert services.services_written_by(request, steps) == {"checkout"}
    bucket = ProvisioningRequest.objects.create(
        requester=personas.teammate, team=personas.team, type="s3-bucket"
    )
    assert services.services_written_by(bucket) == set()
    assert services.refresh_coverage_of([]) == 0


def test_a_failing_hook_never_changes_the_requests_outcome(personas, environments, monkeypatch):
    called = []

    def broken(names):
        called.append(set(names))
        raise RuntimeError("the git host fell over")

    # the hook's own reference (patching observability.services left the hook untouched)
    monkeypatch.setattr(hooks, "refresh_coverage_of", broken)
    request = create(personas, "checkout")
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    assert called == [{"checkout"}]
    assert ProvisioningRequest.objects.get(pk=request.pk).state == RequestState.SUCCEEDED
    assert Component.objects.filter(name="checkout").exists()
