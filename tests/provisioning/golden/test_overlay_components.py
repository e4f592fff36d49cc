"""The observability bundle is a kustomize Component every overlay lists, and what is validated
is the overlay built with the Component's patch applied, as `kustomize build` would."""

import pytest
import yaml

from observability import validation as bundle_validation
from observability.services import bundle_resources
from provisioning import extensions
from provisioning.drivers.base import PlannedResource
from provisioning.golden_paths import kustomize, manifests, validation
from provisioning.golden_paths.planning import bundle_components, plan_service, workload
from provisioning.golden_paths.services import new_service
from provisioning.models import Environment
from provisioning.planning import PlanError
from tests.provisioning.golden.helpers import ENVIRONMENTS, make_service

ENVS = ("dev", "staging", "prod")


@pytest.fixture
def svc(python_http, personas):
    """A new python-http service planned with the real observability bundle registered."""
    extensions.register_bundle("observability", bundle_resources)
    values = {s["name"]: s["default"] for s in python_http.parameters}
    staging = Environment.objects.get(name="staging")
    return new_service(python_http, "checkout", personas.team, "Takes payments", values, staging)


def overlay(plan, env: str) -> dict:
    return yaml.safe_load(plan.gitops_files[f"apps/checkout/overlays/{env}/kustomization.yaml"])


def test_every_overlay_lists_the_bundle_component_next_to_it(svc):
    plan = plan_service(svc)
    for env in ENVS:
        assert overlay(plan, env)["components"] == [f"../../{env}/observability"]
        component = yaml.safe_load(
            plan.gitops_files[f"apps/checkout/{env}/observability/kustomization.yaml"]
        )
        assert (component["apiVersion"], component["kind"]) == (
            "kustomize.config.k8s.io/v1alpha1", "Component",
        )  # fmt: skip


def test_the_bundle_is_written_before_the_overlays_and_the_first_deployment(svc):
    steps = [s.resource for s in plan_service(svc).steps]
    names = [r.name for r in steps]
    bundles = [names.index(f"gitops:apps/checkout/{env}/observability") for env in ENVS]
    first_overlay = names.index("gitops:apps/checkout/overlays/dev")
    deploy = names.index("checkout/staging")
    assert max(bundles) < first_overlay < deploy
    assert steps[deploy].config["components"] == ["../../staging/observability"]
    # The golden path's plan writes the overlays itself: its bundle steps patch nothing.
    assert all("list_in_kustomization" not in steps[i].config for i in bundles)


def test_without_a_bundle_the_overlays_list_no_component_and_the_note_stays():
    plan = plan_service(make_service())
    for env in ENVS:
        assert "components" not in overlay(plan, env)
    assert not any("observability" in path for path in plan.gitops_files)
    assert any(n.startswith("Observability bundle: not configured") for n in plan.notes)
    deploy = next(s.resource for s in plan.steps if s.resource.kind == "deployment")
    assert deploy.config["components"] == []


