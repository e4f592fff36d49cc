"""The periodic task runs in a real worker process on Redis against PostgreSQL."""

import time
from datetime import timedelta

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from idp_portal.tasks import clear_expired_sessions
from tests.integration.conftest import needs_redis_and_postgres, wait_for

pytestmark = needs_redis_and_postgres


def test_a_real_worker_runs_the_housekeeping_task(celery_worker_process):
    store = SessionStore()
    store["x"] = 1
    store.create()
    Session.objects.update(expire_date=timezone.now() - timedelta(minutes=1))

    clear_expired_sessions.delay()

    assert wait_for(lambda: not Session.objects.exists()), (
        "the worker never deleted the expired session"
    )


def _other_backends() -> set[int]:
    """PostgreSQL backends on the test database other than this test's own connection."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {row[0] for row in cursor.fetchall()}


def _expire_one_session() -> None:
    store = SessionStore()
    store["x"] = 1
    store.create()
    Session.objects.update(expire_date=timezone.now() - timedelta(minutes=1))


def test_a_worker_keeps_its_database_connection_between_tasks(celery_worker_process):
    """Celery's Django fixup used to close it around every task: a new connection per task."""
    before = _other_backends()
    kept = []
    for _ in range(3):
        _expire_one_session()
        clear_expired_sessions.delay()
        assert wait_for(lambda: not Session.objects.exists())
        time.sleep(1)  # the task has returned: a connection closed after it would be gone now
        kept.append(_other_backends() - before)

    assert kept[0], "the worker closed its connection after the task"
    assert kept[0] == kept[1] == kept[2], f"the worker reconnected between tasks: {kept}"
