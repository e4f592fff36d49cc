"""Four eyes on destructive and production changes: who may approve, cancel and decommission,
and that the buttons shown are the ones that work."""

import pytest

from catalog import access
from catalog.choices import TeamRole
from idp_portal.models import AuditEvent
from provisioning import engine, services
from provisioning.choices import RequestState
from provisioning.models import ProvisionedResource, ProvisioningRequest
from tests.factories import add_member, make_user
from tests.provisioning.conftest import default_environment
from tests.provisioning.test_engine import BUCKET


def _bucket_in(env, personas, petstore, approver=None):
    request = services.submit_request(personas.teammate, "s3-bucket", petstore, env, BUCKET)
    if request.state == RequestState.AWAITING_APPROVAL:
        assert services.approve_request(request, approver or personas.owner)
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    return ProvisionedResource.objects.get(request=request)


@pytest.fixture
def prod_bucket(personas, petstore, prod, recording_driver):
    return _bucket_in(prod, personas, petstore)


@pytest.fixture
def dev_bucket(personas, petstore, dev, recording_driver):
    return _bucket_in(dev, personas, petstore)


def test_a_member_decommissioning_production_waits_for_a_lead(prod_bucket, personas, client):
    client.force_login(personas.teammate)
    response = client.post(f"/provisioning/resources/{prod_bucket.pk}/decommission/")
    request = ProvisioningRequest.objects.get(type="decommission")
    assert response["Location"] == request.get_absolute_url()
    assert request.state == RequestState.AWAITING_APPROVAL
    assert request.environment.name == "prod"
    assert "production" in request.needs_approval_reason
    assert engine.apply(request.pk, "w1").state == "nothing to do"
    assert ProvisionedResource.objects.filter(pk=prod_bucket.pk).exists()


def test_the_lead_approves_a_members_production_decommission_and_it_runs(
    prod_bucket, personas, client, recording_driver
):
    client.force_login(personas.teammate)
    client.post(f"/provisioning/resources/{prod_bucket.pk}/decommission/")
    request = ProvisioningRequest.objects.get(type="decommission")
    client.force_login(personas.owner)
    client.post(f"/provisioning/requests/{request.pk}/approve/")
    request.refresh_from_db()
    assert request.state == RequestState.QUEUED and request.approved_by == personas.owner
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    assert not ProvisionedResource.objects.filter(pk=prod_bucket.pk).exists()


def test_a_lead_decommissioning_production_also_waits(prod_bucket, personas):
    request = services.follow_up_request(personas.owner, prod_bucket, "decommission")
    assert request.state == RequestState.AWAITING_APPROVAL
    assert not access.can(personas.owner, "request.approve", request)


def test_a_member_decommissioning_outside_production_waits_for_a_lead(dev_bucket, personas):
    request = services.follow_up_request(personas.teammate, dev_bucket, "decommission")
    assert request.state == RequestState.AWAITING_APPROVAL
    assert request.environment.name == "dev"
    assert "team lead" in request.needs_approval_reason


def test_a_lead_decommissioning_outside_production_goes_at_once(dev_bucket, personas):
    request = services.follow_up_request(personas.owner, dev_bucket, "decommission")
    assert request.state == RequestState.QUEUED and not request.needs_approval_reason


def test_a_reconcile_never_waits(dev_bucket, personas):
    request = services.follow_up_request(personas.teammate, dev_bucket, "reconcile")
    assert request.state == RequestState.QUEUED


def test_a_gitops_overlay_row_carries_its_own_environment(dev_bucket, personas, petstore):
    prod = default_environment("prod")
    staging = default_environment("staging")
    overlay = ProvisionedResource.objects.create(
        team=personas.team,
        component=petstore,
        environment=staging,  # how golden paths claimed every GitOps row
        provider="git",
        kind="gitops-files",
        name="gitops:apps/petstore/overlays/prod",
        state="active",
    )
    request = services.follow_up_request(personas.owner, overlay, "decommission")
    assert request.environment == prod
    assert request.state == RequestState.AWAITING_APPROVAL


def test_a_row_shared_by_every_environment_counts_as_production(dev_bucket, personas, petstore):
    default_environment("prod")
    base = ProvisionedResource.objects.create(
        team=personas.team,
        component=petstore,
        environment=default_environment("staging"),
        provider="git",
        kind="gitops-files",
        name="gitops:apps/petstore/base",
        state="active",
    )
    request = services.follow_up_request(personas.owner, base, "decommission")
    assert request.environment.name == "prod"
    assert "shared by every environment" in request.needs_approval_reason


def test_an_admin_cannot_approve_their_own_production_request(
    platform_admin, personas, petstore, prod
):
    request = services.submit_request(platform_admin, "s3-bucket", petstore, prod, BUCKET)
    assert request.state == RequestState.AWAITING_APPROVAL
    assert not access.can(platform_admin, "request.approve", request)
    assert not services.approve_request(request, platform_admin)  # even called directly
    request.refresh_from_db()
    assert request.state == RequestState.AWAITING_APPROVAL and request.approved_by is None


def test_the_requester_sees_no_approve_button_and_a_forged_post_is_refused_and_audited(
    platform_admin, personas, petstore, prod, client
):
    request = services.submit_request(platform_admin, "s3-bucket", petstore, prod, BUCKET)
    client.force_login(platform_admin)
    page = client.get(request.get_absolute_url()).content.decode()
    assert "Approve</button>" not in page and "Cancel request" in page
    response = client.post(f"/provisioning/requests/{request.pk}/approve/")
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.state == RequestState.AWAITING_APPROVAL
    denied = AuditEvent.objects.get(action="request.approve", outcome="denied")
    assert denied.actor == platform_admin and denied.object_id == str(request.pk)


