"""The GitHub client against the contract server: calls, App tokens, and readable refusals."""

import subprocess
import time

import pytest

from provisioning.drivers.base import NotConnectedError, PermanentError, TransientError
from provisioning.git_host import github_api
from provisioning.git_host.github_api import Credentials, GitHubClient, RateLimited


def token_client(github, token="ghp_contract"):
    return GitHubClient(github.url, "acme", Credentials(token=token))


def app_client(github, prefix=""):
    creds = Credentials(
        app_id=github.app_id,
        private_key=github.app_private_key,
        installation_id=github.installation_id,
    )
    return GitHubClient(github.url + prefix, "acme", creds)


def test_it_creates_a_repository_whose_clone_url_accepts_a_push(github, tmp_path):
    client = token_client(github)
    repo = client.create_repo("pay", "Payments", "private")
    work = tmp_path / "work"
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    (work / "README.md").write_text("hello\n")
    subprocess.run(["git", "-C", str(work), "add", "."], check=True)
    subprocess.run(
        ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
        check=True,
    )
    header = f"http.extraHeader=Authorization: {client.basic_auth()}"
    pushed = subprocess.run(
        ["git", "-C", str(work), "-c", header, "push", repo["clone_url"], "HEAD:refs/heads/main"],
        capture_output=True,
        text=True,
    )
    assert pushed.returncode == 0, pushed.stderr
    shown = subprocess.run(
        ["git", "--git-dir", str(github.bare("pay")), "show", "main:README.md"],
        capture_output=True,
        text=True,
    )
    assert shown.stdout == "hello\n"
    assert client.get_repo("pay")["full_name"] == "acme/pay"


def test_a_push_without_the_token_is_refused(github, tmp_path):
    token_client(github).create_repo("pay", "Payments", "private")
    listed = subprocess.run(
        ["git", "ls-remote", f"{github.url}/acme/pay.git"],
        capture_output=True,
        text=True,
        env={"GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/bin:/bin"},
    )
    assert listed.returncode != 0


def test_a_missing_repository_reads_as_none(github):
    assert token_client(github).get_repo("nothing") is None


def test_the_app_exchanges_its_key_for_one_installation_token(github):
    client = app_client(github, prefix="/api/v3")  # GitHub Enterprise Server's API prefix
    client.create_repo("pay", "Payments", "private")
    client.get_repo("pay")
    exchanges = [c for c in github.calls if c.path.endswith("/access_tokens")]
    assert len(exchanges) == 1
    assert client.token().startswith("ghs_")


def test_a_revoked_installation_token_is_renewed_once(github):
    client = app_client(github)
    first = client.token()
    github.revoke(first)
    assert client.get_repo("pay") is None
    assert client.token() != first


def test_a_wrong_app_key_names_the_settings_to_fix(github):
    other = app_client(github)
    other.credentials.installation_id = "999"
    with pytest.raises(PermanentError, match="GITHUB_APP_INSTALLATION_ID names no installation"):
        other.get_repo("pay")


def test_a_refused_token_names_the_setting(github):
    with pytest.raises(PermanentError, match=r"GITHUB_TOKEN was refused \(401: Bad credentials\)"):
        token_client(github, token="ghp_revoked").get_repo("pay")


def test_a_taken_name_says_so(github):
    github.add_repo_outside_portal("pay")
    with pytest.raises(PermanentError, match="name already exists on this account"):
        token_client(github).create_repo("pay", "Payments", "private")


def test_a_secondary_rate_limit_is_transient_with_githubs_wait(github):
    body = {"message": "You have exceeded a secondary rate limit.", "documentation_url": "x"}
    github.fail("GET", "/repos/acme/pay", 403, body)
    with pytest.raises(RateLimited) as limited:
        token_client(github).get_repo("pay")
    assert limited.value.retry_after == 60.0


