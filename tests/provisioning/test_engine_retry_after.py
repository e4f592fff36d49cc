"""A transient error that says how long to wait (a rate limit's retry-after) is waited out."""

from provisioning import engine, services
from provisioning.choices import RequestState
from tests.provisioning.recording_driver import TransientError
from tests.provisioning.test_engine import BUCKET


def test_the_retry_waits_at_least_as_long_as_the_system_asked(
    personas, petstore, dev, recording_driver
):
    recording_driver.failures["payments-petstore-dev-assets"] = [
        TransientError("secondary rate limit", retry_after=900.0)
    ]
    request = services.submit_request(personas.teammate, "s3-bucket", petstore, dev, BUCKET, "")
    first = engine.apply(request.pk, "w1")
    assert first.state == RequestState.QUEUED
    assert first.retry_in == 900.0  # beyond the backoff's cap: the system's word wins
    assert "retrying in 900s" in request.events.get(kind="retry").message
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
