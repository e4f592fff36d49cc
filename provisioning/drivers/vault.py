"""Vault driver: a service's KV v2 secrets path, its policy and Kubernetes login, and the
database credentials kept there.

kind "kv-path": `ensure` converges, in order, each read first and written only when different:
1. the KV mount: enabled as KV version 2 if absent; a KV version 1 mount is refused.
2. the path's metadata: max_versions, and the tags as custom_metadata.
3. the ACL policy the planner rendered.
4. the Kubernetes auth role that lets the service's pods log in with that policy (if planned).
It never writes a secret value.

kind "kv-secret": `ensure(resource, secrets)` stores generated credentials with check-and-set, so
an existing secret is never overwritten: keys it lacks are added in a new version, and the keys
it has keep their values. Values never reach a log line, a result or an error message.
"""

import functools
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import hvac
import requests
from django.conf import settings
from hvac import exceptions as vault_errors

from provisioning.drivers.base import (
    DriverError,
    EnsureResult,
    NotConnectedError,
    Outcome,
    PermanentError,
    PlannedResource,
    ResourceDriver,
    ResourceMissing,
    TransientError,
)

logger = logging.getLogger(__name__)

NOT_CONNECTED = "not connected: VAULT_ADDR is not set"
SERVICE_ACCOUNT_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
PORTAL_AUTH_MOUNT = "kubernetes"  # where the portal itself logs in with VAULT_K8S_AUTH_ROLE
RETRY = "the portal will retry"
DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
TRANSIENT = (
    vault_errors.RateLimitExceeded,
    vault_errors.InternalServerError,
    vault_errors.BadGateway,
    vault_errors.VaultDown,
    vault_errors.VaultNotInitialized,
    vault_errors.PreconditionFailed,  # a performance standby not yet caught up
    # hvac names no other status (412, 504 from a load balancer…); the engine's retries are
    # bounded, so an unexpected answer is retried rather than failing the step at once.
    vault_errors.UnexpectedError,
)


class CheckAndSetMismatch(TransientError):
    """The secret changed between reading and writing it; re-read and decide again."""


# --- The plan, as Vault requests (pure) -----------------------------------------------------


def mount_and_path(resource: PlannedResource) -> tuple[str, str]:
    """The plan's KV mount and path, checked against its name "<mount>/<path>"."""
    mount = str(resource.config.get("mount", "")).strip("/")
    path = str(resource.config.get("path", "")).strip("/")
    if not mount or not path or ".." in path.split("/") or resource.name != f"{mount}/{path}":
        raise PermanentError(
            f"the plan for {resource.name!r} names mount {mount!r} and path {path!r}: the name "
            "must be <mount>/<path>, both non-empty: re-plan the request"
        )
    return mount, path


def custom_metadata(tags: dict[str, str]) -> dict[str, str]:
    """The tags as KV v2 custom_metadata, within Vault's limits (64 keys, 128/512 characters)."""
    if len(tags) > 64:
        raise PermanentError(f"Vault keeps at most 64 tags on a secret, the plan has {len(tags)}")
    for key, value in tags.items():
        if not key or len(key) > 128 or len(str(value)) > 512:
            raise PermanentError(
                f"tag {key!r} cannot be Vault custom metadata: keys need 1–128 characters and "
                "values at most 512"
            )
    return {key: str(value) for key, value in tags.items()}


def duration_seconds(value: Any) -> int:
    """A Vault duration ("1h", "90m", "1h30m", "3600", 3600) in seconds."""
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    parts = DURATION_PART.findall(text)
    if not text or "".join(number + unit for number, unit in parts) != text:
        raise PermanentError(f"{value!r} is not a duration: write it like 1h, 30m or 3600")
    return round(sum(float(number) * SECONDS[unit] for number, unit in parts))


def check_kv2(mount: str, engine: dict) -> None:
    """Refuse a mount that is not KV version 2, saying what to do instead."""
    kind, version = engine.get("type"), str((engine.get("options") or {}).get("version", "1"))
    if kind == "kv" and version == "2":
        return
    if kind in ("kv", "generic"):
        raise PermanentError(
            f"the secrets engine at {mount}/ is KV version {version}, but the portal needs "
            "version 2 (versions, check-and-set, custom metadata): ask the platform team to "
            f"run `vault kv enable-versioning {mount}/`, or plan for another mount"
        )
    raise PermanentError(
        f"the secrets engine at {mount}/ is {kind!r}, not KV: plan for another mount"
    )


