"""A signed-in user creating services over HTTP, as a person or a script does.

Two ways in, both what users have: the JSON API (`POST /api/provisioning/requests`, session
and CSRF token) and the wizard's form (`POST /provisioning/create-service/<slug>/` with
action=create, which redirects to the request page). Either way the request is then polled
through `GET /api/provisioning/requests/<id>` until it ends.

runserver's autoreloader restarts the web server whenever a file in the checkout changes (other
people work in it): a call that meets a closed connection is sent again once the server is
back, with the same idempotency key, so a restart never makes a second service.
"""

import re
import time
import uuid
from dataclasses import dataclass, field

import requests

TERMINAL = {"succeeded", "failed", "cancelled"}
RETRY_FOR_S = 60  # longest wait for a restarting web server before giving up


class CreateError(Exception):
    """The portal refused to create the service; the message says what it answered."""


@dataclass
class Sample:
    """One service: client wall-clock times and, once it ends, the request's final state."""

    name: str
    golden_path: str
    clicked_at: float = 0.0  # time.time() just before the create call
    accepted_s: float | None = None  # until the portal answered 201 / the redirect
    observed_s: float | None = None  # until a poll first saw the request end
    request_id: int | None = None
    state: str = ""
    error: str = ""
    retries: int = 0
    server: dict = field(default_factory=dict)  # filled from the database afterwards


class PortalClient:
    def __init__(self, base_url: str, poll_s: float = 0.25) -> None:
        self.base, self.poll_s = base_url, poll_s
        self.http = requests.Session()
        self.retries = 0

    def clone(self) -> "PortalClient":
        """Another connection with the same sign-in, for one thread of a concurrent run."""
        other = PortalClient(self.base, self.poll_s)
        other.http.cookies.update(self.http.cookies)
        return other

    # --- HTTP with retries over server restarts -------------------------------------------

    def _send(self, method: str, path: str, **kwargs) -> requests.Response:
        deadline = time.monotonic() + RETRY_FOR_S
        while True:
            try:
                return self.http.request(method, self.base + path, timeout=60, **kwargs)
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                self.retries += 1
                time.sleep(0.5)

    def _csrf(self) -> str:
        return self.http.cookies.get("csrftoken", "")

    # --- what a user does ------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> None:
        self._send("GET", "/accounts/login/")
        response = self._send(
            "POST",
            "/accounts/login/",
            data={"login": username, "password": password, "csrfmiddlewaretoken": self._csrf()},
            allow_redirects=False,
        )
        if response.status_code != 302 or "sessionid" not in self.http.cookies:
            raise CreateError(f"could not sign in as {username} (HTTP {response.status_code})")

    def golden_path_defaults(self) -> dict[str, dict]:
        """slug -> {parameter: default} of every published golden path."""
        body = self._send("GET", "/api/provisioning/golden-paths").json()
        return {
            gp["slug"]: {p["name"]: p["default"] for p in gp["parameters"] if "default" in p}
            for gp in body["golden_paths"]
        }

    def create_by_api(self, sample: Sample, team: str, environment: str) -> None:
        body = {
            "type": "service",
            "service": sample.name,
            "environment": environment,
            "parameters": {
                "golden_path": sample.golden_path,
                "owner": team,
                "description": f"Benchmark service {sample.name}",
            },
        }
        headers = {"X-CSRFToken": self._csrf(), "Idempotency-Key": uuid.uuid4().hex}
        sample.clicked_at = time.time()
        response = self._send("POST", "/api/provisioning/requests", json=body, headers=headers)
        sample.accepted_s = time.time() - sample.clicked_at
        if response.status_code != 201:
            raise CreateError(f"API answered {response.status_code}: {response.text[:300]}")
        sample.request_id = response.json()["id"]

    def create_by_wizard(self, sample: Sample, team: str, defaults: dict) -> None:
        """The wizard's parameters page (untimed, as the user fills it in), then Create."""
        path = f"/provisioning/create-service/{sample.golden_path}/"
        page = self._send("GET", path).text
        key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page)
        data = {
            **{k: str(v) for k, v in defaults.items()},
            "name": sample.name,
            "owner": team,
            "description": f"Benchmark service {sample.name}",
            "idempotency_key": key[1] if key else uuid.uuid4().hex,
            "csrfmiddlewaretoken": self._csrf(),
            "action": "preview",
        }
        # Create goes through only with the answers of a plan that was shown.
        shown = self._send("POST", path, data=data).text
        planned = re.search(r'name="planned" value="([^"]+)"', shown)
        data.update(action="create", planned=planned[1] if planned else "")
        sample.clicked_at = time.time()
        response = self._send("POST", path, data=data, allow_redirects=False)
        sample.accepted_s = time.time() - sample.clicked_at
        found = re.search(r"/provisioning/requests/(\d+)/", response.headers.get("Location", ""))
        if response.status_code != 302 or not found:
            errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>\s*([^<]+)', response.text)
            raise CreateError(f"wizard answered {response.status_code}: {errors[:3] or '?'}")
        sample.request_id = int(found[1])

    def state(self, request_id: int) -> str:
        response = self._send("GET", f"/api/provisioning/requests/{request_id}")
        response.raise_for_status()
        return response.json()["state"]

    def wait_until_done(self, samples: list[Sample], timeout_s: float) -> None:
        """Poll every unfinished request until it ends, or until `timeout_s` after the last
        was created (the rest keep the state last seen)."""
        deadline = time.monotonic() + timeout_s
        pending = [s for s in samples if s.request_id and not s.state]
        while pending and time.monotonic() < deadline:
            for sample in list(pending):
                state = self.state(sample.request_id)
                if state in TERMINAL:
                    sample.observed_s = time.time() - sample.clicked_at
                    sample.state = state
                    pending.remove(sample)
            if pending:
                time.sleep(self.poll_s)
        for sample in pending:
            sample.state = f"{self.state(sample.request_id)} after {timeout_s:.0f} s"
