"""The observability section of a catalog service page."""

import pytest

from catalog.choices import LinkKind
from tests.factories import add_link, make_component
from tests.observability.factories import make_coverage, make_on_call


@pytest.fixture
def petstore(personas):
    return make_component("petstore", owner=personas.team, tier=1)


def page(client, component) -> str:
    response = client.get(component.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_the_section_shows_the_five_signals_and_thresholds(owner_client, petstore):
    make_coverage(petstore, default="configured", metrics="verified")
    html = page(owner_client, petstore)
    assert "Observability" in html
    assert 'title="metrics: verified"' in html and 'title="alerts: configured"' in html
    assert "Error rate above <strong>1.00%</strong>" in html
    assert "p99 latency above <strong>500 ms</strong>" in html
    assert "From the default baseline" in html


def test_without_grafana_the_links_are_gitops_paths(owner_client, petstore):
    make_coverage(petstore)
    html = page(owner_client, petstore)
    assert "gitops.git: apps/petstore/prod/observability/dashboard.yaml" in html
    assert "gitops.git: apps/petstore/prod/observability/prometheusrule.yaml" in html
    assert "(verification not connected)" not in html  # nothing configured yet


def test_with_grafana_and_prometheus_the_links_go_there(owner_client, petstore, settings):
    settings.GRAFANA_URL = "https://grafana.example.com/"
    settings.PROMETHEUS_URL = "https://prometheus.example.com"
    make_coverage(petstore)
    html = page(owner_client, petstore)
    assert 'href="https://grafana.example.com/d/petstore-prod"' in html
    assert 'href="https://prometheus.example.com/alerts?search=petstore"' in html


def test_a_configured_signal_says_when_its_verification_is_not_connected(owner_client, petstore):
    make_coverage(petstore, default="configured")
    assert "(verification not connected)" in page(owner_client, petstore)


def test_owners_get_a_backfill_button(owner_client, petstore):
    assert "Backfill the observability bundle" in page(owner_client, petstore)


def test_outsiders_get_no_backfill_button(outsider_client, petstore):
    assert "Backfill the observability bundle" not in page(outsider_client, petstore)


def test_a_fully_covered_service_needs_no_backfill_button(owner_client, petstore):
    make_coverage(petstore, default="verified")
    assert "Backfill the observability bundle" not in page(owner_client, petstore)


def test_the_on_call_target_or_its_gap_is_shown(owner_client, petstore, personas):
    assert "has no on-call target" in page(owner_client, petstore)
    make_on_call(personas.team, "P7XYZAB")
    assert "PagerDuty service <code>P7XYZAB</code>" in page(owner_client, petstore)


def test_only_who_may_set_the_on_call_target_gets_the_link(client, petstore, personas):
    on_call_url = f"/observability/teams/{personas.team.name}/on-call/"
    client.force_login(personas.owner)
    assert on_call_url in page(client, petstore)
    for reader in (personas.teammate, personas.outsider):
        client.force_login(reader)
        html = page(client, petstore)
        assert on_call_url not in html and "A lead of team" in html


def test_a_service_never_refreshed_says_so_and_has_no_links_yet(owner_client, petstore, settings):
    settings.GIT_HOST = "github"  # the GitOps repository cannot be read live either
    html = page(owner_client, petstore)
    assert "Not checked yet" in html
    assert "gitops.git: apps/petstore" not in html


def test_a_service_never_refreshed_is_read_live_from_the_gitops_repository(
    owner_client, petstore, gitops_dir
):
    html = page(owner_client, petstore)
    assert "Read from the GitOps repository just now" in html
    assert "gitops.git: apps/petstore" not in html  # no bundle yet: no links, all missing
    assert html.count("missing") >= 5


def test_the_section_adds_two_queries_to_the_service_page(owner_client, petstore):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.sections import register_service_section, unregister_service_section
    from observability.sections import observability_section

    make_coverage(petstore)
    with CaptureQueriesContext(connection) as with_section:
        page(owner_client, petstore)
    unregister_service_section("observability")
    try:
        with CaptureQueriesContext(connection) as without:
            page(owner_client, petstore)
    finally:
        register_service_section(
            "observability", "Observability", "observability/sections/service.html",
            context=observability_section, order=40,
        )  # fmt: skip
    assert len(with_section) - len(without) == 2


def test_a_missing_runbook_is_pointed_out(owner_client, petstore):
    assert "No runbook link" in page(owner_client, petstore)
    add_link(petstore, "https://runbooks.example.com/petstore", kind=LinkKind.RUNBOOK)
    assert "No runbook link" not in page(owner_client, petstore)


def test_a_bundle_just_written_shows_configured_before_any_periodic_refresh(
    owner_client, petstore, gitops_dir, personas
):
    from observability import services
    from observability.models import ServiceCoverage
    from provisioning import engine

    request, _ = services.submit_backfill(personas.owner, [petstore], petstore.owner, petstore)
    engine.apply(request.pk, "w1")
    # The request's own task refreshed the row: the page and the coverage list agree.
    assert ServiceCoverage.objects.get(component=petstore).fully_covered

    html = page(owner_client, petstore)

    for signal in ("logs", "metrics", "traces", "dashboard", "alerts"):
        assert f'title="{signal}: configured"' in html
    assert "gitops.git: apps/petstore/prod/observability/dashboard.yaml" in html
    assert "Backfill the observability bundle" not in html  # nothing left to backfill