def test_the_built_deployment_carries_the_bundles_labels_annotation_and_otel_env(svc):
    w, staging = workload(svc), svc.environments[1]
    components = bundle_components(svc, "staging")
    objects = manifests.effective_objects(w, staging, "3f9c2e1", components)
    [deployment] = [o for o in objects if o["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]
    assert pod["metadata"]["labels"]["portal.idp/environment"] == "staging"
    assert pod["metadata"]["labels"]["app.kubernetes.io/name"] == "checkout"
    assert pod["metadata"]["annotations"]["fluentbit.io/parser"] == "json"
    assert pod["metadata"]["annotations"]["prometheus.io/scrape"] == "true"  # the base's kept
    [container] = pod["spec"]["containers"]  # merged by name: no second container
    assert container["image"] == f"{w.image}:3f9c2e1"
    env = {e["name"]: e for e in container["env"]}
    assert env["PORT"] == {"name": "PORT", "value": "8080"}
    assert env["OTEL_SERVICE_NAME"]["valueFrom"]["configMapKeyRef"] == {
        "name": "checkout-otel", "key": "OTEL_SERVICE_NAME",
    }  # fmt: skip
    # The base set it literally; the bundle's patch empties that, so only valueFrom counts.
    assert env["OTEL_SERVICE_NAME"]["value"] == ""
    assert "OTEL_PROPAGATORS" in env
    # kustomize applies the Component before the overlay's own patches.
    assert container["env"][-1] == {"name": "DEPLOY_ENVIRONMENT", "value": "staging"}
    config_maps = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap"}
    assert (
        config_maps["checkout-otel"]["metadata"]["namespace"] == deployment["metadata"]["namespace"]
    )


def test_every_object_of_every_built_overlay_validates(svc):
    w, checked = workload(svc), set()
    for env in svc.environments:
        components = bundle_components(svc, env.name)
        for obj in manifests.effective_objects(w, env, "3f9c2e1", components):
            checked.add(obj["kind"])
            if validation.has_schema(obj):
                assert validation.kubernetes_problems(obj) == [], obj["kind"]
            else:
                assert bundle_validation.document_problems(obj) == [], obj["kind"]
    assert {"Deployment", "ConfigMap", "ServiceMonitor", "PrometheusRule"} <= checked


def test_strategic_merge_merges_containers_and_env_by_name_and_null_deletes():
    target = {
        "metadata": {"labels": {"a": "1"}, "annotations": {"x": "1"}},
        "spec": {
            "containers": [{"name": "app", "image": "i", "env": [{"name": "A", "value": "1"}]}],
            "tolerations": [{"key": "old"}],
        },
    }
    patch = {
        "metadata": {"labels": {"b": "2"}, "annotations": None},
        "spec": {
            "containers": [
                {"name": "app", "env": [{"name": "A", "value": "2"}, {"name": "B", "value": "3"}]},
                {"name": "sidecar", "image": "s", "args": None},
            ],
            "tolerations": [{"key": "new"}],
        },
    }
    kustomize.strategic_merge(target, patch)
    assert target["metadata"] == {"labels": {"a": "1", "b": "2"}}
    app, sidecar = target["spec"]["containers"]
    assert app == {"name": "app", "image": "i", "env": [
        {"name": "A", "value": "2"}, {"name": "B", "value": "3"},
    ]}  # fmt: skip
    assert sidecar == {"name": "sidecar", "image": "s"}
    assert target["spec"]["tolerations"] == [{"key": "new"}]  # not a merge list: replaced


def component_resource(env: str, kustomization: dict, files: dict) -> PlannedResource:
    texts = {"kustomization.yaml": yaml.safe_dump(kustomization)}
    texts |= {name: yaml.safe_dump(doc) for name, doc in files.items()}
    return PlannedResource(
        "git", "gitops-files", f"gitops:apps/checkout/{env}/extra",
        {"environment": env}, {"files": texts},
    )  # fmt: skip


COMPONENT = {"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component"}


def test_a_component_patch_that_breaks_the_deployment_stops_the_plan():
    container = {"name": "checkout", "imagez": "x"}
    patch = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "checkout"},
             "spec": {"template": {"spec": {"containers": [container]}}}}  # fmt: skip
    kustomization = COMPONENT | {
        "patches": [{"path": "p.yaml", "target": {"kind": "Deployment", "name": "checkout"}}]
    }
    bundle = tuple(
        component_resource(e.name, kustomization, {"p.yaml": patch}) for e in ENVIRONMENTS
    )
    with pytest.raises(PlanError) as caught:
        plan_service(make_service(bundle=bundle))
    message = " ".join(caught.value.errors["golden_path"])
    assert "'imagez' was unexpected" in message and "tell the platform team" in message


def test_a_component_that_cannot_be_built_stops_the_plan():
    kustomization = COMPONENT | {"resources": ["missing.yaml"]}
    bundle = (component_resource("dev", kustomization, {}),)
    with pytest.raises(PlanError) as caught:
        plan_service(make_service(bundle=bundle))
    expected = (
        "dev: the overlay cannot be built "
        "(dev/extra/kustomization.yaml lists missing.yaml, which is not there)"
    )
    assert expected in " ".join(caught.value.errors["golden_path"])
