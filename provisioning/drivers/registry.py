"""Which driver serves which provider."""

from django.utils.module_loading import import_string

from provisioning.drivers.base import ResourceDriver

DRIVER_PATHS = {
    "aws": "provisioning.drivers.aws.AwsDriver",
    "kubernetes": "provisioning.drivers.kubernetes.KubernetesDriver",
    "vault": "provisioning.drivers.vault.VaultDriver",
    "git": "provisioning.drivers.git.GitDriver",
    "portal": "provisioning.drivers.portal.PortalDriver",
    "golden-path": "provisioning.drivers.upgrades.RepositoryUpdateDriver",
}


def driver_class(provider: str) -> type[ResourceDriver]:
    return import_string(DRIVER_PATHS[provider])


def get_driver(provider: str) -> ResourceDriver:
    return driver_class(provider)()


def connection_statuses() -> dict[str, tuple[bool, str]]:
    """Each provider's (connected, status) for the pages that depend on it."""
    return {provider: driver_class(provider).connection_status() for provider in DRIVER_PATHS}
