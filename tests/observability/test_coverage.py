"""Coverage: missing / configured (the bundle is in GitOps) / verified (the stack confirms),
against real bare git repositories and a loopback server answering like the stack's APIs."""

import pytest

from observability import services
from observability.choices import SignalStatus
from observability.coverage import signal_statuses, summary
from observability.models import CoverageRefresh, ServiceCoverage
from observability.stack import StackReport
from provisioning.drivers.base import PlannedResource
from provisioning.drivers.git import GitDriver
from tests.factories import make_component, make_team

ALL = ("logs", "metrics", "traces", "dashboard", "alerts")


def write_bundle(component, environments, drop: str = "") -> dict[str, dict[str, str]]:
    """Commit the component's bundle for each environment; `drop` leaves one file out."""
    written = {}
    for env in environments:
        [resource] = services.bundle_resources(component, env)
        files = {k: v for k, v in resource.config["files"].items() if k != drop}
        config = resource.config | {"files": files}
        GitDriver().ensure(PlannedResource(**(resource.to_json() | {"config": config})))
        written[env.name] = files
    return written


def statuses(component) -> dict[str, str]:
    coverage = ServiceCoverage.objects.get(component=component)
    return {signal: getattr(coverage, signal) for signal in ALL}


@pytest.fixture
def petstore(db):
    return make_component("petstore", owner=make_team("payments"), tier=1)


def test_a_service_without_a_bundle_has_every_signal_missing(petstore, environments):
    services.refresh_coverage()
    assert set(statuses(petstore).values()) == {SignalStatus.MISSING}
    assert ServiceCoverage.objects.get(component=petstore).fully_covered is False


def test_a_bundle_in_every_environment_makes_every_signal_configured(petstore, environments):
    write_bundle(petstore, environments)
    refresh = services.refresh_coverage()
    assert set(statuses(petstore).values()) == {SignalStatus.CONFIGURED}
    coverage = ServiceCoverage.objects.get(component=petstore)
    assert (coverage.signals_present, coverage.fully_covered) == (5, True)
    assert set(coverage.environments) == {"dev", "staging", "prod"}
    assert refresh.sources["prometheus targets"] == "not connected: PROMETHEUS_URL is not set"
    assert refresh.sources["gitops"] == "read: 3 bundle folder(s)"


def test_a_bundle_in_only_some_environments_is_still_missing(petstore, environments):
    write_bundle(petstore, environments[:1])
    services.refresh_coverage()
    assert set(statuses(petstore).values()) == {SignalStatus.MISSING}
    details = ServiceCoverage.objects.get(component=petstore).environments
    assert [env for env, d in details.items() if d["digest"]] == ["dev"]
    assert details["prod"] == {"digest": "", "signals": []}


def test_a_missing_file_leaves_just_its_signal_missing(petstore, environments):
    write_bundle(petstore, environments, drop="prometheusrule.yaml")
    services.refresh_coverage()
    assert statuses(petstore) == {
        "logs": "configured", "metrics": "configured", "traces": "configured",
        "dashboard": "configured", "alerts": "missing",
    }  # fmt: skip


def test_the_stack_confirming_a_bundle_makes_its_signals_verified(petstore, environments, stack):
    written = write_bundle(petstore, environments)
    stack.apply_bundle(written["prod"])
    refresh = services.refresh_coverage()
    assert set(statuses(petstore).values()) == {SignalStatus.VERIFIED}
    assert refresh.sources["grafana"] == "connected: confirms 1 service(s)"
    assert stack.lines() == [
        "GET /api/v1/targets",
        "GET /api/v1/rules",
        "GET /api/search",
        "GET /loki/api/v1/label/service/values",
        "GET /api/search/tag/service.name/values",
    ]
    search = stack.calls[2]
    assert search.query == {
        "type": ["dash-db"],
        "tag": ["idp-portal"],
        "limit": ["5000"],
        "page": ["1"],
    }
    assert search.headers["authorization"] == "Bearer grafana-test-token"


