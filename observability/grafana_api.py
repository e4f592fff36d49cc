"""Grafana's HTTP API: each team's folder and each service's dashboard, from the same JSON the
bundle's ConfigMap carries. Plain `requests` (already a dependency): the `grafana-client`
library depends on niquests, whose urllib3-future replaces `urllib3` in the whole environment
at interpreter start, which breaks the Kubernetes client.

`sync_dashboards(names)` runs in the worker when a request that wrote observability bundles
finishes (the after-request hook, before coverage is refreshed): per service and environment,
1. find the team's folder by uid (GET /api/folders/<uid>), create it when absent;
2. create or overwrite the dashboard (POST /api/dashboards/db, overwrite, folderUid);
3. store the uid and the address Grafana answered (GrafanaDashboard), or why it failed.
Rate limits, 5xx and timeouts are retried a few times; the token is never stored or logged.
Without GRAFANA_URL and GRAFANA_TOKEN nothing is called and the page says "not connected".
"""

import logging
import time
from collections.abc import Callable

import requests
from django.utils import timezone

from catalog.models import Component
from observability import conf, dashboards
from observability.bundle import k8s_name
from observability.models import GrafanaDashboard
from provisioning.models import Environment

logger = logging.getLogger(__name__)

ATTEMPTS = 3
SLEEP_SECONDS = 1.0  # doubled after each failed attempt
MESSAGE = "Updated by the platform portal from the observability bundle"


class GrafanaError(Exception):
    """Grafana cannot be used as asked; the message names what to fix."""


class GrafanaHttpError(Exception):
    """One answer or failure of one call: `status` 0 when there was no answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status_code, self.message = status, message


class GrafanaApi:
    """The few calls the portal makes, against <GRAFANA_URL>/api with a bearer token."""

    def __init__(self, base: str, token: str, timeout: float) -> None:
        self.base, self.timeout = f"{base.rstrip('/')}/api", timeout
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}"})

    def call(self, method: str, path: str, **kwargs) -> dict | list:
        try:
            response = self.session.request(
                method, f"{self.base}{path}", timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise GrafanaHttpError(0, exc.__class__.__name__) from None
        if response.status_code >= 400:
            try:
                message = response.json().get("message", "")
            except ValueError:
                message = response.text[:200]
            raise GrafanaHttpError(response.status_code, message)
        return response.json()


def connection_status() -> tuple[bool, str]:
    if not conf.grafana_url():
        return False, "not connected: GRAFANA_URL is not set"
    if not conf.grafana_token():
        return False, "not connected: GRAFANA_URL is set, but GRAFANA_TOKEN is not"
    return True, f"configured: {conf.grafana_url()}"


def client() -> GrafanaApi:
    connected, status = connection_status()
    if not connected:
        raise GrafanaError(status)
    return GrafanaApi(conf.grafana_url(), conf.grafana_token(), conf.STACK_TIMEOUT_SECONDS)


def readable(error: GrafanaHttpError) -> str:
    status = getattr(error, "status_code", 0)
    if status == 401:
        return (
            "GRAFANA_TOKEN was refused (HTTP 401): the service-account token is wrong, expired "
            "or revoked: create a new one and set GRAFANA_TOKEN"
        )
    if status == 403:
        return (
            "GRAFANA_TOKEN may not do this (HTTP 403): give its service account the Editor role "
            "to create folders and dashboards"
        )
    if status == 429:
        return "Grafana's rate limit was still reached after retrying: try again in a minute"
    if status and status >= 500:
        return f"Grafana answered HTTP {status} after retrying: try again later"
    if status:
        return f"Grafana refused the request (HTTP {status}): {error.message}"
    return f"Grafana is unreachable at {conf.grafana_url()}: check GRAFANA_URL and the network"


def _retrying(call: Callable, *args, **kwargs):
    """The call, again after a pause on a rate limit, a 5xx or a timeout; GrafanaError after."""
    pause = SLEEP_SECONDS
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return call(*args, **kwargs)
        except GrafanaHttpError as exc:
            transient = exc.status_code in (0, 429) or exc.status_code >= 500
            if not transient or attempt == ATTEMPTS:
                raise GrafanaError(readable(exc)) from None
        time.sleep(pause)
        pause *= 2
    raise AssertionError("unreachable")  # pragma: no cover


def test_connection() -> str:
    """One harmless read: GET /api/search?limit=1 (needs a valid token, unlike /api/health)."""
    _retrying(client().call, "GET", "/search", params={"limit": 1})
    return "connected: the token can search dashboards"


def folder_uid(team: str) -> str:
    return f"portal-{k8s_name(team)}"[:40]


def ensure_folder(api: GrafanaApi, team: str, title: str) -> str:
    uid = folder_uid(team)
    try:
        _retrying(api.call, "GET", f"/folders/{uid}")
        return uid
    except GrafanaError as exc:
        if "HTTP 404" not in str(exc):
            raise
    try:
        _retrying(api.call, "POST", "/folders", json={"uid": uid, "title": title})
    except GrafanaError as exc:
        if "HTTP 409" not in str(exc) and "HTTP 412" not in str(exc):
            raise  # 409/412: made meanwhile by another run, which is what was wanted
    return uid


def upsert_dashboard(api: GrafanaApi, dashboard: dict, folder: str) -> dict:
    body = {
        "dashboard": {**dashboard, "id": None},
        "folderUid": folder,
        "overwrite": True,
        "message": MESSAGE,
    }
    return _retrying(api.call, "POST", "/dashboards/db", json=body)


def sync_dashboards(names) -> int:
    """Steps 1–3 of the module's docstring for the named services; how many were stored."""
    if not connection_status()[0]:
        return 0
    from observability.services import bundle_spec, load_context

    components = list(
        Component.objects.filter(name__in=sorted(set(names)), owner__isnull=False).select_related(
            "owner", "system"
        )
    )
    envs = list(Environment.objects.order_by("order", "name"))
    if not components or not envs:
        return 0
    api, context, stored = client(), load_context([c.pk for c in components]), 0
    for component in components:
        for env in envs:
            spec = bundle_spec(component, env, context)
            stored += _sync_one(api, component, env.name, spec)
    return stored


def _sync_one(api, component, environment: str, spec) -> int:
    defaults: dict = {"uid": spec.dashboard_uid, "synced_at": timezone.now()}
    try:
        folder = ensure_folder(api, spec.team, component.owner.display_name)
        answer = upsert_dashboard(api, dashboards.dashboard(spec), folder)
    except GrafanaError as exc:
        logger.warning("Grafana dashboard %s: %s", spec.dashboard_uid, exc)
        defaults["error"] = str(exc)
        GrafanaDashboard.objects.update_or_create(
            component=component, environment=environment, defaults=defaults
        )
        return 0
    defaults |= {
        "uid": answer.get("uid") or spec.dashboard_uid,
        "url": answer.get("url") or "",
        "folder_uid": folder,
        "version": answer.get("version") or 0,
        "error": "",
    }
    GrafanaDashboard.objects.update_or_create(
        component=component, environment=environment, defaults=defaults
    )
    return 1
