"""Two real `celery beat` processes on one Redis: the second waits until the first stops."""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.helpers import ROOT
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis"),
    reason="needs CELERY_BROKER_URL=redis://… (set by .ci/run)",
)


def start_beat(tmp_path: Path, name: str, key: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "true",
        "IDP_DATA_DIR": str(tmp_path / name),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'beat.sqlite3'}",
        "BEAT_LOCK_KEY": key,
    }
    log = open(tmp_path / f"{name}.log", "w+")  # noqa: SIM115 - closed by the fixture
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "idp_portal", "beat", "--loglevel", "INFO",
         "--schedule", str(tmp_path / f"{name}-schedule")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    proc.log = log
    return proc


def said(proc: subprocess.Popen, text: str) -> bool:
    proc.log.seek(0)
    return text in proc.log.read()


@pytest.fixture
def beats():
    started = []
    yield started
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.log.close()


def test_a_second_beat_waits_for_the_first_and_takes_over_when_it_stops(tmp_path, beats):
    key = f"test-beat-lock:{uuid.uuid4()}"
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    beats.append(first := start_beat(tmp_path, "first", key))
    assert wait_for(lambda: said(first, "celery beat took the lock"), timeout=60)

    beats.append(second := start_beat(tmp_path, "second", key))
    assert wait_for(lambda: said(second, "another celery beat holds the lock"), timeout=60)
    assert not said(second, "celery beat took the lock")

    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=30) == 0
    assert wait_for(lambda: said(second, "celery beat took the lock"), timeout=30)
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 0
    assert client.exists(key) == 0  # released on exit, not left to expire
