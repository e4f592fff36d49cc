"""Extension points other apps fill without provisioning importing them.

`register_bundle(key, generator)`: a generator(component, environment) -> list[PlannedResource]
adds resources to every new service's plan (the observability app registers the standard
bundle here in its AppConfig.ready). With nothing registered, callers show "not configured".

`register_renderer(key, renderer)`: a step may hold only the inputs of its resource (config
{"render": key, …}) instead of the resource itself, so a request of thousands of generated
bundles stays small; the engine asks renderer(resource) -> PlannedResource for the whole
resource when the step runs (`rendered`).

`register_after_request(key, hook)`: hook(request, steps) runs in the worker's task when a
request finishes (succeeded or failed), after its state is stored; `steps` are the request's
steps as the engine holds them, in position order, so a hook reads them without another round
trip to the database. The observability app refreshes the coverage of the services whose
GitOps files the request wrote, so every page and the API agree at once. A hook's error is
logged and never changes the request's outcome.
"""

import logging
from collections.abc import Callable

from provisioning.drivers.base import PermanentError, PlannedResource

logger = logging.getLogger(__name__)

BundleGenerator = Callable[[object, object], list[PlannedResource]]
_BUNDLES: dict[str, BundleGenerator] = {}


def register_bundle(key: str, generator: BundleGenerator) -> None:
    _BUNDLES[key] = generator


def unregister_bundle(key: str) -> None:
    _BUNDLES.pop(key, None)


def bundles() -> dict[str, BundleGenerator]:
    return dict(_BUNDLES)


ResourceRenderer = Callable[[PlannedResource], PlannedResource]
_RENDERERS: dict[str, ResourceRenderer] = {}


def register_renderer(key: str, renderer: ResourceRenderer) -> None:
    _RENDERERS[key] = renderer


def rendered(resource: PlannedResource) -> PlannedResource:
    """The whole resource of a step stored as inputs; any other resource as it is."""
    key = resource.config.get("render")
    if not key:
        return resource
    renderer = _RENDERERS.get(key)
    if renderer is None:
        raise PermanentError(
            f"no app here renders {key!r} steps: is it in INSTALLED_APPS? Nothing was written"
        )
    return renderer(resource)


AfterRequest = Callable[[object, list], None]
_AFTER_REQUEST: dict[str, AfterRequest] = {}


def register_after_request(key: str, hook: AfterRequest) -> None:
    _AFTER_REQUEST[key] = hook


def after_request(request, steps: list) -> None:
    """Run every registered hook for a request that just finished, with its steps."""
    for key, hook in list(_AFTER_REQUEST.items()):
        try:
            hook(request, steps)
        except Exception:  # a hook must never turn a finished request into a failed task
            logger.exception("after-request hook %r failed for request %s", key, request.pk)
