"""Day-2 updates: the answers file, the three-way merge, upgrades and roll-outs (real engine)."""

import pytest
import yaml

from catalog.models import Component
from provisioning import engine
from provisioning import services as provisioning
from provisioning.choices import RequestState, StepState
from provisioning.drivers.base import PermanentError
from provisioning.git_host.local import LocalGitHost
from provisioning.golden_paths import update_apply, updates
from provisioning.golden_paths.merge import merge_repository
from provisioning.golden_paths.planning import ANSWERS_FILE, render_repository
from provisioning.golden_paths.services import save_new_pipeline_version
from provisioning.models import ServiceOrigin
from tests.provisioning.golden.helpers import make_service
from tests.provisioning.golden.update_helpers import (
    commits,
    files_of,
    make_live,
    new_golden_path_version,
    team_edits,
)

WORKFLOW = ".github/workflows/ci.yaml"
CMD = 'CMD ["python", "-m", "app"]'


# --- The answers file ----------------------------------------------------------------------


def test_every_new_repository_records_its_golden_path_pipeline_and_answers():
    text = render_repository(make_service())[ANSWERS_FILE]
    assert text.startswith("# Written by the platform portal")
    assert yaml.safe_load(text) == {
        "golden_path": "tiny",
        "golden_path_version": 1,
        "pipeline": "ci",
        "pipeline_version": 1,
        "name": "checkout",
        "owner": "payments",
        "answers": {"port": 8080},
    }


# --- The merge, file by file ---------------------------------------------------------------


def test_a_file_the_service_did_not_change_takes_the_new_template():
    result = merge_repository({"a": "1\n"}, {"a": "2\n"}, {"a": "1\n"})
    assert result.files == {"a": "2\n"} and not result.conflicts


def test_the_services_edit_is_kept_with_the_templates_change_merged_on_top():
    base = "one\ntwo\nthree\nfour\nfive\n"
    theirs = "one\ntwo\nthree\nfour\nFIVE\n"
    ours = "ONE\ntwo\nthree\nfour\nfive\n"
    result = merge_repository({"a": base}, {"a": theirs}, {"a": ours})
    assert result.files["a"] == "ONE\ntwo\nthree\nfour\nFIVE\n" and not result.conflicts


def test_overlapping_edits_are_a_conflict_with_markers():
    result = merge_repository({"a": "x\n"}, {"a": "template\n"}, {"a": "service\n"})
    assert result.conflicts == ["a"]
    assert "<<<<<<< yours" in result.files["a"] and ">>>>>>> template now" in result.files["a"]


def test_a_removed_template_file_goes_only_where_the_service_never_changed_it():
    base = {"same": "s\n", "edited": "e\n", "kept": "k\n"}
    theirs = {"kept": "k\n"}
    ours = {"same": "s\n", "edited": "mine\n", "kept": "k\n"}
    result = merge_repository(base, theirs, ours)
    assert result.files == {"edited": "mine\n", "kept": "k\n"}
    assert result.notes == ["kept edited: the new template removes it, but it was changed here"]


def test_a_new_template_file_is_added_and_untouched_template_files_keep_the_services_version():
    result = merge_repository({"a": "1\n"}, {"a": "1\n", "new": "n\n"}, {"a": "custom\n"})
    assert result.files == {"a": "custom\n", "new": "n\n"}


# --- Upgrades through the engine -----------------------------------------------------------


@pytest.fixture
def checkout(personas, python_http):
    return make_live(personas, python_http, "checkout")


def upgrade(user, target, names=None):
    request = updates.submit_update(user, target, names)
    outcome = engine.apply(request.pk, "w-update")
    request.refresh_from_db()
    return request, outcome


def test_an_upgrade_merges_the_new_skeleton_onto_the_services_changes(
    personas, python_http, checkout
):
    readme = files_of("checkout")["README.md"]
    team_edits("checkout", {"README.md": readme.replace("Takes card payments", "Takes refunds")})
    before = commits("checkout")
    readme_v2 = python_http.files.get(path="README.md").content + "\n## Support\n\nAsk #platform.\n"
    v2 = new_golden_path_version(python_http, {"README.md": readme_v2, "NOTICE": "{{ name }}\n"})

    request, outcome = upgrade(personas.owner, v2)

    assert outcome.state == RequestState.SUCCEEDED
    assert len(commits("checkout")) == len(before) + 1
    files = files_of("checkout")
    assert "Takes refunds" in files["README.md"] and "Ask #platform." in files["README.md"]
    assert "(version 2)" in files["README.md"]  # an untouched line took the new template's
    assert files["NOTICE"] == "checkout\n"
    recorded = yaml.safe_load(files[ANSWERS_FILE])
    assert recorded["golden_path_version"] == 2 and recorded["answers"]["python_version"] == "3.12"
    assert "python-http@2" in files["catalog-info.yaml"]
    origin = ServiceOrigin.objects.get(name="checkout")
    assert origin.golden_path == v2 and origin.upgrade_conflict == ""
    component = Component.objects.get(name="checkout")
    assert component.annotations["portal.internal/golden-path"] == "python-http@2"


