"""The poller fallback records completed workflow runs as the webhook does, once per run."""

from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from provisioning import deploy_events_poll
from provisioning.demo import seed_golden_paths
from provisioning.models import Build, ChangeCommit, GoldenPath, ServiceOrigin
from tests.provisioning.github_webhooks.payloads import DEFINITIONS, merge, minimal

SHA = "c" * 40


@pytest.fixture
def origins(personas):
    seed_golden_paths()
    gp = GoldenPath.objects.get(slug="python-http")
    for name in ("checkout", "search"):
        ServiceOrigin.objects.create(name=name, golden_path=gp, team=personas.team, image="x")


def run(run_id: int, status: str = "completed") -> dict:
    """A workflow run as GitHub's API and webhooks describe it (the shared `workflow-run`)."""
    head = {"id": SHA, "timestamp": "2026-02-01T10:00:00Z", "author": {"name": "Ann"}}
    return merge(
        minimal(DEFINITIONS["workflow-run"]),
        {
            "id": run_id,
            "name": "CI",
            "status": status,
            "conclusion": "success",
            "head_sha": SHA,
            "head_commit": head,
        },
    )


def test_it_records_completed_runs_once_and_skips_running_ones(origins):
    def read(name):
        if name == "search":
            raise RuntimeError("GitHub answered 404")
        return f"acme/{name}", [run(1), run(2, status="in_progress")]

    report = deploy_events_poll.poll(read)
    again = deploy_events_poll.poll(read)
    assert (report.recorded, again.recorded) == (1, 1)
    assert report.problems == {"search": "GitHub answered 404"}
    build = Build.objects.get()
    assert (build.repository, build.run_id, build.origin.name) == ("acme/checkout", 1, "checkout")
    assert ChangeCommit.objects.get().committed_at == datetime(2026, 2, 1, 10, tzinfo=UTC)


def test_the_command_says_what_to_set_when_github_is_not_connected(db, settings, monkeypatch):
    def not_connected():
        raise deploy_events_poll.NotConnected("not connected: set GITHUB_ORG and GITHUB_TOKEN")

    monkeypatch.setattr(deploy_events_poll, "github_runs_reader", not_connected)
    with pytest.raises(CommandError, match="GITHUB_ORG"):
        call_command("poll_deploy_events")


@pytest.mark.parametrize(
    ("env", "scheduled"),
    [
        ({"GIT_HOST": "github", "GITHUB_WEBHOOK_SECRET": ""}, True),
        ({"GIT_HOST": "github", "GITHUB_WEBHOOK_SECRET": "s"}, False),
        ({"GIT_HOST": "local", "GITHUB_WEBHOOK_SECRET": ""}, False),
    ],
)
def test_beat_polls_only_on_github_without_a_webhook_secret(env, scheduled):
    import os
    import subprocess
    import sys

    code = (
        "from idp_portal import settings; "
        "print('poll-deploy-events' in settings.CELERY_BEAT_SCHEDULE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == str(scheduled)
