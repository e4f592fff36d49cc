"""The standard bundle, artifact by artifact: schemas, PromQL, labels, thresholds, routing."""

import dataclasses
import json
import subprocess
from decimal import Decimal

import promql_parser
import yaml

from observability import bundle
from observability.bundle import BundleSpec, OnCallRef, render
from observability.thresholds import Thresholds
from observability.validation import (
    bundle_problems,
    document_problems,
    promql_problem,
    schema_problems,
)

THRESHOLDS = Thresholds(Decimal("0.50"), 300, 2, "10m", "critical", "tier 1 override")
ON_CALL = OnCallRef("P1ABCDE", "payments-pagerduty", "routing-key")


def make_spec(**fields) -> BundleSpec:
    defaults = {
        "service": "petstore",
        "team": "payments",
        "system": "shop",
        "tier": 1,
        "environment": "prod",
        "namespace": "payments-petstore-prod",
        "thresholds": THRESHOLDS,
        "runbook_url": "https://runbooks.example.com/petstore",
        "on_call": ON_CALL,
        "trace_sampling_ratio": 0.1,
    }
    return BundleSpec(**(defaults | fields))


def docs(spec: BundleSpec | None = None) -> dict[str, dict]:
    return {name: yaml.safe_load(text) for name, text in render(spec or make_spec()).items()}


def test_every_artifact_validates_against_its_schema_and_every_promql_parses():
    assert bundle_problems(render(make_spec())) == {}
    assert bundle_problems(render(make_spec(on_call=None, runbook_url="", system=""))) == {}


def test_the_bundle_has_one_file_per_artifact_and_a_kustomize_component_listing_them():
    files = docs()
    assert set(files) == {
        "kustomization.yaml", "workload-patch.yaml", "log-pipeline.yaml", "otel-env.yaml",
        "servicemonitor.yaml", "dashboard.yaml", "prometheusrule.yaml",
        "alertmanagerconfig.yaml",
    }  # fmt: skip
    component = files["kustomization.yaml"]
    assert component["kind"] == "Component"
    assert set(component["resources"]) == set(files) - {"kustomization.yaml", "workload-patch.yaml"}
    assert component["patches"] == [
        {"path": "workload-patch.yaml", "target": {"kind": "Deployment", "name": "petstore"}}
    ]


def test_log_forwarding_labels_the_pods_and_adds_service_team_environment_fields():
    files = docs()
    pod = files["workload-patch.yaml"]["spec"]["template"]["metadata"]
    assert pod["labels"]["app.kubernetes.io/name"] == "petstore"
    assert pod["labels"]["portal.idp/team"] == "payments"
    assert pod["labels"]["portal.idp/environment"] == "prod"
    assert pod["annotations"] == {"fluentbit.io/parser": "json"}
    pipeline_map = files["log-pipeline.yaml"]
    assert pipeline_map["metadata"]["labels"]["portal.idp/log-pipeline"] == "fluent-bit"
    pipeline = yaml.safe_load(pipeline_map["data"]["petstore.yaml"])
    [modify] = pipeline["pipeline"]["filters"]
    assert modify["name"] == "modify"
    assert (
        modify["match"]
        == "kube.var.log.containers.petstore-*_payments-petstore-prod_petstore-*.log"
    )
    assert modify["add"] == ["service petstore", "team payments", "environment prod"]


def test_metrics_export_is_a_service_monitor_for_the_service_in_its_namespace():
    monitor = docs()["servicemonitor.yaml"]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["namespace"] == "payments-petstore-prod"
    assert monitor["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": "petstore"}}
    [endpoint] = monitor["spec"]["endpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")
    targets = {r["targetLabel"]: r["replacement"] for r in endpoint["relabelings"]}
    assert targets == {"team": "payments", "environment": "prod", "tier": "1"}


