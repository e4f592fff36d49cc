"""A worker skips Django's health check (a `SELECT 1` before the first query) for tasks that
retry themselves on a database error: a broken connection must then cost a retry, never the
request."""

import pytest
from django.db import DatabaseError, connection

from idp_portal.celery import _drop_old_connections, _drop_old_connections_before
from provisioning import engine
from provisioning.choices import RequestState
from provisioning.models import ProvisioningRequest
from provisioning.tasks import apply_request, reconcile_stalled_requests
from tests.provisioning.test_engine import submit

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="health checks are PostgreSQL's (CONN_MAX_AGE)"
)


@pytest.mark.django_db(transaction=True)
def test_only_a_task_that_retries_on_database_errors_skips_the_health_check():
    connection.ensure_connection()
    _drop_old_connections_before(sender=reconcile_stalled_requests)
    assert not connection.health_check_done  # its first query checks the connection first
    _drop_old_connections_before(sender=apply_request)
    assert connection.health_check_done


@pytest.mark.django_db(transaction=True)
def test_a_broken_connection_fails_the_claim_and_the_retry_gets_a_new_one(
    personas, petstore, dev, recording_driver
):
    request = submit(personas, petstore, dev)
    _drop_old_connections_before(sender=apply_request)
    connection.connection.close()  # as when PostgreSQL restarted while the worker was idle
    with pytest.raises(DatabaseError):  # apply_request's autoretry sends the task again
        engine.apply(request.pk, "w1")
    _drop_old_connections()  # after the task: the error makes Django drop that connection
    assert connection.connection is None
    assert ProvisioningRequest.objects.get(pk=request.pk).state == RequestState.QUEUED
    _drop_old_connections_before(sender=apply_request)
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
