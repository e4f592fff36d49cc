"""Grafana's HTTP API: the team folder and each environment's dashboard, created or updated
from the bundle's dashboard JSON (contract server checked against Grafana's OpenAPI extract),
the stored address linked from the service page, and coverage reading them back by search."""

import pytest

from observability import grafana_api, stack
from observability.models import GrafanaDashboard
from observability.services import bundle_spec, load_context
from provisioning.models import Environment
from tests.factories import make_component
from tests.observability.factories import make_coverage
from tests.observability.grafana_server import GrafanaServer


@pytest.fixture
def grafana(settings, monkeypatch):
    monkeypatch.setattr(grafana_api, "SLEEP_SECONDS", 0.001)
    with GrafanaServer() as server:
        settings.GRAFANA_URL, settings.GRAFANA_TOKEN = server.url, server.grafana_token
        yield server
    assert not server.problems, "\n".join(server.problems)


@pytest.fixture
def petstore(personas):
    return make_component("petstore", owner=personas.team, tier=1)


def writes(server) -> list[str]:
    return [str(c) for c in server.calls if c.method == "POST"]


def test_the_folder_and_each_environments_dashboard_are_created(grafana, petstore, environments):
    assert grafana_api.sync_dashboards(["petstore"]) == len(environments)

    assert list(grafana.folders) == ["portal-payments"]
    assert grafana.folders["portal-payments"]["title"] == "Payments"
    dev = grafana.saved["petstore-dev"]
    assert dev["folderUid"] == "portal-payments" and dev["version"] == 1
    context = load_context([petstore.pk])
    wanted = bundle_spec(petstore, Environment.objects.get(name="dev"), context)
    assert dev["dashboard"]["uid"] == wanted.dashboard_uid
    assert dev["dashboard"]["tags"] == wanted.dashboard_tags  # the ConfigMap's own JSON
    row = GrafanaDashboard.objects.get(component=petstore, environment="dev")
    assert (row.uid, row.url, row.error) == ("petstore-dev", "/d/petstore-dev/petstore-dev", "")


def test_a_second_sync_finds_the_folder_and_overwrites_the_dashboards(
    grafana, petstore, environments
):
    grafana_api.sync_dashboards(["petstore"])
    first = writes(grafana)
    grafana_api.sync_dashboards(["petstore"])

    folder_creations = [w for w in writes(grafana) if w == "POST /api/folders"]
    assert len(folder_creations) == 1  # found by uid the second time
    assert len(writes(grafana)) - len(first) == len(environments)  # dashboards only
    assert grafana.saved["petstore-dev"]["version"] == 2
    assert GrafanaDashboard.objects.filter(component=petstore).count() == len(environments)


def test_coverage_reads_the_dashboards_back_from_the_search_api(grafana, petstore, environments):
    grafana_api.sync_dashboards(["petstore"])
    report = stack.observe()
    assert report.confirms("dashboard", "petstore")
    search = [c for c in grafana.calls if c.path == "/api/search"][-1]
    assert search.query["tag"] == ["idp-portal"]


def test_the_service_page_links_the_dashboard_grafana_answered(
    grafana, petstore, environments, owner_client
):
    make_coverage(petstore)
    grafana_api.sync_dashboards(["petstore"])

    html = owner_client.get(petstore.get_absolute_url()).content.decode()

    assert f'href="{grafana.url}/d/petstore-dev/petstore-dev">Open dashboard in Grafana' in html


def test_a_refused_token_is_recorded_per_dashboard_and_names_the_setting(
    grafana, petstore, environments, settings
):
    settings.GRAFANA_TOKEN = "revoked"

    assert grafana_api.sync_dashboards(["petstore"]) == 0

    row = GrafanaDashboard.objects.get(component=petstore, environment="dev")
    assert row.error.startswith("GRAFANA_TOKEN was refused (HTTP 401)")
    assert row.url == "" and not grafana.saved


def test_a_server_error_is_retried(grafana, petstore, environments):
    grafana.fail("POST", "/api/dashboards/db", 503, times=2)

    assert grafana_api.sync_dashboards(["petstore"]) == len(environments)
    assert grafana.saved["petstore-dev"]["version"] == 1


def test_without_a_token_nothing_is_called(grafana, petstore, environments, settings):
    settings.GRAFANA_TOKEN = ""
    assert grafana_api.sync_dashboards(["petstore"]) == 0
    assert grafana.calls == []
    assert grafana_api.connection_status() == (
        False,
        "not connected: GRAFANA_URL is set, but GRAFANA_TOKEN is not",
    )


def test_test_connection_makes_one_search(grafana):
    assert grafana_api.test_connection().startswith("connected")
    assert [str(c) for c in grafana.calls] == ["GET /api/search"]


def test_a_backfill_upserts_the_dashboards_and_coverage_verifies_them(
    grafana, petstore, environments, owner_client
):
    from observability import services
    from provisioning import engine
    from provisioning.choices import RequestState
    from provisioning.models import ProvisioningRequest

    owner_client.post("/observability/services/default/petstore/backfill/")
    request = ProvisioningRequest.objects.get(type=services.BACKFILL_TYPE)

    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED

    assert set(grafana.saved) == {f"petstore-{env.name}" for env in environments}
    coverage = petstore.observability_coverage
    coverage.refresh_from_db()
    assert coverage.dashboard == "verified"  # read back from the search API in the same task


def test_the_service_page_says_why_the_last_upsert_failed(
    grafana, petstore, environments, owner_client, settings
):
    make_coverage(petstore)
    grafana_api.sync_dashboards(["petstore"])
    settings.GRAFANA_TOKEN = "revoked"
    grafana_api.sync_dashboards(["petstore"])

    html = owner_client.get(petstore.get_absolute_url()).content.decode()

    assert "Grafana: failing: GRAFANA_TOKEN was refused (HTTP 401)" in html
    assert "Open dashboard in Grafana" in html  # the one written before is still there