def test_retry_after_is_honoured(github, monkeypatch):
    original = github.respond

    def limited(call):
        reply = original(call)
        if call.path == "/repos/acme/pay":
            reply.status, reply.headers = 429, {"retry-after": "17"}
            reply.body = {"message": "slow down", "documentation_url": "x"}
        return reply

    monkeypatch.setattr(github, "respond", limited)
    with pytest.raises(TransientError) as error:
        token_client(github).get_repo("pay")
    assert error.value.retry_after == 17.0
    assert "wait 17s" in str(error.value)


def test_a_server_error_is_transient(github):
    github.fail("GET", "/repos/acme/pay", 502)
    with pytest.raises(TransientError):
        token_client(github).get_repo("pay")


def test_protection_team_variables_secrets_and_runs(github):
    client = token_client(github)
    client.create_repo("pay", "Payments", "private")
    github.add_repo_outside_portal("tmp")  # gives a branch to protect in a second repository
    client.protect_branch("tmp", "main", ["test", "build"])
    assert github.protection[("tmp", "main")]["required_status_checks"]["checks"] == [
        {"context": "test"},
        {"context": "build"},
    ]
    client.grant_team("pay", "payments")
    assert github.team_permissions[("payments", "pay")] == "maintain"
    assert client.set_variable("pay", "IMAGE", "a") is True
    assert client.set_variable("pay", "IMAGE", "a") is False
    assert client.set_variable("pay", "IMAGE", "b") is True
    assert github.variables["pay"] == {"IMAGE": "b"}
    client.set_secret("pay", "DEPLOY_TOKEN", "s3cret")
    assert set(github.secrets["pay"]) == {"DEPLOY_TOKEN"}
    assert client.workflow_runs("pay", "main") == []


def test_protecting_a_branch_that_does_not_exist_is_refused(github):
    client = token_client(github)
    client.create_repo("pay", "Payments", "private")
    with pytest.raises(PermanentError, match="Branch not found"):
        client.protect_branch("pay", "main", ["test"])


def test_an_unknown_team_says_what_to_create(github):
    client = token_client(github)
    client.create_repo("pay", "Payments", "private")
    with pytest.raises(PermanentError, match="no team 'ghosts' in acme"):
        client.grant_team("pay", "ghosts")


def test_without_settings_it_is_not_connected(settings):
    settings.GITHUB_ORG, settings.GITHUB_TOKEN, settings.GITHUB_APP_ID = "", "", ""
    with pytest.raises(NotConnectedError, match="set GITHUB_ORG and GITHUB_TOKEN"):
        github_api.GitHubClient.from_settings()


def test_an_unreadable_app_key_file_names_the_setting(settings, tmp_path):
    settings.GITHUB_ORG, settings.GITHUB_TOKEN, settings.GITHUB_APP_ID = "acme", "", "1"
    settings.GITHUB_APP_PRIVATE_KEY_FILE = tmp_path / "missing.pem"
    with pytest.raises(NotConnectedError, match="GITHUB_APP_PRIVATE_KEY_FILE"):
        github_api.GitHubClient.from_settings()


def test_the_contract_server_refuses_a_request_outside_the_description(github):
    client = token_client(github)
    with pytest.raises(PermanentError, match="422"):
        client.call("PUT", "/repos/acme/pay/topics", json={"topics": ["x"]}, what="set topics")
    assert github.violations  # the fixture would fail the test; this one expects it
    github.violations.clear()


def test_a_spent_primary_rate_limit_waits_until_its_reset(github, monkeypatch):
    original = github.respond
    reset = int(time.time()) + 120

    def spent(call):
        reply = original(call)
        reply.status, reply.body = (
            403,
            {"message": "API rate limit exceeded", "documentation_url": "x"},
        )
        reply.headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
        return reply

    monkeypatch.setattr(github, "respond", spent)
    with pytest.raises(RateLimited) as limited:
        token_client(github).get_repo("pay")
    assert 100 < limited.value.retry_after <= 120
