"""The periodic task runs in a real worker process on Redis against PostgreSQL."""

from datetime import timedelta

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
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
