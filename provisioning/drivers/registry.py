"""Which driver serves which provider, and the drivers a worker keeps between tasks.

Making a driver makes its clients (a boto3 session and clients, an hvac client that may log
in): 13–21 ms of a bucket or queue request that moto answers in a few (the provisioning
benchmark's profile). A worker thread therefore keeps the drivers it made and reuses them for
DRIVER_MAX_AGE seconds, as long as nothing they were made from changed: the process (a forked
worker never shares its parent's connections), the driver class, the settings (a changed
setting, as tests make, empties the cache) and the AWS variables of the environment. The age
limit bounds how long a Vault login token or a cached "this mount is KV v2" is trusted.
"""

import os
import threading
import time

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from provisioning.drivers.base import ResourceDriver

DRIVER_PATHS = {
    "aws": "provisioning.drivers.aws.AwsDriver",
    "kubernetes": "provisioning.drivers.kubernetes.KubernetesDriver",
    "vault": "provisioning.drivers.vault.VaultDriver",
    "git": "provisioning.drivers.git.GitDriver",
    "portal": "provisioning.drivers.portal.PortalDriver",
    "golden-path": "provisioning.drivers.updates.RepositoryUpdateDriver",
}
DRIVER_MAX_AGE = 300.0  # seconds
AWS_ENVIRONMENT = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)

_kept = threading.local()  # .drivers: {provider: (key, made at, driver)}


def driver_class(provider: str) -> type[ResourceDriver]:
    return import_string(DRIVER_PATHS[provider])


def _key(provider: str) -> tuple:
    return (
        os.getpid(),
        DRIVER_PATHS[provider],
        *(os.environ.get(name) for name in AWS_ENVIRONMENT),
    )


def get_driver(provider: str) -> ResourceDriver:
    """This thread's driver for `provider`, made again when it is too old or its inputs
    changed."""
    drivers = getattr(_kept, "drivers", None)
    if drivers is None:
        drivers = _kept.drivers = {}
    key, now = _key(provider), time.monotonic()
    kept = drivers.get(provider)
    if kept is not None and kept[0] == key and now - kept[1] < DRIVER_MAX_AGE:
        return kept[2]
    driver = driver_class(provider)()
    drivers[provider] = (key, now, driver)
    return driver


def forget_drivers() -> None:
    """Drop every kept driver of every thread (each thread's cache is replaced on next use)."""
    global _kept
    _kept = threading.local()


@receiver(setting_changed)
def _settings_changed(**kwargs) -> None:
    forget_drivers()


def connection_statuses() -> dict[str, tuple[bool, str]]:
    """Each provider's (connected, status) for the pages that depend on it."""
    return {provider: driver_class(provider).connection_status() for provider in DRIVER_PATHS}