def test_a_conflicting_edit_goes_to_a_branch_and_main_is_untouched(personas, python_http, checkout):
    dockerfile = files_of("checkout")["Dockerfile"]
    team_edits("checkout", {"Dockerfile": dockerfile.replace(CMD, 'CMD ["python", "-X", "dev"]')})
    main_before = files_of("checkout")
    head_before = commits("checkout")[0]
    template = python_http.files.get(path="Dockerfile").content
    v2 = new_golden_path_version(
        python_http, {"Dockerfile": template.replace(CMD, 'CMD ["python", "-O", "-m", "app"]')}
    )

    request, outcome = upgrade(personas.owner, v2)

    assert outcome.state == RequestState.SUCCEEDED  # one service's conflict holds up no other
    (step,) = request.steps.all()
    branch = "idp/upgrade-python-http-v2"
    assert step.message.startswith(f"conflict in Dockerfile: merge branch {branch} by hand")
    assert commits("checkout")[0] == head_before and files_of("checkout") == main_before
    on_branch = files_of("checkout", branch)
    assert "<<<<<<< checkout (main)" in on_branch["Dockerfile"]
    assert yaml.safe_load(on_branch[ANSWERS_FILE])["golden_path_version"] == 2
    assert commits("checkout", branch)[1] == head_before  # started from main: it merges cleanly
    origin = ServiceOrigin.objects.get(name="checkout")
    assert origin.golden_path == python_http and "merge branch" in origin.upgrade_conflict


def test_a_push_while_the_merge_is_computed_is_not_overwritten(
    personas, python_http, checkout, monkeypatch
):
    """The team pushes between the step's read of main and its commit: the step commits
    nothing then, and its retry merges onto the push."""
    v2 = new_golden_path_version(python_http, {"NOTICE": "n\n"})
    real_read = LocalGitHost.read_files
    pushed = []

    def read_then_push(host, *args, **kwargs):
        files = real_read(host, *args, **kwargs)
        if not pushed:
            pushed.append(1)
            team_edits("checkout", {"CHANGELOG.md": "pushed during the upgrade\n"})
        return files

    monkeypatch.setattr(LocalGitHost, "read_files", read_then_push)
    request, outcome = upgrade(personas.owner, v2)

    assert outcome.state == RequestState.QUEUED and outcome.retry_in is not None
    (step,) = request.steps.all()
    assert "has new commits since it was read" in step.message
    assert "NOTICE" not in files_of("checkout")  # nothing committed over the push

    assert engine.apply(request.pk, "w-retry").state == RequestState.SUCCEEDED
    files = files_of("checkout")
    assert files["CHANGELOG.md"] == "pushed during the upgrade\n" and files["NOTICE"] == "n\n"


def test_running_an_applied_step_again_makes_no_second_commit(personas, python_http, checkout):
    v2 = new_golden_path_version(python_http, {"NOTICE": "n\n"})
    request, _ = upgrade(personas.owner, v2)
    after_first = commits("checkout")
    # The worker died after the commit, before recording it: the step runs again.
    ServiceOrigin.objects.filter(name="checkout").update(golden_path=python_http)
    request.steps.update(state=StepState.PENDING)
    request.state = RequestState.QUEUED
    request.save(update_fields=["state"])

    assert engine.apply(request.pk, "w-again").state == RequestState.SUCCEEDED

    (step,) = request.steps.all()
    assert step.outcome == "unchanged" and "already on python-http v2" in step.message
    assert commits("checkout") == after_first
    assert ServiceOrigin.objects.get(name="checkout").golden_path == v2


def test_only_the_newest_published_version_can_be_opened(personas, python_http, checkout):
    new_golden_path_version(python_http, {"NOTICE": "n\n"})
    with pytest.raises(updates.UpdateError, match="not the newest published version: .* v2"):
        updates.submit_update(personas.owner, python_http)


# --- Pipeline roll-outs --------------------------------------------------------------------


@pytest.fixture
def pipeline_v2(python_http):
    p = python_http.pipeline
    return save_new_pipeline_version(
        p, {"content": p.content.replace("actions/checkout@v4", "actions/checkout@v5")}
    )


