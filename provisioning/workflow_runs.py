"""The service page's "CI runs" section: the latest GitHub Actions runs of the service's
repository, read from GitHub when it is the git host."""

from django.conf import settings
from django.http import HttpRequest

from provisioning.drivers.base import DriverError, NotConnectedError
from provisioning.git_host.github_api import GitHubClient
from provisioning.golden_paths.sections import UNREAD, origin_already_read
from provisioning.models import ServiceOrigin

RUNS_SHOWN = 5
PAGE_TIMEOUT = (3.0, 5.0)  # connect, read: a slow GitHub must not hold the service page long


def workflow_runs_section(request: HttpRequest, component) -> dict:
    """Runs of the repository the golden path made; empty for services it did not make."""
    origin = origin_already_read(component)
    if origin is UNREAD:
        names = ServiceOrigin.objects.filter(component=component).values_list("name", flat=True)
        name = next(iter(names[:1]), None)
    else:
        name = origin.name if origin else None
    if name is None:
        return {"repository": None}
    if settings.GIT_HOST != "github":
        return {
            "repository": name,
            "not_connected": "not connected: CI runs are read from GitHub (set GIT_HOST=github "
            "with GITHUB_ORG and GITHUB_TOKEN or the GITHUB_APP_* settings)",
        }
    try:
        client = GitHubClient.from_settings()
        runs = client.workflow_runs(name, limit=RUNS_SHOWN, timeout=PAGE_TIMEOUT)
    except NotConnectedError as exc:
        return {"repository": name, "not_connected": str(exc)}
    except DriverError as exc:
        if getattr(exc, "status", None) == 404:  # its creation request has not made it yet
            return {"repository": f"{settings.GITHUB_ORG}/{name}", "missing": True}
        return {"repository": name, "failing": str(exc)}
    return {"repository": f"{client.org}/{name}", "runs": [_row(r) for r in runs]}


def _row(run: dict) -> dict:
    return {
        "name": run.get("name") or run.get("display_title") or "workflow",
        "number": run.get("run_number"),
        "status": run.get("status") or "",
        "conclusion": run.get("conclusion") or "",
        "branch": run.get("head_branch") or "",
        "commit": (run.get("head_sha") or "")[:12],
        "url": run.get("html_url") or "",
        "event": run.get("event") or "",
        "updated_at": run.get("updated_at") or "",
    }
