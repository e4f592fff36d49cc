"""Drift checks, reconcile and decommission of resources the portal made."""

import pytest

from provisioning import engine, services
from provisioning.choices import RequestState, ResourceState
from provisioning.models import ProvisionedResource
from tests.provisioning.test_engine import BUCKET


@pytest.fixture
def bucket(personas, petstore, dev, recording_driver):
    request = services.submit_request(personas.teammate, "s3-bucket", petstore, dev, BUCKET)
    engine.apply(request.pk, "w1")
    return ProvisionedResource.objects.get()


def test_a_resource_deleted_outside_the_portal_is_flagged_missing(bucket, recording_driver):
    recording_driver.made.clear()
    assert engine.check_all_drift() == {ResourceState.MISSING: 1}
    bucket.refresh_from_db()
    assert bucket.state == ResourceState.MISSING and "no longer exists" in bucket.drift[0]


def test_drift_is_recorded_with_what_differs(bucket, recording_driver, monkeypatch):
    monkeypatch.setattr(recording_driver, "check_drift", lambda self, r: ["versioning is off"])
    engine.check_all_drift()
    bucket.refresh_from_db()
    assert bucket.state == ResourceState.DRIFTED and bucket.drift == ["versioning is off"]


def test_reconcile_re_applies_the_plan(bucket, personas, recording_driver, client):
    recording_driver.made.clear()
    engine.check_all_drift()
    client.force_login(personas.teammate)
    response = client.post(f"/provisioning/resources/{bucket.pk}/reconcile/")
    request = ProvisionedResource.objects.get().request
    assert response["Location"] == request.get_absolute_url()
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    assert ProvisionedResource.objects.get().state == ResourceState.ACTIVE
    assert "payments-petstore-dev-assets" in recording_driver.made


def test_decommission_deletes_and_frees_the_name(
    bucket, personas, recording_driver, client, petstore, dev
):
    # A lead's decommission outside production goes at once (a member's waits: test_access.py).
    client.force_login(personas.owner)
    client.post(f"/provisioning/resources/{bucket.pk}/decommission/")
    request = ProvisionedResource.objects.get().request
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    assert not ProvisionedResource.objects.exists() and not recording_driver.made
    services.submit_request(personas.teammate, "s3-bucket", petstore, dev, BUCKET)  # name reusable


def test_outsiders_cannot_act_on_a_resource(bucket, personas, client):
    client.force_login(personas.outsider)
    assert client.post(f"/provisioning/resources/{bucket.pk}/decommission/").status_code == 403
