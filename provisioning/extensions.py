"""Extension points other apps fill without provisioning importing them.

`register_bundle(key, generator)`: a generator(component, environment) -> list[PlannedResource]
adds resources to every new service's plan (the observability app registers the standard
bundle here in its AppConfig.ready). With nothing registered, callers show "not configured".
"""

from collections.abc import Callable

from provisioning.drivers.base import PlannedResource

BundleGenerator = Callable[[object, object], list[PlannedResource]]
_BUNDLES: dict[str, BundleGenerator] = {}


def register_bundle(key: str, generator: BundleGenerator) -> None:
    _BUNDLES[key] = generator


def unregister_bundle(key: str) -> None:
    _BUNDLES.pop(key, None)


def bundles() -> dict[str, BundleGenerator]:
    return dict(_BUNDLES)
