"""The repository settings planned from the pipeline, and applied so a retry converges."""

import pytest

from provisioning.drivers.base import PermanentError
from provisioning.git_host.github_api import Credentials, GitHubClient
from provisioning.git_host.github_settings import apply_settings, pipeline_checks, plan_settings

WORKFLOW = """\
name: CI
on: push
jobs:
  lint:
    runs-on: ubuntu-latest
    steps: [{run: "echo ${{ vars.SERVICE_NAME }}"}]
  test:
    name: Unit tests
    runs-on: ubuntu-latest
    steps: [{run: "echo ${{ vars.GITOPS_REPOSITORY }} ${{ secrets.GITOPS_TOKEN }}"}]
  build:
    runs-on: ubuntu-latest
    steps: [{run: "echo ${{ secrets.GITHUB_TOKEN }} ${{ vars.MYSTERY }} ${{ secrets.NPM }}"}]
"""


def test_required_checks_are_the_jobs_as_github_names_them():
    assert pipeline_checks(WORKFLOW) == ["lint", "Unit tests", "build"]


def test_the_plan_sets_what_it_knows_and_notes_the_rest():
    config, notes = plan_settings(
        "payments", ["Python", "HTTP API"], WORKFLOW, {"SERVICE_NAME": "pay"}
    )
    assert config["topics"] == ["http-api", "python"]
    assert config["variables"] == {
        "GITOPS_REPOSITORY": {"repository": "gitops"},
        "SERVICE_NAME": {"value": "pay"},
    }
    assert config["secrets"] == {"GITOPS_TOKEN": "GITHUB_CI_GITOPS_TOKEN"}
    assert any("MYSTERY" in n for n in notes) and any("NPM" in n for n in notes)
    assert not any("GITHUB_TOKEN" in n for n in notes)


def test_applying_twice_changes_nothing_the_second_time(github):
    client = GitHubClient(github.url, "acme", Credentials(token="ghp_contract"))
    github.add_repo_outside_portal("pay")
    config, _ = plan_settings("payments", ["python"], WORKFLOW, {"SERVICE_NAME": "pay"})
    values = {"GITOPS_REPOSITORY": "acme/gitops"}
    first = apply_settings(client, "pay", config, values, {"GITOPS_TOKEN": "t0ken"})
    assert any("topics python" in d for d in first)
    assert github.variables["pay"] == {"GITOPS_REPOSITORY": "acme/gitops", "SERVICE_NAME": "pay"}
    assert github.team_permissions[("payments", "pay")] == "maintain"
    protection = github.protection[("pay", "main")]
    assert [c["context"] for c in protection["required_status_checks"]["checks"]] == [
        "lint", "Unit tests", "build",
    ]  # fmt: skip
    assert protection["required_pull_request_reviews"]["required_approving_review_count"] == 1
    assert set(github.secrets["pay"]) == {"GITOPS_TOKEN"}
    second = apply_settings(client, "pay", config, values, {})
    assert not any(d.startswith(("topics", "variables")) for d in second)


def test_a_missing_repository_is_a_clear_error(github):
    client = GitHubClient(github.url, "acme", Credentials(token="ghp_contract"))
    config, _ = plan_settings("payments", [], WORKFLOW, {})
    with pytest.raises(PermanentError, match="acme/pay does not exist"):
        apply_settings(client, "pay", config, {"GITOPS_REPOSITORY": "acme/gitops"}, {})