def test_tracing_sets_the_opentelemetry_environment_through_the_deployment():
    files = docs(make_spec(otlp_endpoint="http://collector:4318"))
    env = files["otel-env.yaml"]["data"]
    assert env["OTEL_SERVICE_NAME"] == "petstore"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://collector:4318"
    assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    assert env["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio"
    assert env["OTEL_TRACES_SAMPLER_ARG"] == "0.1"
    attributes = dict(pair.split("=") for pair in env["OTEL_RESOURCE_ATTRIBUTES"].split(","))
    assert attributes["deployment.environment.name"] == "prod"
    assert attributes["team"] == "payments"
    [container] = files["workload-patch.yaml"]["spec"]["template"]["spec"]["containers"]
    assert container["name"] == "petstore"
    # env merges by name in a strategic-merge patch: the Deployment's own variables stay.
    assert {e["name"] for e in container["env"]} == set(env)
    assert all(
        e["valueFrom"]["configMapKeyRef"] == {"name": "petstore-otel", "key": e["name"]}
        for e in container["env"]
    )


def test_the_dashboard_is_a_sidecar_config_map_with_the_standard_panels_and_threshold_lines():
    config_map = docs()["dashboard.yaml"]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config_map["data"]["petstore-prod.json"])
    assert dashboard["uid"] == "petstore-prod"
    assert "service:petstore" in dashboard["tags"]
    panels = {p["title"]: p for p in dashboard["panels"]}
    assert set(panels) == {
        "Request rate", "Error rate", "Latency", "CPU (saturation)", "Memory (saturation)",
        "Pod restarts",
    }  # fmt: skip
    assert [t["legendFormat"] for t in panels["Latency"]["targets"]] == ["p50", "p95", "p99"]

    def line(title):
        defaults = panels[title]["fieldConfig"]["defaults"]
        assert defaults["custom"]["thresholdsStyle"]["mode"] == "line"
        return defaults["thresholds"]["steps"][-1]["value"]

    assert (line("Error rate"), line("Latency"), line("Pod restarts")) == (0.5, 300, 2)
    assert dashboard["links"][0]["url"] == "https://runbooks.example.com/petstore"


def test_default_alerts_come_from_the_baselines_with_labels_and_the_runbook():
    rule = docs()["prometheusrule.yaml"]
    [group] = rule["spec"]["groups"]
    alerts = {r["alert"]: r for r in group["rules"]}
    assert set(alerts) == {"ServiceHighErrorRate", "ServiceHighLatencyP99", "ServicePodRestarts"}
    assert alerts["ServiceHighErrorRate"]["expr"].endswith("> 0.50")
    assert alerts["ServiceHighLatencyP99"]["expr"].endswith("> 300")
    assert alerts["ServicePodRestarts"]["expr"].endswith("> 2")
    for alert in alerts.values():
        assert alert["for"] == "10m"
        assert alert["labels"] == {
            "severity": "critical", "team": "payments", "service": "petstore",
            "environment": "prod", "tier": "1",
        }  # fmt: skip
        assert alert["annotations"]["runbook_url"] == "https://runbooks.example.com/petstore"


def test_without_a_runbook_link_the_alerts_say_how_to_add_one():
    rule = docs(make_spec(runbook_url=""))["prometheusrule.yaml"]
    for alert in rule["spec"]["groups"][0]["rules"]:
        assert "runbook_url" not in alert["annotations"]
        assert "add a link of kind 'runbook'" in alert["annotations"]["description"]


def test_alert_expressions_select_the_service_and_parse_as_promql():
    rule = docs()["prometheusrule.yaml"]
    for alert in rule["spec"]["groups"][0]["rules"]:
        ast = promql_parser.parse(alert["expr"])
        assert isinstance(ast, promql_parser.BinaryExpr)  # <expression> > <threshold>
        assert 'namespace="payments-petstore-prod"' in alert["expr"]


