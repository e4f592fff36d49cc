"""Real components: a Celery worker process on the Redis broker, against the test database."""

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from tests.helpers import ROOT

needs_redis_and_postgres = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis") or connection.vendor != "postgresql",
    reason="needs CELERY_BROKER_URL=redis://… and DATABASE_URL=postgres://… (set by .ci/run)",
)


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(tmp_path, name: str, extra_env: dict | None = None) -> subprocess.Popen:
    """A `celery worker` OS process in its own session (so a test can SIGKILL all of it)."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "IDP_DATA_DIR": str(tmp_path),
        "DEBUG": "true",
        **(extra_env or {}),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = open(tmp_path / f"{name}.log", "w+")  # noqa: SIM115 - closed by stop_worker
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "idp_portal",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"{name}-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proc.log = log
    _wait_until_ready(proc, log)
    return proc


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    proc.log.close()


def kill_worker(proc: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool processes: no cleanup, no acknowledgement."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.fixture
def worker_factory(transactional_db, tmp_path):
    started = []

    def start(name: str = "worker", extra_env: dict | None = None) -> subprocess.Popen:
        proc = start_worker(tmp_path, name, extra_env)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        with contextlib.suppress(ProcessLookupError):
            stop_worker(proc)


@pytest.fixture
def celery_worker_process(worker_factory):
    return worker_factory()


def worker_log(proc: subprocess.Popen) -> str:
    proc.log.seek(0)
    return proc.log.read()


def _wait_until_ready(proc, log, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log.seek(0)
        if "ready." in log.read():
            return
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail(f"celery worker exited early:\n{log.read()}")
        time.sleep(0.3)
    pytest.fail("celery worker did not become ready within 60 s")


def wait_for(predicate, timeout: float = 30, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
