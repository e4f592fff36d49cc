"""GitHubHost, the git host interface on GitHub, against the contract server."""

import pytest

from provisioning.drivers.base import PermanentError, TransientError
from provisioning.git_host import get_host
from provisioning.git_host.github import GitHubHost, web_url


@pytest.fixture
def host(settings, github, tmp_path):
    settings.GIT_HOST = "github"
    settings.GITHUB_API_URL = github.url
    settings.GITHUB_ORG = "acme"
    settings.GITHUB_TOKEN = "ghp_contract"
    settings.GITHUB_APP_ID = ""
    settings.GIT_MIRROR_DIR = tmp_path / "mirrors"
    return get_host()


def test_get_host_loads_it_by_name(host):
    assert isinstance(host, GitHubHost)
    assert host.connection_status() == (
        True,
        f"GitHub organisation acme ({host.clone_url('x').rsplit('/acme/', 1)[0]}), as a token",
    )


def test_without_settings_it_says_what_to_set(settings):
    settings.GIT_HOST, settings.GITHUB_ORG, settings.GITHUB_TOKEN = "github", "", ""
    assert get_host().connection_status() == (
        False,
        "not connected: set GITHUB_ORG and GITHUB_TOKEN (or the GITHUB_APP_* settings)",
    )


@pytest.mark.parametrize(
    ("api", "web"),
    [
        ("https://api.github.com", "https://github.com"),
        ("https://git.example.com/api/v3", "https://git.example.com"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
    ],
)
def test_web_addresses_follow_the_api_address(api, web):
    assert web_url(api) == web


def test_write_then_read_through_github(host, github):
    assert host.exists("pay") is False
    assert host.ensure_repository("pay", description="Payments", topics=["python"]) is True
    assert host.ensure_repository("pay") is False
    assert github.topics["pay"] == ["python"]
    assert host.head("pay") is None and host.read_files("pay") == {}
    first, made = host.commit_files("pay", "main", {"a.txt": "one\n"}, "first")
    assert made and host.head("pay") == first
    again, made = host.commit_files("pay", "main", {"a.txt": "one\n"}, "same")
    assert (again, made) == (first, False)
    second, _ = host.commit_files("pay", "main", {"b.txt": "two\n"}, "second", expected_head=first)
    assert get_host().read_files("pay") == {"a.txt": "one\n", "b.txt": "two\n"}
    assert get_host().file_at("pay", first, "b.txt") is None
    assert set(get_host().list_files("pay", prefixes=["a.txt"])) == {"a.txt"}
    assert get_host().commit_time("pay", second) is not None
    with pytest.raises(TransientError, match="new commits on GitHub"):
        get_host().commit_files("pay", "main", {"c.txt": "x"}, "stale", expected_head=first)


def test_start_branch_pushes_a_new_branch_once(host, github):
    host.ensure_repository("pay")
    head, _ = host.commit_files("pay", "main", {"a.txt": "one\n"}, "first")
    assert host.start_branch("pay", "portal/upgrade") is True
    assert host.start_branch("pay", "portal/upgrade") is False
    assert get_host().head("pay", "portal/upgrade") == head


def test_the_gitops_repository_is_created_on_first_commit(host, github):
    host.commit_files("gitops", "main", {"apps/x/a.yaml": "a: 1\n"}, "first")
    assert "gitops" in github.repos


def test_committing_to_a_deleted_repository_says_so(host):
    with pytest.raises(PermanentError, match="acme/pay does not exist on GitHub"):
        host.commit_files("pay", "main", {"a.txt": "x"}, "m")


def test_pushes_use_the_clone_url_the_api_returned(host, github):
    host.ensure_repository("pay")
    github.repos["pay"]["clone_url"] = f"{github.url}/acme/pay-moved.git"
    with pytest.raises(Exception, match="pay-moved"):
        get_host().commit_files("pay", "main", {"a.txt": "x"}, "m")


def test_the_app_installation_can_do_the_same(settings, github, host, tmp_path):
    key = tmp_path / "app.pem"
    key.write_text(github.app_private_key)
    settings.GITHUB_TOKEN = ""
    settings.GITHUB_APP_ID = github.app_id
    settings.GITHUB_APP_PRIVATE_KEY_FILE = str(key)
    settings.GITHUB_APP_INSTALLATION_ID = github.installation_id
    app = get_host()
    assert app.connection_status()[1].endswith("as a GitHub App")
    app.ensure_repository("pay")
    app.commit_files("pay", "main", {"a.txt": "one\n"}, "first")
    assert get_host().read_files("pay") == {"a.txt": "one\n"}


def test_a_push_to_a_protected_branch_is_refused_with_what_to_do(host, github):
    host.ensure_repository("pay")
    head, _ = host.commit_files("pay", "main", {"a.txt": "one\n"}, "first")
    host.client.protect_branch("pay", "main", ["test"])
    with pytest.raises(PermanentError, match="branch protection refused.*GH006"):
        get_host().commit_files("pay", "main", {"a.txt": "two\n"}, "second")
    assert get_host().head("pay") == head
