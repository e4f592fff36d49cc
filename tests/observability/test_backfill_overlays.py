"""Backfill lists the bundle as a kustomize Component in a golden-path service's overlays, in
the commit that writes it; a service with no portal overlay is told to list it itself."""

import pytest
import yaml

from catalog.models import Component
from observability import services
from provisioning import engine, extensions
from provisioning import services as provisioning_services
from provisioning.choices import RequestState, StepState
from provisioning.demo import seed_golden_paths
from provisioning.drivers.base import PermanentError
from provisioning.drivers.git import list_component
from provisioning.git_host.plumbing import commit_files, read_files
from provisioning.golden_paths import services as golden
from provisioning.models import Environment, GoldenPath
from tests.factories import make_component
from tests.observability.conftest import git_log

ENVS = ("dev", "staging", "prod")
HAND_EDIT = "# kept by hand\ncommonAnnotations:\n  owner-note: keep me\n"


@pytest.fixture
def checkout(personas, gitops_dir, environments, monkeypatch):
    """A python-http service created while no bundle generator was registered."""
    monkeypatch.setattr(extensions, "_BUNDLES", {})
    seed_golden_paths()
    gp = GoldenPath.objects.get(slug="python-http")
    values = {s["name"]: s["default"] for s in gp.parameters}
    request = golden.submit_new_service(
        personas.teammate, gp, "checkout", personas.team, "Payments", values,
        Environment.objects.get(name="staging"),
    )  # fmt: skip
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    return Component.objects.get(name="checkout")


def gitops(gitops_dir) -> dict[str, str]:
    return read_files(gitops_dir / "gitops.git", "main")


def overlay(gitops_dir, env: str) -> str:
    return gitops(gitops_dir)[f"apps/checkout/overlays/{env}/kustomization.yaml"]


def backfill(user, component):
    request, _ = services.submit_backfill(user, [component], component.owner, component)
    if request is not None:
        engine.apply(request.pk, "w1")
        request.refresh_from_db()
    return request


def test_the_backfill_lists_the_component_once_and_keeps_tag_and_hand_edits(
    checkout, personas, gitops_dir
):
    assert "components" not in overlay(gitops_dir, "dev")
    tag = yaml.safe_load(overlay(gitops_dir, "staging"))["images"][0]["newTag"]
    prod = overlay(gitops_dir, "prod") + HAND_EDIT
    commit_files(gitops_dir / "gitops.git", "main", {"kustomization.yaml": prod}, "hand edit",
                 "apps/checkout/overlays/prod")  # fmt: skip

    request = backfill(personas.owner, checkout)
    assert request.state == RequestState.SUCCEEDED
    for env in ENVS:
        listed = yaml.safe_load(overlay(gitops_dir, env))["components"]
        assert listed == [f"../../{env}/observability"]
    assert yaml.safe_load(overlay(gitops_dir, "staging"))["images"][0]["newTag"] == tag
    assert overlay(gitops_dir, "prod").startswith(prod)  # every byte kept, the list appended
    step = request.steps.order_by("position").first()
    assert "apps/checkout/overlays/dev/kustomization.yaml lists ../../dev/observability" in (
        step.message
    )


def test_the_overlay_changes_in_the_commit_that_writes_the_bundle(checkout, personas, gitops_dir):
    before = len(git_log(gitops_dir))
    backfill(personas.owner, checkout)
    assert len(git_log(gitops_dir)) == before + len(ENVS)  # one commit per bundle, no more


def test_a_second_backfill_makes_no_commit(checkout, personas, gitops_dir):
    backfill(personas.owner, checkout)
    commits = git_log(gitops_dir)
    assert backfill(personas.owner, checkout) is None
    assert git_log(gitops_dir) == commits
    assert yaml.safe_load(overlay(gitops_dir, "dev"))["components"] == ["../../dev/observability"]


def test_a_service_without_a_portal_overlay_is_told_to_list_the_component(
    personas, gitops_dir, environments
):
    petstore = make_component("petstore", owner=personas.team, tier=2)
    request = backfill(personas.owner, petstore)
    assert request.state == RequestState.SUCCEEDED
    files = gitops(gitops_dir)
    assert "apps/petstore/dev/observability/kustomization.yaml" in files
    assert not any("/overlays/" in path for path in files)
    step = request.steps.order_by("position").first()
    assert "its team must list apps/petstore/dev/observability under `components:`" in (
        step.message
    )


def test_an_unreadable_overlay_fails_the_step_and_writes_nothing(checkout, personas, gitops_dir):
    commit_files(gitops_dir / "gitops.git", "main", {"kustomization.yaml": "resources: [\n"},
                 "broken by hand", "apps/checkout/overlays/dev")  # fmt: skip
    commits = git_log(gitops_dir)
    request = backfill(personas.owner, checkout)
    assert request.state == RequestState.FAILED
    [failed] = request.steps.filter(state=StepState.FAILED)
    assert "apps/checkout/overlays/dev/kustomization.yaml is not valid YAML" in failed.message
    assert "fix it, then retry" in failed.message
    assert git_log(gitops_dir) == commits
    assert "apps/checkout/dev/observability/kustomization.yaml" not in gitops(gitops_dir)


def test_list_component_appends_once_and_keeps_other_components():
    text = "kind: Kustomization\ncomponents:\n- ../../shared/tls\n"
    changed = list_component(text, "../../dev/observability", "k.yaml")
    assert yaml.safe_load(changed)["components"] == ["../../shared/tls", "../../dev/observability"]
    assert list_component(changed, "../../dev/observability", "k.yaml") is None
    with pytest.raises(PermanentError, match="not a kustomization with a `components:` list"):
        list_component("components: ../x\n", "../../dev/observability", "k.yaml")


def test_an_older_base_whose_container_has_another_name_is_not_patched_blindly(
    checkout, personas, gitops_dir
):
    """Services made before the container was named after the service call it "app": the
    bundle's patch would add a second container, so nothing is written and the step says what
    to rename; once renamed, retrying the request writes the bundle and lists it."""
    repo, base = gitops_dir / "gitops.git", "apps/checkout/base"
    deployment = gitops(gitops_dir)[f"{base}/deployment.yaml"]
    renamed = deployment.replace("- name: checkout\n", "- name: app\n", 1)
    assert renamed != deployment
    commit_files(repo, "main", {"deployment.yaml": renamed}, "older portal", base)
    before = len(git_log(gitops_dir))

    request = backfill(personas.owner, checkout)

    assert request.state == RequestState.FAILED
    assert len(git_log(gitops_dir)) == before  # nothing half-made
    assert "apps/checkout/dev/observability/prometheusrule.yaml" not in gitops(gitops_dir)
    step = request.steps.order_by("position").first()
    assert step.state == StepState.FAILED
    assert f"the Deployment in {base}/deployment.yaml names its container app, not checkout" in (
        step.message
    )
    assert "Rename the container to checkout in that file, then retry" in step.message

    commit_files(repo, "main", {"deployment.yaml": deployment}, "renamed by hand", base)
    assert provisioning_services.retry_request(request, personas.owner)
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    assert yaml.safe_load(overlay(gitops_dir, "dev"))["components"] == ["../../dev/observability"]
