"""The Celery app: every call to a cloud, a cluster, a secret store or a git host runs here."""

import os

from celery import Celery
from celery.signals import beat_init, task_postrun, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idp_portal.settings")

app = Celery("idp_portal")
# Settings named CELERY_* in idp_portal/settings.py configure the app (acks, limits, schedule).
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fixup closes every database connection before and after every task unless
# this is set, so CONN_MAX_AGE never applied in a worker: each task opened a new PostgreSQL
# connection (about 4 ms of a 40 ms request, the provisioning benchmark found). With it, the
# fixup closes them only every this many tasks, and the handlers below let Django's own rule
# decide in between: CONN_MAX_AGE, and CONN_HEALTH_CHECKS dropping a connection that broke.
app.conf.update(CELERY_DB_REUSE_MAX=1000)
app.autodiscover_tasks()

# Connected here, where web and worker both import them: the request id in task headers and
# log lines, and the task metrics (their receivers are in these modules).
from idp_portal import metrics, request_ids  # noqa: E402, F401


def _drop_old_connections(**kwargs) -> None:
    from django.db import close_old_connections

    close_old_connections()


def _drop_old_connections_before(sender=None, **kwargs) -> None:
    """Before a task: as after it, and no health check (`SELECT 1`, a round trip before the
    task's first query) for a task that retries itself on a database error, such as
    apply_request: a broken connection fails its first query, which changes nothing, the task
    is sent again, and the error makes the next check close that connection."""
    from django.db import DatabaseError, connections

    _drop_old_connections()
    if DatabaseError in getattr(sender, "autoretry_for", ()):
        for connection in connections.all(initialized_only=True):
            connection.health_check_done = True


@worker_init.connect
def _keep_healthy_connections(**kwargs) -> None:
    """Only in a worker: tests that run tasks eagerly inside a transaction keep theirs."""
    task_prerun.connect(_drop_old_connections_before, weak=False)
    task_postrun.connect(_drop_old_connections, weak=False)


@beat_init.connect
def _hold_the_beat_lock(**kwargs) -> None:
    """Only in beat: wait for, then hold, the lock that keeps a second beat from scheduling."""
    from django.conf import settings

    from .beat_lock import hold_for_beat

    hold_for_beat(app.conf.broker_url, settings.BEAT_LOCK_SECONDS, settings.BEAT_LOCK_KEY)
