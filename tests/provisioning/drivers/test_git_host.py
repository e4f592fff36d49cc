"""The git host interface: which implementation GIT_HOST picks, and the local host by name."""

import pytest

from provisioning.drivers.base import NotConnectedError, PermanentError, TransientError
from provisioning.drivers.git import GitDriver
from provisioning.git_host import DEFAULT_BRANCH, GITOPS_REPOSITORY, HOSTS, get_host
from provisioning.git_host.local import LocalGitHost


@pytest.fixture(autouse=True)
def git_dir(settings, tmp_path):
    settings.GIT_DIR = tmp_path / "git"
    settings.GIT_HOST = "local"
    return settings.GIT_DIR


def test_the_local_setting_picks_the_bare_repositories_host(git_dir):
    host = get_host()
    assert isinstance(host, LocalGitHost)
    assert host.connection_status() == (True, f"local git repositories in {git_dir}")
    assert host.clone_url(GITOPS_REPOSITORY) == f"file://{git_dir}/gitops.git"


def test_a_host_whose_module_is_missing_is_not_connected_and_refuses_work(settings, monkeypatch):
    monkeypatch.setitem(HOSTS, "github", "provisioning.git_host.nowhere.GitHubHost")
    settings.GIT_HOST = "github"
    host = get_host()
    connected, status = host.connection_status()
    assert not connected and status.startswith("not connected: ")
    assert GitDriver.connection_status() == (False, status)
    with pytest.raises(NotConnectedError, match="not connected"):
        host.read_files(GITOPS_REPOSITORY)


def test_gitlab_is_designed_for_but_not_connected(settings):
    settings.GIT_HOST = "gitlab"
    connected, status = get_host().connection_status()
    assert not connected and "gitlab" in status


def test_a_repository_is_created_once_and_read_by_name(git_dir):
    host = get_host()
    assert host.ensure_repository("checkout") is True
    assert host.ensure_repository("checkout") is False
    assert host.exists("checkout") and not host.exists("absent")
    assert host.head("checkout") is None and host.list_files("checkout") == {}
    commit, changed = host.commit_files("checkout", DEFAULT_BRANCH, {"a.txt": "1\n"}, "m", "src")
    assert changed and host.head("checkout") == commit
    assert host.read_files("checkout", folder="src") == {"a.txt": "1\n"}
    assert host.file_at("checkout", commit, "src/a.txt") == "1\n"
    assert list(host.list_files("checkout", prefixes=["src/"])) == ["src/a.txt"]
    assert host.commit_time("checkout", commit[:12]) is not None


def test_a_branch_is_started_once_and_the_swap_refuses_a_stale_head(git_dir):
    host = get_host()
    host.ensure_repository("checkout")
    first, _ = host.commit_files("checkout", DEFAULT_BRANCH, {"a": "1"}, "m")
    assert host.start_branch("checkout", "idp/x") is True
    assert host.start_branch("checkout", "idp/x") is False
    assert host.head("checkout", "idp/x") == first
    host.commit_files("checkout", DEFAULT_BRANCH, {"a": "2"}, "m")
    with pytest.raises(TransientError, match="new commits since it was read"):
        host.commit_files("checkout", DEFAULT_BRANCH, {"a": "3"}, "m", expected_head=first)


def test_a_name_that_could_leave_the_git_folder_is_refused(git_dir):
    with pytest.raises(PermanentError, match="not a valid repository name"):
        get_host().ensure_repository("../elsewhere")