def metadata_differences(max_versions: int, tags: dict[str, str], found: dict) -> list[str]:
    sentences = []
    if found.get("max_versions") != max_versions:
        sentences.append(
            f"max_versions is {found.get('max_versions')}, the plan says {max_versions}"
        )
    if (found.get("custom_metadata") or {}) != tags:
        sentences.append(
            f"custom metadata is {found.get('custom_metadata') or {}}, the plan says {tags}"
        )
    return sentences


def role_body(auth: dict, policy_name: str) -> dict:
    """The Kubernetes auth role: who may log in (service accounts, namespaces) and with what."""
    body = {
        "bound_service_account_names": list(auth["service_account_names"]),
        "bound_service_account_namespaces": list(auth["namespaces"]),
        "token_policies": [policy_name],
        "token_ttl": duration_seconds(auth.get("ttl", "1h")),
    }
    return body | ({"audience": auth["audience"]} if auth.get("audience") else {})


def role_differences(wanted: dict, found: dict) -> list[str]:
    def normal(value: Any) -> Any:
        return sorted(value) if isinstance(value, list) else value

    return [
        f"{key} is {found.get(key)!r}, the plan says {value!r}"
        for key, value in wanted.items()
        if normal(found.get(key)) != normal(value)
    ]


def summary(name: str, outcomes: dict[str, Outcome], created: Outcome) -> tuple[Outcome, str]:
    """The overall outcome (created when the main part was) and a one-line message."""
    changed = [f"{part} {outcome}" for part, outcome in outcomes.items() if outcome != "unchanged"]
    overall: Outcome = "created" if created == "created" else "updated" if changed else "unchanged"
    return overall, f"{overall} {name}" + (f" ({', '.join(changed)})" if changed else "")


def _said(error: vault_errors.VaultError) -> str:
    return "; ".join(error.errors) if error.errors else str(error.args[0] or "no message")


def vault_error(error: vault_errors.VaultError, action: str, what: str) -> DriverError:
    """The driver error that says what Vault's refusal means for the requester."""
    said = _said(error)
    if isinstance(error, vault_errors.Forbidden | vault_errors.Unauthorized):
        return PermanentError(
            f"the portal's credentials may not {action} {what}: ask the platform team to grant "
            f"it (Vault said: {said})"
        )
    if isinstance(error, TRANSIENT):
        return TransientError(f"Vault could not {action} {what} just now ({said}): {RETRY}")
    if isinstance(error, vault_errors.InvalidRequest) and "did not match the current" in said:
        return CheckAndSetMismatch(f"{what} changed while the portal wrote it: {RETRY}")
    if isinstance(error, vault_errors.InvalidPath):
        return PermanentError(
            f"Vault has nothing mounted where the portal tried to {action} {what} ({said}): "
            "ask the platform team to enable that secrets engine or auth method"
        )
    if isinstance(error, vault_errors.InvalidRequest):
        return PermanentError(f"Vault refused to {action} {what}: {said}")
    return PermanentError(f"Vault answered unexpectedly to {action} {what}: {said}")


@contextmanager
def _errors(action: str, what: str) -> Iterator[None]:
    """Turn hvac and connection failures inside the block into driver errors."""
    try:
        yield
    except vault_errors.VaultError as error:
        raise vault_error(error, action, what) from error
    except requests.RequestException as error:
        # `from None`: the request (and any secret in its body) stays out of the traceback.
        raise TransientError(
            f"could not reach Vault to {action} {what} ({error}): {RETRY}"
        ) from None


# --- The driver -----------------------------------------------------------------------------


def _logs_in_again_once(method):
    """A driver is kept by its worker for minutes (registry.DRIVER_MAX_AGE); a Kubernetes-auth
    token that expired meanwhile answers 403. Log in again and repeat the call once: the call
    failed before changing anything, and every call here is idempotent or check-and-set."""

    @functools.wraps(method)
    def repeated(self, *args, **kwargs):
        logged_in = self._client is not None and not settings.VAULT_TOKEN
        try:
            return method(self, *args, **kwargs)
        except DriverError as error:
            if not (logged_in and isinstance(error.__cause__, vault_errors.Forbidden)):
                raise
            logger.info("Vault refused the portal's token: logging in again")
            self._client, self._kv2_mounts = None, set()
            return method(self, *args, **kwargs)

    return repeated


