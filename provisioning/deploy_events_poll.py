"""The poller fallback where GitHub's webhooks cannot reach the portal: read each service's
recent workflow runs through GitHub's API and record them as the webhook would (same Build
rows, keyed by repository and run id, so a run seen by both stays one row).

Beat runs it every DEPLOY_EVENTS_POLL_SECONDS only when GIT_HOST=github and
GITHUB_WEBHOOK_SECRET is unset; `manage.py poll_deploy_events` runs it by hand.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from provisioning.deploy_events import build_fields, record_build
from provisioning.drivers.base import NotConnectedError
from provisioning.git_host.github_api import GitHubClient
from provisioning.models import ServiceOrigin

logger = logging.getLogger(__name__)
RUNS_PER_SERVICE = 20
# (repository name) -> (the repository's full name, its recent workflow runs)
RunsReader = Callable[[str], tuple[str, list[dict]]]


@dataclass
class PollReport:
    """How a poll went: runs recorded, and per service what could not be read."""

    recorded: int = 0
    problems: dict[str, str] = field(default_factory=dict)


class NotConnected(Exception):
    """The GitHub client is not configured; the message says what to set."""


def github_runs_reader() -> RunsReader:
    """Workflow runs through the GitHub client (provisioning/git_host/github_api.py)."""
    try:
        client = GitHubClient.from_settings()
    except NotConnectedError as error:  # names the settings to set
        raise NotConnected(str(error)) from None

    def read(name: str) -> tuple[str, list[dict]]:
        return f"{client.org}/{name}", client.workflow_runs(name, limit=RUNS_PER_SERVICE)

    return read


def poll(read: RunsReader) -> PollReport:
    """Record every completed run of every service (one API call per service)."""
    report = PollReport()
    for origin in ServiceOrigin.objects.order_by("name"):
        try:
            repository, runs = read(origin.name)
        except Exception as error:  # one service's failure must not stop the others
            report.problems[origin.name] = str(error)[:300]
            logger.warning("workflow runs of %s not read: %s", origin.name, error)
            continue
        for run in runs:
            if run.get("status") != "completed":
                continue  # still running: the next poll records it
            fields = build_fields({"action": "completed", "workflow_run": run})
            if fields is not None:
                record_build(origin, repository, fields)
                report.recorded += 1
    return report
