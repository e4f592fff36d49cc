"""A small client for the parts of GitHub's REST API the portal calls, with readable errors.

Written on `requests` rather than PyGithub or githubkit: the portal calls a dozen endpoints, and
it needs two things those clients decide for it. It must never sleep in a worker (PyGithub's
retry waits out secondary rate limits in-process; here a limit becomes a TransientError carrying
`retry-after`, and the engine schedules the retry), and every refusal must name the setting to
fix (GITHUB_TOKEN, GITHUB_APP_*, GITHUB_ORG) rather than surface a library exception.

Authentication is a GitHub App installation (a JWT signed RS256 with the App's private key is
exchanged for an installation token, kept until five minutes before it expires) or a
fine-grained personal access token. Tokens live only in memory.
"""

import base64
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jwt
import requests
from nacl.public import PublicKey, SealedBox

from provisioning.drivers.base import NotConnectedError, PermanentError, TransientError

TIMEOUT = (5, 30)  # connect, read: a hung API must not hold a worker for the task's time limit
API_VERSION = "2022-11-28"
TOKEN_MARGIN = 300  # seconds before expiry when an installation token is renewed


class RateLimited(TransientError):
    """GitHub's primary or secondary rate limit; `retry_after` says when to try again."""


@dataclass
class Credentials:
    """How the portal signs in: a token, or a GitHub App installation."""

    token: str = ""
    app_id: str = ""
    private_key: str = ""
    installation_id: str = ""
    _cached: tuple[str, float] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def is_app(self) -> bool:
        return bool(self.app_id)

    @property
    def setting(self) -> str:
        """The settings a person changes when GitHub refuses these credentials."""
        if self.is_app:
            return "GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY_FILE and GITHUB_APP_INSTALLATION_ID"
        return "GITHUB_TOKEN"

    def app_jwt(self) -> str:
        """A JWT for the App itself, valid ten minutes (back-dated a minute for clock skew)."""
        now = int(time.time())
        claims = {"iat": now - 60, "exp": now + 540, "iss": str(self.app_id)}
        try:
            return jwt.encode(claims, self.private_key, algorithm="RS256")
        except (ValueError, TypeError) as exc:
            raise PermanentError(
                f"GITHUB_APP_PRIVATE_KEY_FILE does not hold a usable RSA private key ({exc}): "
                "download a new private key from the App's settings page"
            ) from None


