"""Every generated kustomization.yaml against SchemaStore's kustomization schema (schemas/)."""

import hashlib
import re

import pytest
import yaml

from observability.services import bundle_resources
from provisioning import extensions
from provisioning.drivers.base import PlannedResource
from provisioning.golden_paths import validation
from provisioning.golden_paths.planning import plan_service
from provisioning.golden_paths.services import new_service
from provisioning.models import Environment
from provisioning.planning import PlanError
from tests.provisioning.golden.helpers import make_service


@pytest.fixture(params=["python-http", "node-http"])
def plan(request, golden_paths, personas):
    extensions.register_bundle("observability", bundle_resources)
    gp = golden_paths[request.param]
    values = {s["name"]: s["default"] for s in gp.parameters}
    staging = Environment.objects.get(name="staging")
    return plan_service(new_service(gp, "checkout", personas.team, "Payments", values, staging))


def test_every_generated_kustomization_is_valid(plan):
    kustomizations = {
        p: t for p, t in plan.gitops_files.items() if p.endswith("kustomization.yaml")
    }
    kinds = {yaml.safe_load(t)["kind"] for t in kustomizations.values()}
    assert len(kustomizations) == 7 and kinds == {"Kustomization", "Component"}  # base, 3 + 3
    for path, text in kustomizations.items():
        assert validation.kustomization_problems(text, path) == []


def test_the_schema_rejects_what_kustomize_would():
    problems = validation.kustomization_problems(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resourcez: [a.yaml]\ncomponents: ../x\n"
    )
    text = " ".join(problems)
    assert "'resourcez' was unexpected" in text
    assert "components: '../x' is not of type 'array'" in text
    wrong_kind = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Component\n"
    assert "apiVersion and kind must be one of" in validation.kustomization_problems(wrong_kind)[0]
    assert "not valid YAML" in validation.kustomization_problems("a: [")[0]


def test_a_bundle_component_the_schema_rejects_stops_the_plan():
    component = {
        "apiVersion": "kustomize.config.k8s.io/v1alpha1",
        "kind": "Component",
        "patchesJson": [],  # not a kustomization field
    }
    bundle = (
        PlannedResource(
            "git", "gitops-files", "gitops:apps/checkout/prod/observability",
            {"environment": "prod"}, {"files": {"kustomization.yaml": yaml.safe_dump(component)}},
        ),
    )  # fmt: skip
    with pytest.raises(PlanError) as caught:
        plan_service(make_service(bundle=bundle))
    message = " ".join(caught.value.errors["golden_path"])
    assert "prod ../../prod/observability kustomization.yaml" in message
    assert "'patchesJson' was unexpected" in message


def test_the_stored_schema_is_the_one_sources_md_names():
    sources = (validation.SCHEMAS / "SOURCES.md").read_text()
    row = next(line for line in sources.splitlines() if line.startswith("| `kustomization.json`"))
    recorded = re.search(r"sha256 ([0-9a-f]{64})", row).group(1)
    stored = (validation.SCHEMAS / "kustomization.json").read_bytes()
    assert hashlib.sha256(stored).hexdigest() == recorded
