"""What observability does when a provisioning request finishes (the engine's after-request
hook), from the request's steps the engine hands over: the dashboards of the services it wrote are
upserted through Grafana's API (when connected), then their coverage is refreshed, so the
coverage read finds those dashboards and the API, the coverage page and the service page agree
at once."""

import logging

from observability.grafana_api import sync_dashboards
from observability.services import refresh_coverage_of, services_written_by

logger = logging.getLogger(__name__)


def after_request(request, steps: list) -> None:
    if not (names := services_written_by(request, steps)):
        return
    try:
        sync_dashboards(names)
    except Exception:  # Grafana's trouble must not leave the coverage stale
        logger.exception("Grafana dashboards of %s not synced", ", ".join(sorted(names)))
    refresh_coverage_of(names)
