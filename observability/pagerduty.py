"""PagerDuty through its REST API v2 (the `pagerduty` client library).

`connect_team(team, user)`: 1. refuse at once, touching nothing, unless PAGERDUTY_API_TOKEN is
set and Vault is connected; 2. look up the team's members as PagerDuty users by e-mail (the
escalation targets); 3. find or create the escalation policy "<team> (portal)"; 4. find or
create the service "<team> (portal)" on it; 5. find or create its Events API v2 integration;
6. write the integration key to Vault at <VAULT_KV_MOUNT>/teams/<team>/pagerduty (written only
when different); 7. record the references (service, policy, Secret, Vault path) in TeamOnCall.
Every step is a find first, so a second run creates nothing; the key goes from PagerDuty's
answer to Vault and nowhere else (not the database, not a log line, not a message).

`on_call_now(policy_id)`: who is on call in the policy now (GET /oncalls).
`connection_status()` / `test_connection()`: for the integrations page (GET /abilities).
"""

import logging
import ssl
from dataclasses import dataclass

import httpx2
from django.conf import settings
from pagerduty import Error as ClientError
from pagerduty import HttpError, RestApiV2Client

from observability.bundle import k8s_name

logger = logging.getLogger(__name__)

SETTING = "PAGERDUTY_API_TOKEN"
NAME_SUFFIX = " (portal)"
INTEGRATION_TYPE = "events_api_v2_inbound_integration"
INTEGRATION_NAME = "Alertmanager (portal)"
ROUTING_KEY = "routing-key"  # the entry in Vault and in the synced Secret
# Rate limits and server errors are retried a few times with growing pauses (the client's
# backoff: SLEEP_SECONDS × 2^n); after that the run fails and can be started again.
RETRIES = {429: 3, 500: 2, 502: 2, 503: 2, 504: 2}
SLEEP_SECONDS = 1.5
TIMEOUT_SECONDS = 10
# The system's CAs; tests trust their loopback certificate through an SSLContext here.
TLS_VERIFY: ssl.SSLContext | bool = True


class PagerDutyError(Exception):
    """PagerDuty cannot be used as asked; the message names what to fix."""


def connection_status() -> tuple[bool, str]:
    if not settings.PAGERDUTY_API_TOKEN:
        return False, f"not connected: {SETTING} is not set"
    return True, f"configured: {settings.PAGERDUTY_API_URL}"


def client() -> RestApiV2Client:
    connected, status = connection_status()
    if not connected:
        raise PagerDutyError(status)
    pd = RestApiV2Client(
        settings.PAGERDUTY_API_TOKEN, base_url=settings.PAGERDUTY_API_URL, verify=TLS_VERIFY
    )
    pd.retry = dict(RETRIES)
    pd.sleep_timer = SLEEP_SECONDS
    pd.timeout = TIMEOUT_SECONDS
    pd.max_network_attempts = 1
    return pd


def readable(error: Exception) -> str:
    """What went wrong, naming the setting to fix; never the token or a key."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    if status == 401:
        return (
            f"{SETTING} was refused (HTTP 401): the key is wrong, expired or revoked, or "
            "belongs to another region: create a REST API key in PagerDuty and set it"
        )
    if status == 403:
        return (
            f"{SETTING} may not do this (HTTP 403): use a general access (read/write) REST API "
            "key, not a read-only or user key"
        )
    if status == 429:
        return "PagerDuty's rate limit was still reached after retrying: try again in a minute"
    if status is not None and status >= 500:
        return f"PagerDuty answered HTTP {status} after retrying: try again later"
    if status is not None:
        return f"PagerDuty refused the request (HTTP {status}): {_said(response)}"
    return (
        f"PagerDuty is unreachable at {settings.PAGERDUTY_API_URL}: check PAGERDUTY_API_URL "
        "and the network"
    )


def _said(response) -> str:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return "no readable answer"
    return "; ".join([str(error.get("message", "")), *map(str, error.get("errors") or [])])


def _call(action, *args, **kwargs):
    try:
        return action(*args, **kwargs)
    except (HttpError, ClientError, httpx2.TransportError) as exc:
        raise PagerDutyError(readable(exc)) from None


def test_connection() -> str:
    """One harmless read (GET /abilities); the readable result, or PagerDutyError."""
    abilities = _call(client().rget, "/abilities")
    return f"connected: the account has {len(abilities)} abilities"


# --- find or create --------------------------------------------------------------------------


def portal_name(team) -> str:
    return f"{team.name}{NAME_SUFFIX}"


def _find(pd, resource: str, name: str) -> dict | None:
    return _call(pd.find, resource, name)


def escalation_targets(pd, team) -> list[dict]:
    """The team's members (leads first) who have a PagerDuty user with the same e-mail."""
    memberships = team.memberships.select_related("user").order_by("role", "user__username")
    targets = []
    for email in [m.user.email for m in memberships if m.user.email]:
        user = _call(pd.find, "users", email, "email")
        if user:
            targets.append({"id": user["id"], "type": "user_reference"})
    return targets


