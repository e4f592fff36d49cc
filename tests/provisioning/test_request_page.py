"""The request page says in words what a request did, whom it waits for, and what happened."""

import pytest

from catalog.choices import TeamRole
from provisioning import engine
from provisioning.models import ProvisioningRequest
from tests.factories import add_member, make_user

FORM = "/provisioning/request/s3-bucket/"
BUCKET = {
    "service": "petstore",
    "purpose": "assets",
    "versioning": "on",
    "encryption": "AES256",
    "lifecycle": "none",
}


@pytest.fixture
def member(client, personas, petstore, recording_driver, dev, prod):
    client.force_login(personas.teammate)
    return client


def submit(client, environment: str) -> ProvisioningRequest:
    client.post(FORM, {**BUCKET, "environment": environment, "action": "submit"})
    return ProvisioningRequest.objects.get()


def test_a_succeeded_resource_request_says_what_is_ready_and_links_to_the_service(member):
    request = submit(member, "dev")
    engine.apply(request.pk, "w1")
    html = member.get(request.get_absolute_url()).content.decode()
    assert "Object storage bucket for petstore is ready in dev" in html
    assert f"Request #{request.pk}: Object storage bucket for petstore</h1>" in html
    assert 'href="/catalog/services/default/petstore/#section-resources"' in html
    assert "payments-petstore-dev-assets" in html


def test_the_waiting_page_keeps_updating_and_names_who_can_approve(member, personas):
    second = make_user("lead2", first_name="Lee", last_name="Second")
    add_member(personas.team, second, TeamRole.LEAD)
    request = submit(member, "prod")
    html = member.get(request.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 10s"' in html
    assert "Who can approve: <strong>Lee Second, owner</strong>" in html


def test_a_lead_asking_is_not_named_as_their_own_approver(client, personas, petstore, prod):
    client.force_login(personas.owner)
    request = submit(client, "prod")
    html = client.get(request.get_absolute_url()).content.decode()
    assert "Who can approve" not in html
    assert "No other lead of Payments can approve it, so a platform admin must" in html


def test_the_log_and_the_message_say_what_happened_in_words(member, client, personas):
    request = submit(member, "prod")
    client.force_login(personas.owner)
    response = client.post(f"/provisioning/requests/{request.pk}/approve/", follow=True)
    html = response.content.decode()
    assert "Approved. A worker is applying it now" in html
    assert "Approved by owner (asked by teammate); applying now" in html
    assert "owner</strong> approved" not in html and "approve done" not in html
    log = list(request.events.values_list("message", flat=True))
    assert log[0].startswith("Requested by teammate: ")
    assert log[1].startswith(
        "Waiting for approval: Production requests need a team lead's approval"
    )


def test_the_lead_is_told_they_can_approve(member, client, personas):
    request = submit(member, "prod")
    client.force_login(personas.owner)
    html = client.get(request.get_absolute_url()).content.decode()
    assert "You can: read the plan, then press Approve below." in html
    assert ">Approve</button>" in html
