"""Argo CD's view of each service's Applications: sync status, health, revision, last sync.

Reads go through Argo CD's REST API (`ARGOCD_SERVER`, a bearer `ARGOCD_TOKEN` that is never
stored or logged): one list call with a label selector per service, whatever the number of
environments; "Sync now" is one POST. Without ARGOCD_SERVER the portal is "not connected" and
nothing here is called. Answers are parsed by pure functions, tested against a loopback server
checked against Argo CD's published swagger (tests/provisioning/argocd/).
"""

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from idp_portal.timestamps import api_time

logger = logging.getLogger(__name__)
NOT_CONNECTED = "not connected: set ARGOCD_SERVER and ARGOCD_TOKEN"
# The label the portal's Applications carry (provisioning/golden_paths/argo.py).
SERVICE_LABEL = "app.kubernetes.io/name"
ENVIRONMENT_LABEL = "environment"


class ArgoError(Exception):
    """Argo CD answered badly or not at all; the message is readable as a state."""

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class AppState:
    """One Application as Argo CD reports it."""

    name: str
    environment: str
    sync: str  # Synced, OutOfSync, Unknown
    health: str  # Healthy, Progressing, Degraded, Suspended, Missing, Unknown
    health_message: str
    revision: str
    synced_at: datetime | None
    operation: str  # the last operation's phase: Running, Succeeded, Failed, Error, ""
    operation_message: str

    @property
    def is_done(self) -> bool:
        return self.sync == "Synced" and self.health == "Healthy"

    @property
    def is_degraded(self) -> bool:
        return self.health == "Degraded" or self.operation in {"Failed", "Error"}

    @property
    def why(self) -> str:
        """Argo CD's own words for a failure, or the health status."""
        return self.operation_message or self.health_message or self.health


def is_connected() -> bool:
    return bool(settings.ARGOCD_SERVER)


def connection_status() -> tuple[bool, str]:
    """(connected, a readable state) from the settings alone, no call."""
    if not settings.ARGOCD_SERVER:
        return False, NOT_CONNECTED
    if not settings.ARGOCD_TOKEN:
        return False, "not connected: ARGOCD_SERVER is set but ARGOCD_TOKEN is not"
    return True, f"connected to {settings.ARGOCD_SERVER}"


def parse_application(body: object) -> AppState:
    """An AppState from a v1alpha1Application (pure)."""
    if not isinstance(body, dict):
        raise ArgoError("Argo CD answered with something that is not an Application")
    meta, status = body.get("metadata") or {}, body.get("status") or {}
    sync, health = status.get("sync") or {}, status.get("health") or {}
    operation = status.get("operationState") or {}
    history = status.get("history") or []
    last = history[-1] if history and isinstance(history[-1], dict) else {}
    return AppState(
        name=meta.get("name", ""),
        environment=(meta.get("labels") or {}).get(ENVIRONMENT_LABEL, ""),
        sync=sync.get("status") or "Unknown",
        health=health.get("status") or "Unknown",
        health_message=health.get("message") or "",
        revision=sync.get("revision") or "",
        synced_at=api_time(operation.get("finishedAt")) or api_time(last.get("deployedAt")),
        operation=operation.get("phase") or "",
        operation_message=operation.get("message") or "",
    )


def parse_list(body: object) -> list[AppState]:
    """AppStates from a v1alpha1ApplicationList (pure)."""
    if not isinstance(body, dict):
        raise ArgoError("Argo CD answered with something that is not an application list")
    return [parse_application(item) for item in body.get("items") or []]


def _error_message(code: int, what: str, body: bytes) -> ArgoError:
    """Argo CD's runtimeError made readable, naming the setting to fix where one applies."""
    try:
        said = json.loads(body).get("message", "")
    except (ValueError, AttributeError):
        said = ""
    if code in (401, 403):
        return ArgoError(f"Argo CD refused ARGOCD_TOKEN (HTTP {code}): set a token that may {what}")
    if code == 404:
        # Transient: an Application appears once Argo CD has read the GitOps repository.
        detail = f": {said}" if said else ""
        return ArgoError(f"Argo CD has no such application (HTTP 404){detail}", transient=True)
    transient = code == 429 or code >= 500
    return ArgoError(
        f"Argo CD answered HTTP {code}{': ' + said[:200] if said else ''}", transient=transient
    )


def _call(method: str, path: str, what: str, body: dict | None = None) -> object:
    connected, status = connection_status()
    if not connected:
        raise ArgoError(status)
    url = settings.ARGOCD_SERVER.rstrip("/") + path
    data = json.dumps(body).encode() if body is not None else None
    # Only http(s) URLs reach here: settings.py refuses other schemes.
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    request.add_header("Accept", "application/json")
    request.add_header("Authorization", f"Bearer {settings.ARGOCD_TOKEN}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=settings.ARGOCD_TIMEOUT_SECONDS) as answer:  # noqa: S310
            return json.load(answer)
    except urllib.error.HTTPError as exc:
        raise _error_message(exc.code, what, exc.read()) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ArgoError(
            f"Argo CD at ARGOCD_SERVER is unreachable: {reason}", transient=True
        ) from None
    except ValueError:
        raise ArgoError("Argo CD answered with something that is not JSON") from None


def service_applications(service: str) -> dict[str, AppState]:
    """{environment name: AppState} of a service's Applications: one list call."""
    selector = urllib.parse.quote(f"{SERVICE_LABEL}={service}", safe="")
    apps = parse_list(
        _call("GET", f"/api/v1/applications?selector={selector}", "read applications")
    )
    return {app.environment or app.name: app for app in apps}


def application(name: str) -> AppState:
    quoted = urllib.parse.quote(name, safe="")
    return parse_application(_call("GET", f"/api/v1/applications/{quoted}", "read applications"))


def sync(name: str) -> AppState:
    """Ask Argo CD to sync `name` to its target revision now (prune as its policy says)."""
    quoted = urllib.parse.quote(name, safe="")
    body = {"name": name, "prune": True}
    return parse_application(
        _call("POST", f"/api/v1/applications/{quoted}/sync", "sync applications", body)
    )


def version() -> str:
    """Argo CD's version, for the integrations page's "Test connection" (one harmless read)."""
    body = _call("GET", "/api/version", "read the version")
    found = body.get("Version") if isinstance(body, dict) else None
    return f"connected: Argo CD {found or 'of unknown version'} at {settings.ARGOCD_SERVER}"


def application_name(service: str, environment: str) -> str:
    """The name provisioning/golden_paths/argo.py gives the Application."""
    return f"{service}-{environment}"