class GitHubClient:
    """Calls to one GitHub (github.com or an Enterprise Server) for one organisation."""

    def __init__(self, api_url: str, org: str, credentials: Credentials) -> None:
        self.api_url = api_url.rstrip("/")
        self.org = org
        self.credentials = credentials
        self.session = requests.Session()

    @classmethod
    def from_settings(cls) -> "GitHubClient":
        """The client the settings describe; NotConnectedError naming what to set otherwise."""
        from django.conf import settings

        token, app_id = settings.GITHUB_TOKEN, settings.GITHUB_APP_ID
        if not settings.GITHUB_ORG or not (token or app_id):
            raise NotConnectedError(
                "not connected: set GITHUB_ORG and GITHUB_TOKEN (or the GITHUB_APP_* settings)"
            )
        key = ""
        if app_id:
            key = _read_key(settings.GITHUB_APP_PRIVATE_KEY_FILE)
        creds = Credentials(token, app_id, key, settings.GITHUB_APP_INSTALLATION_ID)
        return _shared(settings.GITHUB_API_URL, settings.GITHUB_ORG, creds)

    # --- authentication ----------------------------------------------------------------------

    def token(self) -> str:
        """The token git and the API use: the PAT, or a cached installation token."""
        creds = self.credentials
        if not creds.is_app:
            return creds.token
        with creds._lock:
            if creds._cached and creds._cached[1] - TOKEN_MARGIN > time.time():
                return creds._cached[0]
            answer = self._send(
                "POST",
                f"/app/installations/{creds.installation_id}/access_tokens",
                auth=f"Bearer {creds.app_jwt()}",
                what="exchange the App's key for an installation token",
            ).json()
            expires = datetime.fromisoformat(answer["expires_at"].replace("Z", "+00:00"))
            creds._cached = (answer["token"], expires.timestamp())
            return answer["token"]

    def forget_token(self) -> None:
        self.credentials._cached = None

    def basic_auth(self) -> str:
        """The `Authorization` header value git sends to push over HTTPS with the token."""
        pair = f"x-access-token:{self.token()}".encode()
        return f"Basic {base64.b64encode(pair).decode()}"

    # --- calls -------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict | None = None,
        what: str,
        timeout: tuple[float, float] = TIMEOUT,
    ) -> requests.Response:
        """One API call with the current token; an App token refused once is renewed once."""
        send = {"json": json, "params": params, "what": what, "timeout": timeout}
        try:
            return self._send(method, path, **send)
        except PermanentError as exc:
            if not (self.credentials.is_app and getattr(exc, "status", None) == 401):
                raise
        self.forget_token()  # revoked or expired early: a fresh one, then the error stands
        return self._send(method, path, **send)

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict | None = None,
        what: str,
        auth: str | None = None,
        timeout: tuple[float, float] = TIMEOUT,
    ) -> requests.Response:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "Authorization": auth or f"Bearer {self.token()}",
        }
        try:
            response = self.session.request(
                method, self.api_url + path, json=json, params=params, headers=headers,
                timeout=timeout,
            )  # fmt: skip
        except requests.RequestException as exc:
            raise TransientError(
                f"GitHub did not answer to {what} ({exc.__class__.__name__})"
            ) from None
        if response.status_code >= 400:
            raise self._error(response, what, token_exchange=auth is not None)
        return response

    def _error(self, response: requests.Response, what: str, token_exchange: bool) -> Exception:
        return github_error(response, what, self.credentials.setting, self.org, token_exchange)

    # --- repositories ------------------------------------------------------------------------

    def repo_path(self, name: str) -> str:
        return f"/repos/{quote(self.org)}/{quote(name)}"

    def get_repo(self, name: str) -> dict | None:
        """The repository's description, or None when the organisation has none of that name."""
        try:
            return self.call("GET", self.repo_path(name), what=f"read {self.org}/{name}").json()
        except PermanentError as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise

    def create_repo(self, name: str, description: str, visibility: str) -> dict:
        body = {
            "name": name,
            "description": description,
            "visibility": visibility,
            "auto_init": False,  # the portal pushes the first commit (the rendered skeleton)
            "has_wiki": False,
        }
        what = f"create {self.org}/{name}"
        return self.call("POST", f"/orgs/{quote(self.org)}/repos", json=body, what=what).json()

    def update_repo(self, name: str, **fields: Any) -> dict:
        what = f"update {self.org}/{name}"
        return self.call("PATCH", self.repo_path(name), json=fields, what=what).json()

    def replace_topics(self, name: str, topics: list[str]) -> list[str]:
        what = f"set the topics of {self.org}/{name}"
        answer = self.call(
            "PUT", f"{self.repo_path(name)}/topics", json={"names": topics}, what=what
        )
        return answer.json()["names"]

    def protect_branch(self, name: str, branch: str, checks: list[str], reviews: int = 1) -> dict:
        """Required status checks (strict) and required reviews on `branch`; replaces the rule."""
        body = {
            "required_status_checks": {
                "strict": True,
                # Deprecated but still required by the schema; `checks` is what GitHub uses.
                "contexts": [],
                "checks": [{"context": check} for check in checks],
            },
            "enforce_admins": False,
            "required_pull_request_reviews": {
                "dismiss_stale_reviews": True,
                "required_approving_review_count": reviews,
            },
            "restrictions": None,
        }
        path = f"{self.repo_path(name)}/branches/{quote(branch, safe='')}/protection"
        what = f"protect {branch} of {self.org}/{name}"
        return self.call("PUT", path, json=body, what=what).json()

    def is_protected(self, name: str, branch: str) -> bool:
        path = f"{self.repo_path(name)}/branches/{quote(branch, safe='')}/protection"
        try:
            self.call("GET", path, what=f"read the protection of {branch} of {self.org}/{name}")
        except PermanentError as exc:
            if getattr(exc, "status", None) == 404:
                return False
            raise
        return True

    def open_pull_request(self, name: str, head: str, base: str, title: str, body: str) -> dict:
        """The open pull request from `head` into `base`, opened unless there is one already."""
        what = f"open a pull request from {head} in {self.org}/{name}"
        path = f"{self.repo_path(name)}/pulls"
        query = {"head": f"{self.org}:{head}", "base": base, "state": "open"}
        if found := self.call("GET", path, params=query, what=what).json():
            return found[0]
        body_json = {"title": title, "head": head, "base": base, "body": body}
        return self.call("POST", path, json=body_json, what=what).json()

    def grant_team(self, name: str, team_slug: str, permission: str = "maintain") -> None:
        path = f"/orgs/{quote(self.org)}/teams/{quote(team_slug)}/repos/{quote(self.org)}/"
        what = f"give the team {team_slug} '{permission}' on {self.org}/{name}"
        try:
            self.call("PUT", path + quote(name), json={"permission": permission}, what=what)
        except PermanentError as exc:
            if getattr(exc, "status", None) == 404:
                raise PermanentError(
                    f"GitHub has no team '{team_slug}' in {self.org}: create it (its slug must "
                    "be the catalog team's name), then retry"
                ) from None
            raise

    # --- Actions -----------------------------------------------------------------------------

    def set_variable(self, name: str, key: str, value: str) -> bool:
        """Create or update an Actions variable; whether anything changed."""
        base = f"{self.repo_path(name)}/actions/variables"
        what = f"set the Actions variable {key} of {self.org}/{name}"
        try:
            current = self.call("GET", f"{base}/{quote(key)}", what=what).json()
        except PermanentError as exc:
            if getattr(exc, "status", None) != 404:
                raise
            self.call("POST", base, json={"name": key, "value": value}, what=what)
            return True
        if current.get("value") == value:
            return False
        self.call("PATCH", f"{base}/{quote(key)}", json={"name": key, "value": value}, what=what)
        return True

    def set_secret(self, name: str, key: str, value: str) -> None:
        """Store an Actions secret, sealed with the repository's public key (libsodium)."""
        base = f"{self.repo_path(name)}/actions/secrets"
        what = f"set the Actions secret {key} of {self.org}/{name}"
        public = self.call("GET", f"{base}/public-key", what=what).json()
        sealed = SealedBox(PublicKey(base64.b64decode(public["key"]))).encrypt(value.encode())
        body = {"encrypted_value": base64.b64encode(sealed).decode(), "key_id": public["key_id"]}
        self.call("PUT", f"{base}/{quote(key)}", json=body, what=what)

    def workflow_runs(
        self, name: str, branch: str = "", limit: int = 5, timeout: tuple[float, float] = TIMEOUT
    ) -> list[dict]:
        params: dict[str, Any] = {"per_page": limit}
        if branch:
            params["branch"] = branch
        what = f"read the workflow runs of {self.org}/{name}"
        answer = self.call(
            "GET", f"{self.repo_path(name)}/actions/runs", params=params, what=what, timeout=timeout
        )
        return answer.json()["workflow_runs"]


