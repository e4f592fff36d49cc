"""SSO sign-in admits only allowed GitHub organisations and OIDC e-mail domains."""

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialLogin, SocialToken
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.signed_cookies import SessionStore

from idp_portal.auth import PortalSocialAccountAdapter
from idp_portal.models import AuditEvent
from tests.helpers import run_portal

TOKEN = "gho_test-token"  # noqa: S105


class FakeGitHub(BaseHTTPRequestHandler):
    """GitHub's `GET /user/memberships/orgs` as documented: a JSON array of memberships, paged
    with a `Link: <...>; rel="next"` header; 401 for a bad token."""

    memberships: list[dict] = []
    page_size = 2
    requests: list[str] = []
    next_base = ""  # set to make the `next` link point elsewhere

    def do_GET(self):
        url = urlsplit(self.path)
        FakeGitHub.requests.append(self.path)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._answer(401, {"message": "Bad credentials"})
        if url.path != "/user/memberships/orgs":
            return self._answer(404, {"message": "Not Found"})
        query = parse_qs(url.query)
        state = query.get("state", [""])[0]
        rows = [m for m in self.memberships if not state or m["state"] == state]
        page = int(query.get("page", ["1"])[0])
        start = (page - 1) * self.page_size
        headers = {}
        if start + self.page_size < len(rows):
            base = FakeGitHub.next_base or f"http://{self.headers['Host']}{url.path}"
            headers["Link"] = f'<{base}?state={state}&page={page + 1}>; rel="next"'
        return self._answer(200, rows[start : start + self.page_size], headers)

    def _answer(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def membership(org: str, state: str = "active") -> dict:
    return {
        "url": f"https://api.github.com/orgs/{org}/memberships/octocat",
        "state": state,
        "role": "member",
        "organization_url": f"https://api.github.com/orgs/{org}",
        "organization": {"login": org, "id": 1, "url": f"https://api.github.com/orgs/{org}"},
        "user": {"login": "octocat", "id": 583231},
    }


@pytest.fixture
def github(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGitHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeGitHub.memberships, FakeGitHub.requests = [], []
    settings.GITHUB_API_URL = f"http://127.0.0.1:{server.server_port}"
    settings.GITHUB_ALLOWED_ORGS = {"acme"}
    yield FakeGitHub
    server.shutdown()
    server.server_close()


@pytest.fixture
def request_(rf):
    request = rf.get("/accounts/github/login/callback/")
    request.user, request.session = AnonymousUser(), SessionStore()
    return request


def github_login(token=TOKEN) -> SocialLogin:
    account = SocialAccount(provider="github", uid="583231", extra_data={"login": "octocat"})
    return SocialLogin(
        account=account,
        token=SocialToken(account=account, token=token),
        provider=SimpleNamespace(id="github", name="GitHub"),
    )


def oidc_login(email: str, verified: bool = True) -> SocialLogin:
    account = SocialAccount(provider="sso", uid="u-1", extra_data={"email": email})
    return SocialLogin(
        account=account,
        email_addresses=[EmailAddress(email=email, verified=verified, primary=True)],
        provider=SimpleNamespace(id="openid_connect", name="Acme SSO"),
    )


def sign_in(request, sociallogin):
    """None when admitted; the refusal page otherwise."""
    try:
        PortalSocialAccountAdapter(request).pre_social_login(request, sociallogin)
    except ImmediateHttpResponse as refusal:
        return refusal.response
    return None


# --- GitHub ----------------------------------------------------------------------------------
def test_a_member_of_an_allowed_organisation_is_admitted(github, request_, db):
    github.memberships = [membership("other"), membership("ACME")]
    assert sign_in(request_, github_login()) is None
    assert github.requests == ["/user/memberships/orgs?state=active&per_page=100"]


def test_membership_on_a_later_page_counts(github, request_, db):
    github.memberships = [membership(f"org{i}") for i in range(5)] + [membership("acme")]
    assert sign_in(request_, github_login()) is None
    assert len(github.requests) == 3


def test_the_token_never_follows_a_next_link_to_another_host(github, request_, db, settings):
    github.memberships = [membership("acme"), membership("b"), membership("c")]
    # Same prefix, another port: a prefix test would send the token there (and fail).
    github.next_base = f"{settings.GITHUB_API_URL}0/user/memberships/orgs"
    try:
        assert sign_in(request_, github_login()) is None  # page 1 already names acme
    finally:
        github.next_base = ""
    assert len(github.requests) == 1


def test_someone_outside_the_organisations_is_refused_with_the_reason(github, request_, db):
    github.memberships = [membership("other")]
    page = sign_in(request_, github_login())
    assert page.status_code == 403
    html = page.content.decode()
    assert "not a member of an admitted organisation" in html
    assert "ask the platform team" in html and "github:octocat" in html


def test_a_pending_invitation_is_not_membership(github, request_, db):
    github.memberships = [membership("acme", state="pending")]
    assert sign_in(request_, github_login()).status_code == 403


def test_a_refusal_is_audited(github, request_, db):
    sign_in(request_, github_login())
    event = AuditEvent.objects.get(action="auth.sso_refused")
    assert (event.outcome, event.actor_name, event.actor) == ("denied", "github:octocat", None)
    assert "GitHub: your GitHub account is not a member" in event.detail


def test_when_github_cannot_answer_the_sign_in_is_refused(github, request_, db):
    page = sign_in(request_, github_login(token="revoked"))  # GitHub answers 401
    assert page.status_code == 403
    assert "GitHub did not answer" in page.content.decode()


def test_without_an_allow_list_github_is_not_asked(github, request_, settings, db):
    settings.GITHUB_ALLOWED_ORGS = set()
    assert sign_in(request_, github_login()) is None
    assert github.requests == []


# --- OIDC ------------------------------------------------------------------------------------
@pytest.fixture
def domains(settings):
    settings.OIDC_ALLOWED_DOMAINS = {"acme.com"}


def test_a_verified_address_at_an_allowed_domain_is_admitted(request_, domains, db):
    assert sign_in(request_, oidc_login("dana@Acme.com")) is None


def test_an_address_at_another_domain_is_refused(request_, domains, db):
    page = sign_in(request_, oidc_login("dana@gmail.com"))
    assert page.status_code == 403
    assert "addresses at gmail.com are not admitted" in page.content.decode()
    assert AuditEvent.objects.get(action="auth.sso_refused").actor_name == "sso:dana@gmail.com"


def test_a_subdomain_lookalike_is_refused(request_, domains, db):
    assert sign_in(request_, oidc_login("dana@acme.com.evil.io")).status_code == 403


def test_an_unverified_address_is_refused_even_at_an_allowed_domain(request_, domains, db):
    page = sign_in(request_, oidc_login("dana@acme.com", verified=False))
    assert page.status_code == 403
    assert "did not confirm a verified e-mail address" in page.content.decode()


def test_without_allowed_domains_any_address_is_admitted(request_, settings, db):
    settings.OIDC_ALLOWED_DOMAINS = set()
    assert sign_in(request_, oidc_login("dana@gmail.com")) is None


# --- settings and the deploy check -----------------------------------------------------------
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "portal.example.com",
    "GITHUB_CLIENT_ID": "gh-id",
    "OIDC_CLIENT_ID": "portal",
    "OIDC_SERVER_URL": "https://sso.example.com/realms/eng",
}


def test_the_deploy_check_warns_about_sso_without_allow_lists(tmp_path):
    result = run_portal(["check", "--deploy"], {"IDP_DATA_DIR": str(tmp_path), **PRODUCTION})
    assert "idp_portal.W001" in result.stderr and "GITHUB_ALLOWED_ORGS" in result.stderr
    assert "idp_portal.W002" in result.stderr and "OIDC_ALLOWED_DOMAINS" in result.stderr


def test_the_deploy_check_is_quiet_with_allow_lists(tmp_path):
    env = {**PRODUCTION, "GITHUB_ALLOWED_ORGS": "acme", "OIDC_ALLOWED_DOMAINS": "acme.com"}
    result = run_portal(
        ["check", "--deploy", "--fail-level", "WARNING"], {"IDP_DATA_DIR": str(tmp_path), **env}
    )
    assert result.returncode == 0, result.stderr


ALLOW_LISTS_IN_CHILD = (
    "import django; django.setup(); from django.conf import settings;"
    "print(sorted(settings.GITHUB_ALLOWED_ORGS), sorted(settings.OIDC_ALLOWED_DOMAINS))"
)


def test_the_allow_lists_are_comma_lists_compared_without_case(tmp_path):
    result = run_portal(
        ["-c", ALLOW_LISTS_IN_CHILD],
        {
            "DEBUG": "true",
            "IDP_DATA_DIR": str(tmp_path),
            "GITHUB_ALLOWED_ORGS": " Acme, acme-labs ,",
            "OIDC_ALLOWED_DOMAINS": "Acme.com",
        },
    )
    assert result.stdout.strip() == "['acme', 'acme-labs'] ['acme.com']"
