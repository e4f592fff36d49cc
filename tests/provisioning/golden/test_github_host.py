"""A new service with GitHub as the git host, against the GitHub contract server: the issue's
"done when" (repository, skeleton pushed, main protected, pipeline variables, CI run on the
service page) and what bad credentials, rate limits and taken names do."""

import subprocess

import pytest

from catalog.models import Component
from observability.services import refresh_coverage
from provisioning import engine
from provisioning.choices import RequestState, StepState
from provisioning.golden_paths import services, updates
from provisioning.models import Environment
from tests.provisioning.golden.update_helpers import new_golden_path_version

PIPELINE_JOBS = ["lint", "test", "build", "update-gitops"]


@pytest.fixture
def on_github(settings, github, tmp_path):
    settings.GIT_HOST = "github"
    settings.GITHUB_API_URL = github.url
    settings.GITHUB_ORG = "acme"
    settings.GITHUB_TOKEN = "ghp_contract"
    settings.GITHUB_APP_ID = ""
    settings.GITHUB_CI_GITOPS_TOKEN = "ghp_ci_gitops"
    settings.GIT_MIRROR_DIR = tmp_path / "mirrors"
    return github


def submit(personas, python_http, name="checkout"):
    staging = Environment.objects.get(name="staging")
    return services.submit_new_service(
        personas.teammate, python_http, name, personas.team, "Takes card payments",
        {"port": 8080, "python_version": "3.12"}, staging,
    )  # fmt: skip


def run(request, rounds=6):
    """Apply the request as workers would, retries included, until it ends."""
    outcome = None
    for _ in range(rounds):
        outcome = engine.apply(request.pk, "w1")
        if outcome.state != RequestState.QUEUED:
            break
    request.refresh_from_db()
    return outcome