def test_critical_alerts_route_to_the_teams_pagerduty_receiver_by_secret_reference():
    route = docs()["alertmanagerconfig.yaml"]
    assert route["apiVersion"] == "monitoring.coreos.com/v1alpha1"
    matchers = {m["name"]: m["value"] for m in route["spec"]["route"]["matchers"]}
    assert matchers == {"severity": "critical", "service": "petstore"}
    [receiver] = route["spec"]["receivers"]
    assert route["spec"]["route"]["receiver"] == receiver["name"] == "payments-pagerduty"
    [pagerduty] = receiver["pagerdutyConfigs"]
    assert pagerduty["routingKey"] == {"name": "payments-pagerduty", "key": "routing-key"}


def test_a_team_without_on_call_gets_no_route_and_the_component_does_not_list_one():
    files = docs(make_spec(on_call=None))
    assert "alertmanagerconfig.yaml" not in files
    assert "alertmanagerconfig.yaml" not in files["kustomization.yaml"]["resources"]


def test_names_that_are_not_kubernetes_names_are_made_valid():
    spec = make_spec(service="Pet_Store.v2", namespace="payments-pet-store-v2-prod")
    assert spec.workload == "pet-store-v2"
    assert bundle_problems(render(spec)) == {}


def test_long_service_names_keep_grafana_uids_within_40_characters_and_distinct():
    one = make_spec(service="a-very-long-service-name-for-the-uid-check-one").dashboard_uid
    two = make_spec(service="a-very-long-service-name-for-the-uid-check-two").dashboard_uid
    assert len(one) <= 40 and len(two) <= 40 and one != two


def test_equal_specs_render_identical_files_and_a_changed_threshold_changes_the_digest():
    assert render(make_spec()) == render(make_spec())
    lower = dataclasses.replace(THRESHOLDS, latency_p99_ms=250)
    assert bundle.digest(render(make_spec())) != bundle.digest(render(make_spec(thresholds=lower)))


def test_the_blob_id_is_the_one_git_computes(tmp_path):
    text = render(make_spec())["servicemonitor.yaml"]
    computed = subprocess.run(
        ["git", "hash-object", "--stdin"], input=text, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert bundle.git_blob_sha(text) == computed


def test_validation_is_strict_about_unknown_fields_like_kubectl():
    monitor = docs()["servicemonitor.yaml"]
    monitor["spec"]["endpoints"][0]["intervall"] = "30s"
    assert document_problems(monitor) == [
        "spec.endpoints[0]: Additional properties are not allowed ('intervall' was unexpected)"
    ]


def test_validation_reports_schema_errors_with_their_path():
    rule = docs()["prometheusrule.yaml"]
    del rule["spec"]["groups"][0]["rules"][0]["expr"]
    rule["metadata"]["name"] = "Not A Name"
    problems = document_problems(rule)
    assert any(p.startswith("metadata.name: 'Not A Name' does not match") for p in problems)
    assert "spec.groups[0].rules[0]: 'expr' is a required property" in problems


def test_an_unparsable_promql_expression_is_reported():
    rule = docs()["prometheusrule.yaml"]
    rule["spec"]["groups"][0]["rules"][0]["expr"] = "sum(rate(x[5m])"
    [problem] = document_problems(rule)
    assert problem.startswith("spec.groups[0].rules[0].expr: PromQL does not parse")


def test_grafana_variables_are_replaced_before_parsing():
    assert promql_problem("sum(rate(x[$__rate_interval]))", grafana=True) == ""
    assert promql_problem("sum(rate(x[$__rate_interval]))") != ""


def test_alertmanager_config_schema_refuses_a_wrong_match_type():
    route = docs()["alertmanagerconfig.yaml"]
    route["spec"]["route"]["matchers"][0]["matchType"] = "=="
    [problem] = schema_problems("alertmanagerconfig.json", route)
    assert "spec.route.matchers[0].matchType" in problem


def test_an_object_of_a_kind_outside_the_bundle_is_refused():
    assert document_problems({"apiVersion": "v1", "kind": "Secret"}) == [
        "no schema for Secret (v1): the bundle should not contain it"
    ]
