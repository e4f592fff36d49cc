"""The local git host: real bare repositories, real git commands."""

import subprocess
import threading

import pytest

from provisioning.drivers.base import (
    PermanentError,
    PlannedResource,
    ResourceMissing,
    TransientError,
)
from provisioning.drivers.git import GitDriver
from provisioning.git_host.local import ensure_repository
from provisioning.git_host.plumbing import commit_files, read_files


@pytest.fixture(autouse=True)
def git_dir(settings, tmp_path):
    settings.GIT_DIR = tmp_path / "git"
    settings.GIT_HOST = "local"
    return settings.GIT_DIR


def files(folder="apps/petstore", **content):
    return PlannedResource(
        "git", "gitops-files", f"gitops:{folder}", {}, {"files": content, "message": "m"}
    )


def log(repo):
    return subprocess.run(
        ["git", f"--git-dir={repo}", "log", "--format=%s", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()


def test_first_ensure_creates_the_repository_and_commits(git_dir):
    result = GitDriver().ensure(files(**{"a.yaml": "x: 1\n", "sub/b.yaml": "y: 2\n"}))
    assert result.outcome == "created"
    repo = git_dir / "gitops.git"
    assert read_files(repo, "main", "apps/petstore") == {"a.yaml": "x: 1\n", "sub/b.yaml": "y: 2\n"}


def test_the_same_files_again_make_no_commit(git_dir):
    GitDriver().ensure(files(**{"a.yaml": "x: 1\n"}))
    assert GitDriver().ensure(files(**{"a.yaml": "x: 1\n"})).outcome == "unchanged"
    assert len(log(git_dir / "gitops.git")) == 1


def test_changed_content_is_a_new_commit_and_other_folders_stay(git_dir):
    GitDriver().ensure(files("apps/other", **{"keep.yaml": "k\n"}))
    GitDriver().ensure(files(**{"a.yaml": "x: 1\n"}))
    assert GitDriver().ensure(files(**{"a.yaml": "x: 2\n"})).outcome == "updated"
    repo = git_dir / "gitops.git"
    assert read_files(repo, "main", "apps/other") == {"keep.yaml": "k\n"}
    assert read_files(repo, "main", "apps/petstore") == {"a.yaml": "x: 2\n"}


def test_prune_removes_files_no_longer_listed(git_dir):
    repo, _ = ensure_repository("gitops")
    commit_files(repo, "main", {"a": "1", "b": "2"}, "m", "apps/x")
    commit_files(repo, "main", {"a": "1"}, "m", "apps/x", prune=True)
    assert read_files(repo, "main", "apps/x") == {"a": "1"}


def test_drift_names_changed_and_removed_files(git_dir):
    resource = files(**{"a.yaml": "x: 1\n", "b.yaml": "y\n"})
    GitDriver().ensure(resource)
    repo = git_dir / "gitops.git"
    commit_files(repo, "main", {"a.yaml": "tampered\n"}, "hand edit", "apps/petstore")
    commit_files(repo, "main", {"a.yaml": "tampered\n"}, "hand edit", "apps/petstore", prune=True)
    assert sorted(GitDriver().check_drift(resource)) == [
        "a.yaml was changed outside the portal",
        "b.yaml was removed outside the portal",
    ]


def test_a_missing_repository_is_missing(git_dir):
    with pytest.raises(ResourceMissing):
        GitDriver().check_drift(files(**{"a": "1"}))


@pytest.mark.parametrize("path", ["../escape", "/etc/passwd", "a/../../b"])
def test_paths_cannot_escape_the_repository(git_dir, path):
    with pytest.raises(PermanentError, match="not a safe file path"):
        GitDriver().ensure(files(**{path: "x"}))


def test_concurrent_writers_never_lose_a_commit(git_dir):
    repo, _ = ensure_repository("gitops")
    commit_files(repo, "main", {"seed": "0"}, "seed")
    outcomes = []

    def write(index):
        for _ in range(20):
            try:
                commit_files(repo, "main", {f"f{index}": str(index)}, f"w{index}", f"d{index}")
                outcomes.append(index)
                return
            except TransientError:
                continue

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes) == [0, 1, 2, 3]
    assert all(read_files(repo, "main", f"d{i}") == {f"f{i}": str(i)} for i in range(4))


def test_concurrent_portal_writers_take_turns_instead_of_failing(git_dir):
    repo, _ = ensure_repository("gitops")
    commit_files(repo, "main", {"seed": "0"}, "seed")
    failures = []

    def write(index):
        try:
            commit_files(repo, "main", {f"f{index}": str(index)}, f"w{index}", f"d{index}")
        except TransientError as exc:  # the lock makes a lost compare-and-swap impossible
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert failures == []
    assert sorted(log(repo)) == sorted(["seed", *(f"w{i}" for i in range(8))])


def move_branch(repo, message):
    """A writer outside the portal (a git push) moving main with an empty commit."""
    tree = subprocess.run(
        ["git", f"--git-dir={repo}", "rev-parse", "main^{tree}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    head = subprocess.run(
        ["git", f"--git-dir={repo}", "rev-parse", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    env = {
        "GIT_AUTHOR_NAME": "x",
        "GIT_AUTHOR_EMAIL": "x@x",
        "GIT_COMMITTER_NAME": "x",
        "GIT_COMMITTER_EMAIL": "x@x",
        "PATH": "/usr/bin:/bin",
    }
    commit = subprocess.run(
        ["git", f"--git-dir={repo}", "commit-tree", tree, "-p", head, "-m", message],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.strip()
    subprocess.run(
        ["git", f"--git-dir={repo}", "update-ref", "refs/heads/main", commit], check=True
    )


def test_a_branch_moved_by_an_outside_writer_is_rebuilt_on_its_new_head(git_dir):
    repo, _ = ensure_repository("gitops")
    commit_files(repo, "main", {"seed": "0"}, "seed")
    moves = []

    def derive(read):
        if not moves:  # moves the branch once, after the portal read the head
            moves.append(1)
            move_branch(repo, "pushed from outside")
        return {}

    commit, made = commit_files(repo, "main", {"a": "1"}, "portal", derive=derive)

    assert made and log(repo) == ["portal", "pushed from outside", "seed"]


def test_a_branch_that_keeps_moving_is_a_transient_error(git_dir):
    repo, _ = ensure_repository("gitops")
    commit_files(repo, "main", {"seed": "0"}, "seed")

    def derive(read):
        move_branch(repo, "pushed from outside")
        return {}

    with pytest.raises(TransientError, match="moved while committing"):
        commit_files(repo, "main", {"a": "1"}, "portal", derive=derive)
    assert "portal" not in log(repo)


def test_another_git_host_is_not_connected(settings):
    settings.GIT_HOST = "github"
    connected, status = GitDriver.connection_status()
    assert not connected and "not connected" in status


def test_files_round_trip_byte_for_byte_in_one_batch(git_dir):
    repo, _ = ensure_repository("gitops")
    content = {
        "crlf.txt": "line one\r\nline two\r\n",
        "unicode/naïve.yaml": "name: café ☕\n",
        "empty": "",
        "no-newline": "x",
        "with space/a b.txt": "tab\there\n",
    }
    content |= {f"many/f{i}.yaml": f"i: {i}\n" for i in range(200)}

    commit_files(repo, "main", content, "many files")

    assert read_files(repo, "main") == content
    assert read_files(repo, "main", "many") == {f"f{i}.yaml": f"i: {i}\n" for i in range(200)}
    _, made = commit_files(repo, "main", content, "again")
    assert not made