def remote(github, repo, *args):
    return subprocess.run(
        ["git", "--git-dir", str(github.bare(repo)), *args],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def test_a_new_python_service_is_made_on_github_and_its_ci_run_shows(
    on_github, personas, python_http, client
):
    request = submit(personas, python_http)
    assert run(request).state == RequestState.SUCCEEDED, [s.message for s in request.steps.all()]
    github = on_github
    files = remote(github, "checkout", "ls-tree", "-r", "--name-only", "main").split()
    assert {"app/server.py", "Dockerfile", ".github/workflows/ci.yaml", "catalog-info.yaml"} <= set(
        files
    )
    protection = github.protection[("checkout", "main")]
    checks = [c["context"] for c in protection["required_status_checks"]["checks"]]
    assert checks == PIPELINE_JOBS
    assert protection["required_pull_request_reviews"]["required_approving_review_count"] == 1
    assert github.variables["checkout"]["GITOPS_REPOSITORY"] == "acme/gitops"
    assert set(github.secrets["checkout"]) == {"GITOPS_TOKEN"}
    assert github.team_permissions[("payments", "checkout")] == "maintain"
    assert "python" in github.topics["checkout"]
    # The GitOps repository was made on first use and holds the service's manifests.
    gitops = remote(github, "gitops", "ls-tree", "-r", "--name-only", "main").split()
    assert "apps/checkout/base/deployment.yaml" in gitops
    head = remote(github, "checkout", "rev-parse", "main").strip()
    overlay = remote(
        github, "gitops", "show", "main:apps/checkout/overlays/staging/kustomization.yaml"
    )
    assert f"newTag: {head}" in overlay

    client.force_login(personas.teammate)
    page = client.get(Component.objects.get(name="checkout").get_absolute_url()).content.decode()
    run_url = github.runs["checkout"][0]["html_url"]
    assert "CI runs" in page and f'href="{run_url}"' in page and head[:12] in page
    # Parity reads the GitOps repository on GitHub through the same host.
    assert "Environment parity can" not in page and "Environments match" in page
    # So does the coverage refresh.
    assert refresh_coverage().sources["gitops"].startswith("read: ")


def test_a_retry_finishes_a_repository_created_but_never_pushed(on_github, personas, python_http):
    request = submit(personas, python_http)
    on_github._create_repo({"name": "checkout"})  # a worker died right after creating it
    assert run(request).state == RequestState.SUCCEEDED
    assert "app/server.py" in remote(on_github, "checkout", "ls-tree", "-r", "--name-only", "main")


def test_a_name_taken_on_github_by_someone_else_fails_clearly_and_touches_nothing(
    on_github, personas, python_http
):
    request = submit(personas, python_http)
    on_github.add_repo_outside_portal("checkout")  # made by hand after the form was sent
    before = remote(on_github, "checkout", "rev-parse", "main")
    assert run(request).state == RequestState.FAILED
    failed = request.steps.get(state=StepState.FAILED)
    assert "already exists and was not made by the portal" in failed.message
    assert remote(on_github, "checkout", "rev-parse", "main") == before


def test_a_name_taken_on_github_is_refused_when_planning(on_github, personas, python_http):
    on_github.add_repo_outside_portal("checkout")
    with pytest.raises(services.provisioning.NameTaken, match="already exists on the git host"):
        submit(personas, python_http)


def test_revoked_credentials_fail_the_step_with_the_setting_to_fix(
    on_github, personas, python_http
):
    request = submit(personas, python_http)
    on_github.revoke("ghp_contract")
    assert run(request).state == RequestState.FAILED
    failed = request.steps.get(state=StepState.FAILED)
    assert "GITHUB_TOKEN was refused (401: Bad credentials)" in failed.message
    assert "checkout" not in on_github.repos


def test_a_secondary_rate_limit_is_retried_after_githubs_wait(on_github, personas, python_http):
    request = submit(personas, python_http)
    on_github.rate_limit("POST", "/orgs/acme/repos", retry_after=42)
    first = engine.apply(request.pk, "w1")
    assert first.state == RequestState.QUEUED and first.retry_in >= 42
    retry = request.events.get(kind="retry").message
    assert "secondary rate limit" in retry and "wait 42s" in retry
    assert run(request).state == RequestState.SUCCEEDED
    assert "checkout" in on_github.repos


def test_the_ci_runs_section_says_not_connected_with_the_local_host(personas, python_http, client):
    request = submit(personas, python_http)
    assert run(request).state == RequestState.SUCCEEDED
    client.force_login(personas.teammate)
    page = client.get(Component.objects.get(name="checkout").get_absolute_url()).content.decode()
    assert "CI runs can't be shown: not connected" in page
    assert "GIT_HOST=github" in page


def test_the_ci_runs_section_says_failing_and_why(on_github, personas, python_http, client):
    request = submit(personas, python_http)
    assert run(request).state == RequestState.SUCCEEDED
    on_github.fail("GET", "/repos/acme/checkout/actions/runs", 502)
    client.force_login(personas.teammate)
    url = Component.objects.get(name="checkout").get_absolute_url()
    page = client.get(url).content.decode()
    assert "failing: GitHub failed to read the workflow runs of acme/checkout (502" in page
    on_github.fail("GET", "/repos/acme/checkout/actions/runs", 404)
    page = client.get(url).content.decode()
    assert "acme/checkout is not on GitHub yet" in page


def test_an_upgrade_of_a_protected_main_opens_a_pull_request_and_leaves_main(
    on_github, personas, python_http
):
    request = submit(personas, python_http)
    assert run(request).state == RequestState.SUCCEEDED
    main_before = remote(on_github, "checkout", "rev-parse", "main")
    readme = python_http.files.get(path="README.md").content + "\n## Support\n"
    v2 = new_golden_path_version(python_http, {"README.md": readme})

    upgrade = updates.submit_update(personas.owner, v2, None)
    assert engine.apply(upgrade.pk, "w-update").state == RequestState.SUCCEEDED
    (step,) = upgrade.steps.all()
    (pull,) = on_github.pulls["checkout"]
    assert pull["head"]["ref"] == "idp/upgrade-python-http-v2" and pull["base"]["ref"] == "main"
    assert f"review and merge pull request {pull['html_url']}" in step.message
    assert remote(on_github, "checkout", "rev-parse", "main") == main_before
    on_branch = remote(on_github, "checkout", "show", "idp/upgrade-python-http-v2:README.md")
    assert "## Support" in on_branch
    # Pressing Upgrade again before the merge finds the same pull request: no second one.
    again = updates.submit_update(personas.owner, v2, None)
    assert engine.apply(again.pk, "w-update").state == RequestState.SUCCEEDED
    assert len(on_github.pulls["checkout"]) == 1


def test_a_github_that_cannot_answer_while_planning_is_a_clear_form_error(
    on_github, personas, python_http
):
    on_github.revoke("ghp_contract")
    with pytest.raises(services.provisioning.NameTaken, match="GITHUB_TOKEN was refused"):
        submit(personas, python_http)


def test_the_poller_records_the_new_services_ci_run_from_github_with_its_commit_time(
    on_github, personas, python_http
):
    """The fallback where webhooks cannot reach the portal, through the real client."""
    from provisioning import deploy_events_poll
    from provisioning.models import Build

    request = submit(personas, python_http)
    assert run(request).state == RequestState.SUCCEEDED
    head = remote(on_github, "checkout", "rev-parse", "main").strip()
    report = deploy_events_poll.poll(deploy_events_poll.github_runs_reader())
    assert report.problems == {} and report.recorded >= 1
    build = Build.objects.get(repository="acme/checkout", head_sha=head)
    assert build.origin.name == "checkout" and build.conclusion == "success"
    assert build.committed_at is not None
    # A second poll records the same runs again as the same rows.
    deploy_events_poll.poll(deploy_events_poll.github_runs_reader())
    assert Build.objects.filter(repository="acme/checkout", head_sha=head).count() == 1