def test_a_rollout_commits_the_new_workflow_to_every_service_behind_once_each(
    personas, python_http, pipeline_v2
):
    old = [make_live(personas, python_http, n) for n in ("alpha", "beta")]
    current_path = new_golden_path_version(python_http, {}, pipeline=pipeline_v2)
    make_live(personas, current_path, "gamma")  # made on pipeline v2 already
    before = {n: commits(n) for n in ("alpha", "beta", "gamma")}
    readme = {o.name: files_of(o.name)["README.md"] for o in old}

    request, outcome = upgrade(personas.owner, pipeline_v2)

    assert outcome.state == RequestState.SUCCEEDED
    assert [s.resource["config"]["service"] for s in request.steps.all()] == ["alpha", "beta"]
    assert request.team is None  # several teams' services: a platform-wide request
    for origin in old:
        files = files_of(origin.name)
        assert "actions/checkout@v5" in files[WORKFLOW] and "@v4" not in files[WORKFLOW]
        assert files["README.md"] == readme[origin.name]  # only the workflow is rolled out
        assert len(commits(origin.name)) == len(before[origin.name]) + 1
        assert yaml.safe_load(files[ANSWERS_FILE])["pipeline_version"] == 2
        assert ServiceOrigin.objects.get(pk=origin.pk).pipeline == pipeline_v2
    assert commits("gamma") == before["gamma"]
    with pytest.raises(updates.UpdateError, match="nothing to update"):
        updates.submit_update(personas.owner, pipeline_v2)


def test_a_failed_service_can_be_retried_and_the_rest_are_done(
    personas, python_http, pipeline_v2, monkeypatch
):
    for name in ("alpha", "beta", "gamma"):
        make_live(personas, python_http, name)
    real = update_apply.render_at

    def broken_for_beta(origin, at):
        if origin.name == "beta":
            raise PermanentError("beta's template does not render")
        return real(origin, at)

    monkeypatch.setattr(update_apply, "render_at", broken_for_beta)
    request, outcome = upgrade(personas.owner, pipeline_v2)
    assert outcome.state == RequestState.FAILED
    states = [s.state for s in request.steps.all()]
    assert states == [StepState.SUCCEEDED, StepState.FAILED, StepState.PENDING]
    (progress,) = updates.progress([request])
    assert (progress.done, progress.failed, progress.remaining) == (1, 1, 1)

    monkeypatch.setattr(update_apply, "render_at", real)
    assert provisioning.retry_request(request, personas.owner)
    assert engine.apply(request.pk, "w-retry").state == RequestState.SUCCEEDED
    assert {s.state for s in request.steps.all()} == {StepState.SUCCEEDED}
    for name in ("alpha", "beta", "gamma"):
        assert "actions/checkout@v5" in files_of(name)[WORKFLOW]
        assert len(commits(name)) == 2  # creation, then exactly one roll-out commit


def test_an_upgrade_does_not_take_back_a_pipeline_already_rolled_out(
    personas, python_http, pipeline_v2, checkout
):
    upgrade(personas.owner, pipeline_v2)
    v2 = new_golden_path_version(python_http, {"NOTICE": "n\n"})  # still names pipeline v1

    upgrade(personas.owner, v2)

    assert "actions/checkout@v5" in files_of("checkout")[WORKFLOW]
    origin = ServiceOrigin.objects.get(name="checkout")
    assert (origin.golden_path, origin.pipeline) == (v2, pipeline_v2)


# --- Who is behind -------------------------------------------------------------------------


def test_the_overview_counts_the_services_behind_each_newest_version(
    personas, python_http, node_http, pipeline_v2
):
    for name in ("alpha", "beta"):
        make_live(personas, python_http, name)
    v2 = new_golden_path_version(python_http, {"NOTICE": "n\n"})
    make_live(personas, v2, "gamma")

    overview = updates.overview()

    paths = {b.template.slug: b for b in overview["golden_paths"]}
    assert paths["python-http"].template == v2
    assert [o.name for o in paths["python-http"].services] == ["alpha", "beta"]
    assert paths["node-http"].count == 0
    (pipelines,) = overview["pipelines"]
    assert pipelines.template == pipeline_v2 and pipelines.count == 3
    assert updates.behind_counts(type(v2)) == {v2.pk: 2, node_http.pk: 0}


def test_a_new_golden_path_version_keeps_the_pipeline_version_chosen_for_it(
    python_http, pipeline_v2
):
    v2 = new_golden_path_version(python_http, {}, pipeline=pipeline_v2)
    v2.refresh_from_db()
    assert v2.pipeline == pipeline_v2  # the old pipeline_id used to win over the change