def ensure_escalation_policy(pd, team) -> tuple[dict, bool]:
    name = portal_name(team)
    if found := _find(pd, "escalation_policies", name):
        return found, False
    targets = escalation_targets(pd, team)
    if not targets:
        raise PagerDutyError(
            f"no member of team {team.name} has a PagerDuty user with the same e-mail address: "
            "add one in PagerDuty (or fix the member's e-mail in the portal), then connect again"
        )
    body = {
        "type": "escalation_policy",
        "name": name,
        "description": f"On-call of team {team.name}, created by the platform portal.",
        "num_loops": 2,
        "escalation_rules": [{"escalation_delay_in_minutes": 30, "targets": targets}],
    }
    return _call(pd.rpost, "/escalation_policies", json={"escalation_policy": body}), True


def ensure_service(pd, team, policy: dict) -> tuple[dict, bool]:
    name = portal_name(team)
    if found := _find(pd, "services", name):
        return found, False
    body = {
        "type": "service",
        "name": name,
        "description": f"Critical alerts of team {team.name}'s services (platform portal).",
        "escalation_policy": {"id": policy["id"], "type": "escalation_policy_reference"},
        "alert_creation": "create_alerts_and_incidents",
    }
    return _call(pd.rpost, "/services", json={"service": body}), True


def ensure_integration(pd, service: dict) -> tuple[dict, bool]:
    """The service's Events API v2 integration with its key: the service lists references,
    the integration itself is read to get the key."""
    found = _call(pd.rget, f"/services/{service['id']}")
    for ref in found.get("integrations") or []:
        if ref.get("type") in (INTEGRATION_TYPE, f"{INTEGRATION_TYPE}_reference"):
            path = f"/services/{service['id']}/integrations/{ref['id']}"
            integration = _call(pd.rget, path)
            if integration.get("integration_key"):
                return integration, False
    body = {"type": INTEGRATION_TYPE, "name": INTEGRATION_NAME}
    made = _call(pd.rpost, f"/services/{service['id']}/integrations", json={"integration": body})
    return made, True


# --- the whole connection ----------------------------------------------------------------


@dataclass
class Connected:
    service_id: str
    policy_id: str
    secret_name: str
    vault_path: str
    created: list[str]
    vault_outcome: str


def vault_location(team) -> tuple[str, str]:
    return settings.VAULT_KV_MOUNT, f"teams/{k8s_name(team.name)}/pagerduty"


def store_key(key: str, team) -> str:
    """Write the key to Vault unless it is there already; "unchanged" or "written"."""
    from provisioning.drivers.base import DriverError
    from provisioning.drivers.registry import get_driver

    mount, path = vault_location(team)
    vault = get_driver("vault")
    try:
        current = vault.read_secret(mount, path) or {}
        if current.get(ROUTING_KEY) == key:
            return "unchanged"
        vault.write_secret(mount, path, {**current, ROUTING_KEY: key}, cas=None)
    except DriverError as exc:
        raise PagerDutyError(f"storing the integration key in Vault failed: {exc}") from None
    return "written"


def preflight() -> None:
    """Refuse before any call when PagerDuty or Vault is not configured: nothing is made."""
    from provisioning.drivers.registry import driver_class

    connected, status = connection_status()
    if not connected:
        raise PagerDutyError(f"{status}: nothing was created")
    vault_connected, vault_status = driver_class("vault").connection_status()
    if not vault_connected:
        raise PagerDutyError(
            f"Vault is {vault_status} (VAULT_ADDR must be set, with VAULT_TOKEN or "
            "VAULT_K8S_AUTH_ROLE): the integration key has nowhere safe to go, so nothing "
            "was created in PagerDuty"
        )


def connect_team(team) -> Connected:
    """Steps 1–6 of the module's docstring; the caller records step 7."""
    preflight()
    pd = client()
    created = []
    policy, made = ensure_escalation_policy(pd, team)
    created += ["escalation policy"] if made else []
    service, made = ensure_service(pd, team, policy)
    created += ["service"] if made else []
    integration, made = ensure_integration(pd, service)
    created += ["Events API v2 integration"] if made else []
    outcome = store_key(integration["integration_key"], team)
    mount, path = vault_location(team)
    logger.info("PagerDuty connected for team %s: created %s", team.name, created or "nothing")
    return Connected(
        service["id"],
        policy["id"],
        f"{k8s_name(team.name)}-pagerduty",
        f"{mount}/{path}",
        created,
        outcome,
    )


# --- who is on call ----------------------------------------------------------------------


@dataclass(frozen=True)
class OnCall:
    name: str
    level: int
    until: str  # ISO 8601 from PagerDuty; "" means until further notice


def on_call_now(policy_id: str) -> list[OnCall]:
    """Who is on call in the escalation policy now, lowest escalation level first."""
    pd = client()
    params = {"escalation_policy_ids[]": [policy_id], "limit": 100}
    rows = _call(pd.rget, "/oncalls", params=params)
    found = [
        OnCall(
            (row.get("user") or {}).get("summary", "someone"),
            int(row.get("escalation_level") or 0),
            row.get("end") or "",
        )
        for row in rows
    ]
    return sorted(set(found), key=lambda o: (o.level, o.name))


def on_call_for(target) -> list[OnCall]:
    """Who is on call for a TeamOnCall: its policy, or (a target typed by hand) its service's."""
    policy = target.escalation_policy
    if not policy:
        service = _call(client().rget, f"/services/{target.pagerduty_service}")
        policy = (service.get("escalation_policy") or {}).get("id", "")
    return on_call_now(policy) if policy else []
