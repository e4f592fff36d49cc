"""What every AWS kind shares: clients per region, differences as sentences, tags, results."""

import functools
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.loaders import Loader
from django.conf import settings

from provisioning.drivers.aws.errors import install_log_redaction
from provisioning.drivers.base import EnsureResult, PlannedResource

# Timeouts and retries. botocore retries throttling, 5xx and dropped connections itself, up to
# MAX_ATTEMPTS tries in all per API call, with jittered exponential backoff (at most ~1 s then
# ~2 s for throttling, 50-100 ms otherwise): that absorbs a blip inside one ensure. When it
# gives up, the driver raises TransientError and the engine retries the whole, idempotent step
# with its own longer backoff, so the worst case is (engine attempts) x MAX_ATTEMPTS API calls.
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 30
MAX_ATTEMPTS = 3


def client_config(max_attempts: int, path_style: bool) -> Config:
    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": max_attempts},  # first try included
        # A custom endpoint (moto on loopback, a container name) has no wildcard DNS for
        # virtual-hosted bucket names; real AWS keeps botocore's default.
        s3={"addressing_style": "path"} if path_style else {},
        user_agent_extra="idp-portal",
    )


@functools.cache
def _shared_loader() -> Loader:
    return botocore.session.get_session().get_component("data_loader")


def new_session() -> boto3.session.Session:
    """A session of its own (sessions are not thread-safe) that shares the loaded service models:
    the engine makes a driver per step, and reading the models again costs ~0.3 s each time."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _shared_loader())
    return boto3.session.Session(botocore_session=core)


class AwsClients:
    """boto3 clients per (service, region), built on first use and reused (they are thread-safe;
    the session that makes them is not, so each driver instance has its own)."""

    def __init__(self, max_attempts: int = MAX_ATTEMPTS) -> None:
        self.endpoint_url: str | None = settings.AWS_ENDPOINT_URL or None
        self.default_region: str = settings.AWS_DEFAULT_REGION
        self._config = client_config(max_attempts, path_style=self.endpoint_url is not None)
        self._session = new_session()
        self._clients: dict[tuple[str, str], Any] = {}

    def region_of(self, resource: PlannedResource) -> str:
        return resource.config.get("region") or self.default_region

    def client(self, service: str, resource: PlannedResource) -> Any:
        key = (service, self.region_of(resource))
        if key not in self._clients:
            self._clients[key] = self._session.client(
                service, region_name=key[1], endpoint_url=self.endpoint_url, config=self._config
            )
            install_log_redaction()
        return self._clients[key]


@dataclass(frozen=True)
class Difference:
    """One way a resource differs from its plan: the setting that would change, and the sentence
    the requester reads (drift) or the log shows (ensure)."""

    setting: str
    sentence: str


def tag_differences(desired: dict[str, str], actual: dict[str, str]) -> list[Difference]:
    """Planned tags that are missing or changed; tags the plan does not name are left alone."""
    differences = []
    for key, value in sorted(desired.items()):
        if key not in actual:
            differences.append(Difference("tags", f"tag {key} was removed (plan: {value})"))
        elif actual[key] != value:
            differences.append(Difference("tags", f"tag {key} is {actual[key]!r}, plan: {value!r}"))
    return differences


def missing_tags(desired: dict[str, str], actual: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in desired.items() if actual.get(key) != value}


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    """AWS's [{"Key": k, "Value": v}] shape."""
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def tag_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags or []}


def outcome_result(
    noun: str,
    name: str,
    identifier: str,
    created: bool,
    differences: list[Difference],
    details: dict | None = None,
    where: str = "",
) -> EnsureResult:
    """created / updated (with what was fixed) / unchanged, with the log line for each."""
    details = details or {}
    if created:
        return EnsureResult("created", identifier, f"created {noun} {name}{where}", details)
    if differences:
        fixed = "; ".join(d.sentence for d in differences)
        return EnsureResult("updated", identifier, f"updated {noun} {name}: {fixed}", details)
    return EnsureResult("unchanged", identifier, f"{noun} {name} already matches the plan", details)


def deleted(noun: str, name: str, existed: bool, identifier: str = "") -> EnsureResult:
    message = f"deleted {noun} {name}" if existed else f"{noun} {name} was already gone"
    return EnsureResult("deleted", identifier, message)
