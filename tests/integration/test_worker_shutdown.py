"""A worker told to stop (SIGTERM, as Kubernetes does) never loses the task it is running.

Pods run workers with REMAP_SIGTERM=SIGQUIT and CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT
(deploy/base/worker.yaml): a task that finishes within the soft period finishes; one that does
not is handed back to the queue (late acks) and another worker runs it.
"""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from idp_portal.celery import app
from tests.helpers import ROOT
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis"),
    reason="needs CELERY_BROKER_URL=redis://… (set by .ci/run)",
)


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def start_pod_worker(tmp_path: Path, queue: str, soft_seconds: int) -> subprocess.Popen:
    """A worker configured as in the pods, consuming only this test's queue."""
    env = {
        **os.environ,
        "DEBUG": "true",
        "IDP_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "REMAP_SIGTERM": "SIGQUIT",
        "CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT": str(soft_seconds),
    }
    log = open(tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log", "w+")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "idp_portal", "worker", "-I",
         "tests.integration.shutdown_tasks", "-Q", queue, "--concurrency", "1",
         "--without-mingle", "--without-gossip", "--loglevel", "INFO",
         "-n", f"shutdown-{uuid.uuid4().hex[:8]}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    proc.log = log
    log_text = lambda: (log.seek(0), log.read())[1]  # noqa: E731
    assert wait_for(lambda: "ready." in log_text() or proc.poll() is not None, timeout=60)
    assert proc.poll() is None, log_text()
    return proc


@pytest.fixture
def workers():
    started = []
    yield started
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.log.close()


@pytest.fixture
def queue():
    name = f"shutdown-test-{uuid.uuid4().hex}"
    yield name
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(name)


def test_a_task_that_finishes_within_the_soft_period_finishes(tmp_path, workers, queue):
    workers.append(worker := start_pod_worker(tmp_path, queue, soft_seconds=30))
    app.send_task("tests.shutdown.slow", args=[str(tmp_path), 3], queue=queue)
    assert wait_for(lambda: lines(tmp_path / "started") == 1, timeout=30)

    worker.send_signal(signal.SIGTERM)

    assert worker.wait(timeout=60) == 0
    assert lines(tmp_path / "finished") == 1


def test_a_task_still_running_after_the_soft_period_is_handed_back(tmp_path, workers, queue):
    workers.append(first := start_pod_worker(tmp_path, queue, soft_seconds=1))
    app.send_task("tests.shutdown.slow", args=[str(tmp_path), 8], queue=queue)
    assert wait_for(lambda: lines(tmp_path / "started") == 1, timeout=30)

    first.send_signal(signal.SIGTERM)
    first.wait(timeout=60)
    assert lines(tmp_path / "finished") == 0  # it was stopped, not finished

    workers.append(start_pod_worker(tmp_path, queue, soft_seconds=30))
    assert wait_for(lambda: lines(tmp_path / "finished") == 1, timeout=60), (
        "the task was lost when its worker stopped"
    )
    assert lines(tmp_path / "started") == 2