def test_another_lead_sees_the_approve_button_and_it_works(personas, petstore, prod, client):
    request = services.submit_request(personas.teammate, "s3-bucket", petstore, prod, BUCKET)
    client.force_login(personas.owner)
    assert "Approve</button>" in client.get(request.get_absolute_url()).content.decode()
    client.post(f"/provisioning/requests/{request.pk}/approve/")
    request.refresh_from_db()
    assert request.state == RequestState.QUEUED
    event = AuditEvent.objects.get(action="request.approve", outcome="ok")
    assert event.actor == personas.owner and event.team == personas.team.name


def test_a_replayed_approval_does_nothing(personas, petstore, prod, client):
    request = services.submit_request(personas.teammate, "s3-bucket", petstore, prod, BUCKET)
    client.force_login(personas.owner)
    client.post(f"/provisioning/requests/{request.pk}/approve/")
    response = client.post(f"/provisioning/requests/{request.pk}/approve/", follow=True)
    assert "nothing to approve" in response.content.decode()
    assert AuditEvent.objects.filter(action="request.approve").count() == 1


def test_a_member_cannot_cancel_a_leads_pending_request(personas, petstore, prod, client):
    request = services.submit_request(personas.owner, "s3-bucket", petstore, prod, BUCKET)
    client.force_login(personas.teammate)
    assert "Cancel request" not in client.get(request.get_absolute_url()).content.decode()
    assert client.post(f"/provisioning/requests/{request.pk}/cancel/").status_code == 403
    request.refresh_from_db()
    assert request.state == RequestState.AWAITING_APPROVAL


def test_a_member_cancels_their_own_pending_request(personas, petstore, prod, client):
    request = services.submit_request(personas.teammate, "s3-bucket", petstore, prod, BUCKET)
    client.force_login(personas.teammate)
    client.post(f"/provisioning/requests/{request.pk}/cancel/")
    request.refresh_from_db()
    assert request.state == RequestState.CANCELLED
    assert AuditEvent.objects.filter(action="request.cancel", actor=personas.teammate).exists()


def test_a_lead_cancels_a_members_pending_request(personas, petstore, prod, client):
    request = services.submit_request(personas.teammate, "s3-bucket", petstore, prod, BUCKET)
    client.force_login(personas.owner)
    client.post(f"/provisioning/requests/{request.pk}/cancel/")
    request.refresh_from_db()
    assert request.state == RequestState.CANCELLED


def test_the_approvals_list_leaves_out_ones_own_requests(personas, petstore, prod, client):
    own = services.submit_request(personas.owner, "s3-bucket", petstore, prod, BUCKET)
    other = services.submit_request(
        personas.teammate, "s3-bucket", petstore, prod, {**BUCKET, "purpose": "logs"}
    )
    client.force_login(personas.owner)
    page = client.get("/provisioning/approvals/").content.decode()
    assert f">#{other.pk}</a>" in page and f">#{own.pk}</a>" not in page


def test_another_teams_member_cannot_decommission(dev_bucket, personas, client):
    client.force_login(personas.outsider)
    assert client.post(f"/provisioning/resources/{dev_bucket.pk}/decommission/").status_code == 403
    assert ProvisioningRequest.objects.filter(type="decommission").count() == 0


def test_a_second_lead_may_approve_a_leads_production_decommission(prod_bucket, personas):
    second = make_user("lead-two")
    add_member(personas.team, second, TeamRole.LEAD)
    request = services.follow_up_request(personas.owner, prod_bucket, "decommission")
    assert access.can(second, "request.approve", request)


def test_every_new_request_leaves_an_audit_event(personas, petstore, dev, recording_driver):
    request = services.submit_request(personas.teammate, "s3-bucket", petstore, dev, BUCKET)
    event = AuditEvent.objects.get(action="request.create")
    assert event.object_id == str(request.pk) and event.actor == personas.teammate
    assert event.after["environment"] == "dev" and event.team == personas.team.name


@pytest.mark.parametrize(
    ("provider", "kind", "name", "environment"),
    [
        ("git", "gitops-files", "gitops:apps/shop/overlays/prod", "prod"),
        ("git", "gitops-files", "gitops:apps/shop/staging/observability", "staging"),
        ("portal", "deployment", "shop/dev", "dev"),
        ("git", "gitops-files", "gitops:apps/shop/base", None),
        ("git", "gitops-files", "gitops:argocd/shop", None),
        ("git", "repository", "shop", None),
        ("aws", "s3-bucket", "payments-shop-prod-assets", None),
    ],
)
def test_a_rows_name_says_its_environment(provider, kind, name, environment):
    assert services.environment_in_name(provider, kind, name) == environment


def test_a_new_services_prod_overlay_is_claimed_under_prod(personas, petstore, recording_driver):
    from provisioning.drivers.base import PlannedResource

    staging, prod = default_environment("staging"), default_environment("prod")
    overlay = PlannedResource("git", "gitops-files", "gitops:apps/petstore/overlays/prod")
    base = PlannedResource("git", "gitops-files", "gitops:apps/petstore/base")
    services.submit_steps(
        personas.owner, "new", "service", [overlay, base], personas.team, petstore, staging
    )
    rows = {r.name: r.environment for r in ProvisionedResource.objects.all()}
    assert rows == {overlay.name: prod, base.name: staging}
