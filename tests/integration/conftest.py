"""Real components: a Celery worker process on the Redis broker, against the test database."""

import os
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


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """Start `celery worker` as a separate OS process; yield it; stop it afterwards."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "IDP_DATA_DIR": str(tmp_path),
        "DEBUG": "true",
    }
    log = open(tmp_path / "worker.log", "w+")  # noqa: SIM115 - closed below
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
            f"test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _wait_until_ready(proc, log)
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


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