class VaultDriver(ResourceDriver):
    """KV v2 paths and secrets, through VAULT_ADDR with VAULT_TOKEN or Kubernetes auth."""

    provider = "vault"
    kinds = frozenset({"kv-path", "kv-secret"})
    timeout: float = 10  # seconds per request; a slow Vault is a transient failure

    def __init__(self) -> None:
        self._client: hvac.Client | None = None
        self._kv2_mounts: set[str] = set()

    @classmethod
    def connection_status(cls) -> tuple[bool, str]:
        address, role = settings.VAULT_ADDR, settings.VAULT_K8S_AUTH_ROLE
        if not address:
            return False, NOT_CONNECTED
        if settings.VAULT_TOKEN:
            return True, f"configured: {address} with VAULT_TOKEN"
        if role:
            return True, f"configured: {address} as Kubernetes auth role {role}"
        return (
            False,
            "not connected: VAULT_ADDR is set, but neither VAULT_TOKEN nor VAULT_K8S_AUTH_ROLE",
        )

    @_logs_in_again_once
    def ensure(self, resource: PlannedResource, secrets: dict | None = None) -> EnsureResult:
        mount, path = self._check(resource)
        if resource.kind == "kv-path":
            return self._ensure_path(resource, mount, path)
        return self._ensure_secret(resource, mount, path, secrets or {})

    @_logs_in_again_once
    def check_drift(self, resource: PlannedResource) -> list[str]:
        mount, path = self._check(resource)
        if resource.kind == "kv-secret":
            data, _ = self._read_kv(mount, path)
            if data is None:
                raise ResourceMissing(f"the secret {mount}/{path} no longer exists in Vault")
            missing = [key for key in resource.config.get("keys", []) if key not in data]
            return [f"the secret {mount}/{path} lacks {', '.join(missing)}"] if missing else []
        return self._path_drift(resource, mount, path)

    @_logs_in_again_once
    def decommission(self, resource: PlannedResource) -> EnsureResult:
        mount, path = self._check(resource)
        config = resource.config
        if resource.kind == "kv-path" and config.get("kubernetes_auth"):
            auth = config["kubernetes_auth"]
            self._delete(
                f"auth/{auth['mount']}/role/{auth['role']}", f"Kubernetes auth role {auth['role']}"
            )
        if resource.kind == "kv-path":
            self._delete(
                f"sys/policies/acl/{config['policy_name']}", f"policy {config['policy_name']}"
            )
        self._delete(f"{mount}/metadata/{path}", f"{mount}/{path} and all its versions")
        kept = "; secrets stored below it are kept" if resource.kind == "kv-path" else ""
        return EnsureResult("deleted", resource.name, f"deleted {resource.name} from Vault{kept}")

    @_logs_in_again_once
    def read_secret(self, mount: str, path: str) -> dict | None:
        """The latest version's data at <mount>/<path>, or None when there is none."""
        self._require_kv2(mount)
        return self._read_kv(mount, path)[0]

    @_logs_in_again_once
    def write_secret(self, mount: str, path: str, data: dict, cas: int | None) -> int:
        """Write a new version (check-and-set against version `cas` when given); its number.
        Raises CheckAndSetMismatch when the secret is no longer at version `cas`."""
        self._require_kv2(mount)
        with _errors("write the secret", f"{mount}/{path}"):
            written = self._vault().secrets.kv.v2.create_or_update_secret(
                path, secret=data, cas=cas, mount_point=mount
            )
        logger.info("wrote a new version of %s/%s (keys %s)", mount, path, ", ".join(sorted(data)))
        return written["data"]["version"]

    # --- kv-path -----------------------------------------------------------------------------

    def _ensure_path(self, resource: PlannedResource, mount: str, path: str) -> EnsureResult:
        config = resource.config
        outcomes: dict[str, Outcome] = {"mount": self._ensure_mount(mount)}
        outcomes["metadata"] = self._ensure_metadata(
            mount, path, config, custom_metadata(resource.tags)
        )
        outcomes["policy"] = self._ensure_policy(config["policy_name"], config["policy_hcl"])
        if config.get("kubernetes_auth"):
            outcomes["kubernetes_auth_role"] = self._ensure_role(
                config["kubernetes_auth"], config["policy_name"]
            )
        overall, message = summary(resource.name, outcomes, created=outcomes["metadata"])
        details = {"mount": mount, "path": path, "parts": outcomes}
        return EnsureResult(overall, resource.name, message, details)

    def _ensure_mount(self, mount: str) -> Outcome:
        engine = self._read_mount(mount)
        if engine is not None:
            check_kv2(mount, engine)
            self._kv2_mounts.add(mount)
            return "unchanged"
        with _errors("enable a KV version 2 secrets engine at", f"{mount}/"):
            self._vault().sys.enable_secrets_engine(
                "kv",
                path=mount,
                options={"version": "2"},
                description="KV v2, enabled by the platform portal",
            )
        logger.info("enabled a KV version 2 secrets engine at %s/", mount)
        self._kv2_mounts.add(mount)
        return "created"

    def _ensure_metadata(
        self, mount: str, path: str, config: dict, tags: dict[str, str]
    ) -> Outcome:
        max_versions = int(config.get("max_versions", 0))
        found = self._read_metadata(mount, path)
        if found is not None and not metadata_differences(max_versions, tags, found):
            return "unchanged"
        with _errors("write the metadata of", f"{mount}/{path}"):
            self._vault().secrets.kv.v2.update_metadata(
                path, max_versions=max_versions, custom_metadata=tags, mount_point=mount
            )
        logger.info("wrote the metadata of %s/%s", mount, path)
        return "created" if found is None else "updated"

    def _ensure_policy(self, name: str, hcl: str) -> Outcome:
        found = self._read_policy(name)
        if found is not None and found.strip() == hcl.strip():
            return "unchanged"
        with _errors("write the policy", name):
            self._vault().sys.create_or_update_acl_policy(name=name, policy=hcl)
        logger.info("wrote the policy %s", name)
        return "created" if found is None else "updated"

    def _ensure_role(self, auth: dict, policy_name: str) -> Outcome:
        wanted = role_body(auth, policy_name)
        found = self._read_role(auth)
        if found is not None and not role_differences(wanted, found):
            return "unchanged"
        with _errors("write the Kubernetes auth role", f"{auth['role']} at auth/{auth['mount']}"):
            self._vault().write_data(f"auth/{auth['mount']}/role/{auth['role']}", data=wanted)
        logger.info("wrote the Kubernetes auth role %s at auth/%s", auth["role"], auth["mount"])
        return "created" if found is None else "updated"

    def _path_drift(self, resource: PlannedResource, mount: str, path: str) -> list[str]:
        config = resource.config
        found = self._read_metadata(mount, path)
        if found is None:
            raise ResourceMissing(f"{mount}/{path} no longer exists in Vault")
        max_versions, tags = int(config.get("max_versions", 0)), custom_metadata(resource.tags)
        drift = [f"{resource.name}: {s}" for s in metadata_differences(max_versions, tags, found)]
        policy = self._read_policy(config["policy_name"])
        if policy is None or policy.strip() != config["policy_hcl"].strip():
            state = "missing" if policy is None else "not the planned text"
            drift.append(f"policy {config['policy_name']} is {state}")
        if auth := config.get("kubernetes_auth"):
            role, wanted = self._read_role(auth), role_body(auth, config["policy_name"])
            role_drift = ["is missing"] if role is None else role_differences(wanted, role)
            drift += [f"Kubernetes auth role {auth['role']}: {s}" for s in role_drift]
        return drift

    # --- kv-secret ---------------------------------------------------------------------------

    def _ensure_secret(
        self, resource: PlannedResource, mount: str, path: str, secrets: dict
    ) -> EnsureResult:
        """1. read the latest version; 2. done if it has every planned key; 3. else write the
        missing keys (existing values win) with check-and-set on the version read; 4. if someone
        wrote in between, start again from 1 (once)."""
        self._require_kv2(mount)
        keys = list(resource.config.get("keys", []))
        for _ in range(2):
            data, version = self._read_kv(mount, path)
            missing = [key for key in keys if key not in (data or {})]
            if not missing:
                return EnsureResult(
                    "unchanged",
                    resource.name,
                    f"{resource.name} already holds {', '.join(keys)}",
                    {"keys": keys},
                )
            values = self._supplied(resource.name, missing, secrets)
            try:
                new_version = self.write_secret(
                    mount, path, {**(data or {}), **values}, cas=version
                )
            except CheckAndSetMismatch:
                continue
            outcome: Outcome = "created" if data is None else "updated"
            details = {"keys_written": missing, "version": new_version}
            return EnsureResult(
                outcome,
                resource.name,
                f"{outcome} {resource.name}: stored {', '.join(missing)}",
                details,
            )
        raise TransientError(f"{resource.name} kept changing while the portal wrote it: {RETRY}")

    @staticmethod
    def _supplied(name: str, keys: list[str], secrets: dict) -> dict:
        absent = [key for key in keys if key not in secrets]
        if absent:
            raise PermanentError(
                f"no value was supplied for {', '.join(absent)} of {name}: the step that "
                "generates them must run first (report this to the platform team)"
            )
        return {key: secrets[key] for key in keys}

    # --- reads -------------------------------------------------------------------------------

    def _read_mount(self, mount: str) -> dict | None:
        with _errors("read the secrets engine at", f"{mount}/"):
            try:
                found = self._vault().read(f"sys/mounts/{mount}")
            except vault_errors.InvalidRequest as error:
                # Vault answers 400, not 404, for a path with no mount.
                if "no secret engine mount" in _said(error).lower():
                    return None
                raise
        return (found or {}).get("data")

    def _require_kv2(self, mount: str) -> None:
        if mount in self._kv2_mounts:
            return
        engine = self._read_mount(mount)
        if engine is None:
            raise PermanentError(
                f"Vault has no secrets engine at {mount}/: run the request's secrets-path step "
                "first, or ask the platform team to enable KV version 2 there"
            )
        check_kv2(mount, engine)
        self._kv2_mounts.add(mount)

    def _read_kv(self, mount: str, path: str) -> tuple[dict | None, int]:
        """The latest version's data (None when absent or deleted) and its version (0 if none)."""
        with _errors("read the secret", f"{mount}/{path}"):
            try:
                found = self._vault().secrets.kv.v2.read_secret_version(
                    path, mount_point=mount, raise_on_deleted_version=True
                )
            except vault_errors.InvalidPath as error:
                if error.errors:  # "no handler for route": nothing is mounted there
                    raise
                # A deleted or destroyed latest version answers 404 with its metadata.
                metadata = (((error.json or {}).get("data") or {}).get("metadata")) or {}
                return None, int(metadata.get("version", 0))
        return found["data"]["data"], int(found["data"]["metadata"]["version"])

    def _read_metadata(self, mount: str, path: str) -> dict | None:
        return self._read_or_none(
            f"{mount}/metadata/{path}", "read the metadata of", f"{mount}/{path}"
        )

    def _read_policy(self, name: str) -> str | None:
        found = self._read_or_none(f"sys/policies/acl/{name}", "read the policy", name)
        return None if found is None else found.get("policy", "")

    def _read_role(self, auth: dict) -> dict | None:
        where = f"{auth['role']} at auth/{auth['mount']}"
        return self._read_or_none(
            f"auth/{auth['mount']}/role/{auth['role']}", "read the Kubernetes auth role", where
        )

    def _read_or_none(self, api_path: str, action: str, what: str) -> dict | None:
        """GET /v1/<api_path>'s data, or None on Vault's empty 404 ({"errors": []})."""
        with _errors(action, what):
            try:
                return self._vault().adapter.get(f"/v1/{api_path}")["data"]
            except vault_errors.InvalidPath as error:
                if error.errors:  # "no handler for route": the mount itself is missing
                    raise
                return None

    def _delete(self, api_path: str, what: str) -> None:
        with _errors("delete", what):
            try:
                self._vault().adapter.delete(f"/v1/{api_path}")
            except vault_errors.InvalidPath:
                return  # the mount is gone, and with it what was to be deleted
        logger.info("deleted %s", what)

    # --- the client --------------------------------------------------------------------------

    def _check(self, resource: PlannedResource) -> tuple[str, str]:
        if resource.kind not in self.kinds:
            raise PermanentError(
                f"the Vault driver cannot make a {resource.kind!r}: only kv-path or kv-secret"
            )
        return mount_and_path(resource)

    def _vault(self) -> hvac.Client:
        """The client, authenticated on first use (no network call until then)."""
        if self._client is None:
            connected, status = self.connection_status()
            if not connected:
                raise NotConnectedError(status)
            client = hvac.Client(
                url=settings.VAULT_ADDR, token=settings.VAULT_TOKEN or "", timeout=self.timeout
            )
            if not settings.VAULT_TOKEN:
                self._login(client)
            self._client = client
        return self._client

    @staticmethod
    def _login(client: hvac.Client) -> None:
        role = settings.VAULT_K8S_AUTH_ROLE
        try:
            jwt = SERVICE_ACCOUNT_TOKEN.read_text().strip()
        except OSError as error:
            raise PermanentError(
                f"VAULT_K8S_AUTH_ROLE is set but the service-account token at "
                f"{SERVICE_ACCOUNT_TOKEN} cannot be read ({error.strerror}): run the portal in a "
                "pod with a service account, or set VAULT_TOKEN"
            ) from None
        with _errors("log in as Kubernetes auth role", role):
            client.auth.kubernetes.login(role=role, jwt=jwt, mount_point=PORTAL_AUTH_MOUNT)
