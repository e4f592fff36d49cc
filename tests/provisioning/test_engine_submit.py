"""Submit outside a transaction on PostgreSQL (a web request, the API): the request and its
rows go in one query, which PostgreSQL runs as one transaction, after its id is taken from
the sequence; the message is sent once that query has returned (committed)."""

import pytest
from django.db import connection, transaction

from idp_portal.models import AuditEvent
from provisioning import batched_writes, services
from provisioning.choices import RequestState
from provisioning.models import (
    GovernancePolicy,
    ProvisionedResource,
    ProvisioningRequest,
    RequestEvent,
)
from provisioning.tasks import apply_request
from tests.provisioning.test_engine import BUCKET

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="several statements in one query: PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def sent(monkeypatch) -> list:
    """The ids apply_request's messages would carry, and whether the request was stored then."""
    sent = []
    monkeypatch.setattr(
        apply_request,
        "delay",
        lambda pk: sent.append((pk, not connection.in_atomic_block)),
    )
    return sent


def test_submit_stores_the_request_and_its_rows_in_one_query(
    personas, petstore, dev, recording_driver, sent, django_assert_num_queries
):
    assert batched_writes.several_statements_per_query()
    # the policy with the request's id (one query, was two), then the request, its names,
    # steps, log and audit event
    with django_assert_num_queries(2):
        request = services.submit_request(personas.teammate, "s3-bucket", petstore, dev, BUCKET)
    assert sent == [(request.pk, True)]  # sent after the query that stored it, no transaction
    stored = ProvisioningRequest.objects.get(pk=request.pk)
    assert stored.state == RequestState.QUEUED and stored.submitted_at == request.submitted_at
    assert stored.created_at == request.created_at and stored.plan == request.plan
    assert [s.resource["name"] for s in stored.steps.all()] == ["payments-petstore-dev-assets"]
    assert list(stored.events.values_list("message", flat=True)) == [
        f"Requested by teammate: {request.plan['summary']}",
        services.QUEUED,
    ]
    assert stored.resources.get().name == "payments-petstore-dev-assets"
    audit = AuditEvent.objects.get(object_id=str(request.pk))
    assert audit.action == "request.create" and audit.actor == personas.teammate
    request.state = RequestState.CANCELLED
    request.save(update_fields=["state"])  # the instance is a stored row's, like a created one
    assert ProvisioningRequest.objects.get(pk=request.pk).state == RequestState.CANCELLED


def test_the_policy_read_with_the_id_is_the_one_in_force(
    personas, petstore, dev, recording_driver, sent
):
    """The id comes in the policy's query: the newest policy row still shapes the plan, and
    with no policy row at all the defaults do."""
    without = services.submit_request(personas.teammate, "s3-bucket", petstore, dev, BUCKET)
    assert without.plan["resources"][0]["name"] == "payments-petstore-dev-assets"
    GovernancePolicy.objects.create(naming_pattern="old-{service}-{purpose}")
    GovernancePolicy.objects.create(
        naming_pattern="{env}-{service}-{purpose}", managed_by="platform"
    )
    request = services.submit_request(personas.teammate, "s3-bucket", petstore, dev, BUCKET)
    resource = request.plan["resources"][0]
    assert resource["name"] == "dev-petstore-assets"
    assert resource["tags"]["managed-by"] == "platform"
    assert request.pk > without.pk
    assert [pk for pk, _ in sent] == [without.pk, request.pk]


def test_a_taken_name_leaves_nothing_of_the_second_request(
    personas, petstore, dev, recording_driver, sent
):
    first = services.submit_request(personas.teammate, "s3-bucket", petstore, dev, BUCKET)
    with pytest.raises(services.NameTaken):
        services.submit_request(personas.teammate, "s3-bucket", petstore, dev, BUCKET)
    assert list(ProvisioningRequest.objects.values_list("pk", flat=True)) == [first.pk]
    assert ProvisionedResource.objects.count() == 1 and AuditEvent.objects.count() == 1
    assert set(RequestEvent.objects.values_list("request_id", flat=True)) == {first.pk}
    assert sent == [(first.pk, True)]


def test_inside_a_transaction_submit_keeps_to_a_savepoint(
    personas, petstore, dev, recording_driver, sent
):
    """A caller's transaction survives a taken name, and the message waits for its commit."""
    with transaction.atomic():
        first = services.submit_request(personas.teammate, "s3-bucket", petstore, dev, BUCKET)
        with pytest.raises(services.NameTaken):
            services.submit_request(personas.teammate, "s3-bucket", petstore, dev, BUCKET)
        assert ProvisioningRequest.objects.count() == 1  # the transaction is still usable
        assert sent == []
    assert sent == [(first.pk, True)]