def test_an_unhealthy_target_leaves_metrics_configured(petstore, environments, stack):
    write_bundle(petstore, environments)
    stack.add_target("petstore", "payments-petstore-prod", health="down")
    services.refresh_coverage()
    assert statuses(petstore)["metrics"] == SignalStatus.CONFIGURED


def test_the_stack_cannot_verify_what_is_not_configured(petstore, environments, stack):
    stack.add_target("petstore", "payments-petstore-prod")
    services.refresh_coverage()
    assert statuses(petstore)["metrics"] == SignalStatus.MISSING


def test_one_failing_source_does_not_hide_the_others(petstore, environments, stack, settings):
    written = write_bundle(petstore, environments)
    stack.apply_bundle(written["prod"])
    stack.fail("GET", "/api/v1/rules", 503, times=1)
    settings.GRAFANA_TOKEN = "wrong"
    refresh = services.refresh_coverage()
    assert statuses(petstore) == {
        "logs": "verified", "metrics": "verified", "traces": "verified",
        "dashboard": "configured", "alerts": "configured",
    }  # fmt: skip
    assert refresh.sources["prometheus rules"].startswith("error: HTTP 503")
    assert refresh.sources["grafana"].startswith("error: HTTP 401")


def test_an_unreachable_stack_is_reported_not_fatal(petstore, environments, settings):
    write_bundle(petstore, environments)
    settings.PROMETHEUS_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    refresh = services.refresh_coverage()
    assert refresh.sources["prometheus targets"].startswith("error: unreachable")
    assert statuses(petstore)["metrics"] == SignalStatus.CONFIGURED


def test_grafana_search_is_paged(petstore, environments, stack, monkeypatch):
    from observability import stack as stack_module

    monkeypatch.setattr(stack_module, "GRAFANA_PAGE", 2)
    for n in range(3):
        stack.add_dashboard(f"svc{n}-prod", f"svc{n}", ["idp-portal", f"service:svc{n}"])
    services.refresh_coverage()
    pages = [c.query["page"] for c in stack.calls if c.path == "/api/search"]
    assert pages == [["1"], ["2"]]


def test_refreshing_again_updates_the_same_rows(petstore, environments):
    services.refresh_coverage()
    write_bundle(petstore, environments)
    services.refresh_coverage()
    assert ServiceCoverage.objects.count() == 1
    assert statuses(petstore)["logs"] == SignalStatus.CONFIGURED
    assert CoverageRefresh.objects.count() == 2


def test_with_the_git_host_not_connected_coverage_is_left_as_it_was(
    petstore, environments, settings
):
    write_bundle(petstore, environments)
    services.refresh_coverage()
    settings.GIT_HOST, settings.GITHUB_ORG = "github", ""
    refresh = services.refresh_coverage()
    assert refresh.sources == {
        "gitops": "not connected: set GITHUB_ORG and GITHUB_TOKEN (or the GITHUB_APP_* settings)"
    }
    assert statuses(petstore)["logs"] == SignalStatus.CONFIGURED


def test_every_service_is_refreshed_in_batches(db, environments):
    team = make_team("search")
    for n in range(25):
        make_component(f"svc-{n:02}", owner=team)
    assert services.refresh_coverage().services == 25
    assert ServiceCoverage.objects.count() == 25


def test_the_rules_as_pure_functions():
    details = {"dev": {"signals": list(ALL)}, "prod": {"signals": ["logs", "metrics"]}}
    report = StackReport(seen={"metrics": {"petstore"}})
    result = signal_statuses("petstore", ["dev", "prod"], details, report)
    assert result == {
        "logs": "configured", "metrics": "verified", "traces": "missing",
        "dashboard": "missing", "alerts": "missing",
    }  # fmt: skip
    assert summary(result) == (2, False)
    assert signal_statuses("petstore", [], {}, report)["logs"] == "missing"
