"""Fetch, commit and push through a local mirror, against the contract server's git backend."""

import subprocess

import pytest

from provisioning.drivers.base import PermanentError, TransientError
from provisioning.git_host import github_mirror
from provisioning.git_host.github_api import Credentials, GitHubClient
from provisioning.git_host.plumbing import commit_files


@pytest.fixture
def client(github, settings, tmp_path):
    settings.GIT_MIRROR_DIR = tmp_path / "mirrors"
    return GitHubClient(github.url, "acme", Credentials(token="ghp_contract"))


def commit_and_push(client, mirror, url, files):
    old = github_mirror.fetch(client, mirror, url, "main")
    commit, _ = commit_files(mirror, "main", files, "portal: test")
    github_mirror.push(client, mirror, url, "main", commit, old)
    return commit


def remote_file(github, path):
    shown = subprocess.run(
        ["git", "--git-dir", str(github.bare("pay")), "show", f"main:{path}"],
        capture_output=True,
        text=True,
    )
    return shown.stdout if shown.returncode == 0 else None


def test_a_commit_reaches_github_and_a_second_builds_on_it(github, client):
    url = client.create_repo("pay", "Payments", "private")["clone_url"]
    mirror = github_mirror.ensure_mirror("acme", "pay")
    assert github_mirror.fetch(client, mirror, url, "main") is None
    commit_and_push(client, mirror, url, {"a.txt": "one\n"})
    commit_and_push(client, mirror, url, {"b.txt": "two\n"})
    assert remote_file(github, "a.txt") == "one\n"
    assert remote_file(github, "b.txt") == "two\n"


def test_a_commit_pushed_meanwhile_by_someone_else_is_never_overwritten(github, client):
    url = client.create_repo("pay", "Payments", "private")["clone_url"]
    mirror = github_mirror.ensure_mirror("acme", "pay")
    commit_and_push(client, mirror, url, {"a.txt": "one\n"})
    old = github_mirror.fetch(client, mirror, url, "main")
    ours, _ = commit_files(mirror, "main", {"a.txt": "ours\n"}, "portal")
    # Someone else pushes to main after the portal fetched.
    bare = github.bare("pay")
    blob = subprocess.run(
        ["git", "--git-dir", str(bare), "hash-object", "-w", "--stdin"],
        input="theirs\n", capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    tree = subprocess.run(
        ["git", "--git-dir", str(bare), "mktree"],
        input=f"100644 blob {blob}\ta.txt\n", capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    theirs = subprocess.run(
        ["git", "--git-dir", str(bare), "commit-tree", tree, "-p", old, "-m", "theirs"],
        capture_output=True, text=True, check=True,
        env={"GIT_AUTHOR_NAME": "x", "GIT_AUTHOR_EMAIL": "x@x", "GIT_COMMITTER_NAME": "x",
             "GIT_COMMITTER_EMAIL": "x@x"},
    ).stdout.strip()  # fmt: skip
    subprocess.run(["git", "--git-dir", str(bare), "update-ref", "refs/heads/main", theirs])
    with pytest.raises(TransientError, match="moved on GitHub"):
        github_mirror.push(client, mirror, url, "main", ours, old)
    assert remote_file(github, "a.txt") == "theirs\n"
    # The retry starts from their commit and keeps it.
    assert github_mirror.fetch(client, mirror, url, "main") == theirs


def test_a_revoked_token_cannot_push_and_says_which_setting(github, client):
    url = client.create_repo("pay", "Payments", "private")["clone_url"]
    mirror = github_mirror.ensure_mirror("acme", "pay")
    github.revoke("ghp_contract")
    with pytest.raises(PermanentError, match="GITHUB_TOKEN"):
        github_mirror.fetch(client, mirror, url, "main")


def test_the_token_is_not_written_to_the_mirror(github, client):
    url = client.create_repo("pay", "Payments", "private")["clone_url"]
    mirror = github_mirror.ensure_mirror("acme", "pay")
    commit_and_push(client, mirror, url, {"a.txt": "one\n"})
    for path in mirror.rglob("*"):
        if path.is_file():
            assert b"ghp_contract" not in path.read_bytes(), path
            assert client.basic_auth().split()[1].encode() not in path.read_bytes(), path
