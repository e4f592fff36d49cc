"""The plan of a new service: files, manifests, steps in order, and honest notes."""

import pytest
import yaml

from provisioning.drivers.base import PlannedResource
from provisioning.golden_paths.planning import plan_service
from provisioning.planning import PlanError
from tests.provisioning.golden.helpers import make_service, make_spec

NOT_CONNECTED = {"kubernetes": "not connected: KUBECONFIG is not set", "vault": "not connected"}


def titles(plan):
    return [(s.resource.provider, s.resource.kind, s.resource.name) for s in plan.steps]


def test_git_and_catalog_come_first_then_the_first_deployment():
    plan = plan_service(make_service(not_connected=NOT_CONNECTED))
    assert titles(plan) == [
        ("git", "repository", "checkout"),
        ("git", "gitops-files", "gitops:apps/checkout/base"),
        ("git", "gitops-files", "gitops:apps/checkout/overlays/dev"),
        ("git", "gitops-files", "gitops:apps/checkout/overlays/prod"),
        ("git", "gitops-files", "gitops:argocd/checkout"),
        ("portal", "catalog-component", "checkout"),
        ("portal", "deployment", "checkout/staging"),
    ]


def test_unconnected_systems_are_a_note_not_a_step_that_would_fail():
    notes = " ".join(plan_service(make_service(not_connected=NOT_CONNECTED)).notes)
    assert "payments-checkout-dev, payments-checkout-staging, payments-checkout-prod" in notes
    assert "will be created when the platform team connects Kubernetes" in notes
    assert "secret/payments/checkout/prod" in notes


def test_connected_systems_get_a_namespace_and_secrets_path_per_environment():
    plan = plan_service(make_service())
    kinds = [(r[0], r[2]) for r in titles(plan) if r[0] in {"kubernetes", "vault"}]
    assert ("kubernetes", "payments-checkout-prod") in kinds
    assert ("vault", "secret/payments/checkout/staging") in kinds
    assert len(kinds) == 6


def test_without_a_bundle_the_plan_says_observability_is_not_configured():
    plan = plan_service(make_service())
    assert any(n.startswith("Observability bundle: not configured") for n in plan.notes)
    assert not any("Observability" in s.title for s in plan.steps)


def test_a_registered_bundle_adds_its_steps_after_the_base_before_the_first_deployment():
    dashboard = PlannedResource("grafana", "dashboard", "checkout-overview")
    plan = plan_service(make_service(bundle=(dashboard,)))
    assert plan.steps[2].resource == dashboard
    assert plan.steps[1].resource.name == "gitops:apps/checkout/base"
    assert not any("not configured" in n for n in plan.notes)


def test_the_repository_has_the_skeleton_pipeline_and_catalog_info():
    plan = plan_service(make_service())
    assert plan.repository_files["README.md"] == "# checkout\n"
    assert "echo checkout" in plan.repository_files[".github/workflows/ci.yaml"]
    entry = yaml.safe_load(plan.repository_files["catalog-info.yaml"])
    assert entry["spec"] == {
        "type": "service",
        "lifecycle": "experimental",
        "owner": "group:default/payments",
    }
    assert entry["metadata"]["annotations"]["portal.internal/golden-path"] == "tiny@1"


def test_environment_defaults_reach_the_overlay_patches():
    plan = plan_service(make_service())
    prod = plan.gitops_files["apps/checkout/overlays/prod/kustomization.yaml"]
    staging = plan.gitops_files["apps/checkout/overlays/staging/kustomization.yaml"]
    assert "../../base" not in prod  # nothing runs in prod until it is promoted there
    assert "namespace: payments-checkout-staging" in staging and "../../base" in staging


def test_a_broken_template_is_the_platforms_fault_with_file_and_line():
    with pytest.raises(PlanError) as caught:
        plan_service(make_service(make_spec(files={"app.py": "x\n{{ oops }}\n"})))
    (message,) = caught.value.errors["golden_path"]
    assert "app.py, line 2: 'oops' is undefined" in message and "tell the platform team" in message


def test_a_manifest_the_schema_rejects_stops_the_plan():
    spec = make_spec(deployment_defaults={"default": {"replicas": "two"}})
    with pytest.raises(PlanError) as caught:
        plan_service(make_service(spec))
    assert "replicas must be a whole number" in " ".join(caught.value.errors["golden_path"])


def test_an_unknown_deploy_environment_is_refused():
    with pytest.raises(PlanError) as caught:
        plan_service(make_service(deploy_to="qa"))
    assert caught.value.errors == {"environment": ["use one of: dev, staging, prod"]}