def github_error(
    response: requests.Response, what: str, setting: str, org: str, token_exchange: bool
) -> Exception:
    """The driver error for a refused call, naming the setting or input to change."""
    status = response.status_code
    said = _message(response)
    retry = _retry_after(response)
    if retry is not None:
        return RateLimited(
            f"GitHub's rate limit stopped the call to {what} ({status}: {said}); "
            f"GitHub asks to wait {retry:.0f}s",
            retry_after=retry,
        )
    if status >= 500:
        return TransientError(f"GitHub failed to {what} ({status}: {said})")
    if status == 401:
        fix = (
            "check the App id and download a new private key from the App's settings page"
            if token_exchange
            else f"create a new credential and set {setting}"
        )
        error: Exception = PermanentError(
            f"{setting} was refused ({status}: {said}) to {what}: {fix}"
        )
    elif status == 403:
        error = PermanentError(
            f"GitHub refused to {what} (403: {said}): give the credentials in {setting} that "
            "permission (repository administration, Actions, members) in the organisation "
            f"{org}"
        )
    elif status == 404 and token_exchange:
        error = PermanentError(
            f"GITHUB_APP_INSTALLATION_ID names no installation of the App (404): install the "
            f"App on {org} and set that installation's id"
        )
    else:
        details = "; ".join(_detail(e) for e in _errors(response))
        error = PermanentError(
            f"GitHub refused to {what} ({status}: {said}{': ' + details if details else ''})"
        )
    # A refused token exchange is about the credentials, never about the resource called for.
    error.status = None if token_exchange else status  # type: ignore[attr-defined]
    error.errors = _errors(response)  # type: ignore[attr-defined]
    return error


def _detail(error: dict | str) -> str:
    if isinstance(error, str):
        return error
    return str(error.get("message") or f"{error.get('field')} {error.get('code')}")


def _retry_after(response: requests.Response) -> float | None:
    """Seconds to wait when the answer is a primary or secondary rate limit, else None."""
    if response.status_code not in (403, 429):
        return None
    headers = response.headers
    if headers.get("retry-after", "").strip().isdigit():
        return float(headers["retry-after"])
    if headers.get("x-ratelimit-remaining") == "0":
        reset = headers.get("x-ratelimit-reset", "")
        return max(1.0, float(reset) - time.time()) if reset.isdigit() else 60.0
    if response.status_code == 429 or "secondary rate limit" in _message(response).lower():
        return 60.0  # GitHub's advice when a secondary limit names no time: at least a minute
    return None


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason
    return str(body.get("message", ""))[:300] if isinstance(body, dict) else str(body)[:200]


def _errors(response: requests.Response) -> list[dict | str]:
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in (errors or []) if isinstance(e, dict | str)]


def _read_key(path: Path | str) -> str:
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise NotConnectedError(
            f"not connected: GITHUB_APP_PRIVATE_KEY_FILE ({path}) cannot be read "
            f"({exc.strerror}): point it at the App's private key (.pem)"
        ) from None


_clients: dict[tuple, GitHubClient] = {}


def _shared(api_url: str, org: str, creds: Credentials) -> GitHubClient:
    """One client per configuration in a process, so an installation token is reused."""
    key = (api_url, org, creds.token, creds.app_id, creds.installation_id, creds.private_key)
    if key not in _clients:
        _clients[key] = GitHubClient(api_url, org, creds)
    return _clients[key]
