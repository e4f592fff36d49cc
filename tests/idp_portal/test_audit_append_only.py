"""The audit trail and the request log are append-only, in code and in the admin."""

import pytest
from django.contrib import admin

from idp_portal import audit
from idp_portal.models import AuditEvent, AuditImmutable
from provisioning.models import ProvisioningRequest, RequestEvent


@pytest.fixture
def event(db):
    return audit.record(None, "catalog.import", detail="imported 3 descriptors")


def test_saving_an_existing_event_is_refused(event):
    event.detail = "nothing happened"
    with pytest.raises(AuditImmutable):
        event.save()
    event.refresh_from_db()
    assert event.detail == "imported 3 descriptors"


def test_deleting_an_event_is_refused(event):
    with pytest.raises(AuditImmutable):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_updating_events_in_bulk_is_refused(event):
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(detail="rewritten")
    assert AuditEvent.objects.get(pk=event.pk).detail == "imported 3 descriptors"


def test_deleting_events_in_bulk_is_refused(event):
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- the admin --------------------------------------------------------------------------------
def test_a_superuser_can_read_events_in_the_admin(platform_client, event):
    response = platform_client.get("/admin/idp_portal/auditevent/")
    assert response.status_code == 200
    assert "catalog.import" in response.content.decode()
    detail = platform_client.get(f"/admin/idp_portal/auditevent/{event.pk}/change/")
    assert detail.status_code == 200 and "imported 3 descriptors" in detail.content.decode()


def test_the_admin_offers_no_add_change_or_delete_even_to_a_superuser(rf, platform_admin):
    request = rf.get("/admin/idp_portal/auditevent/")
    request.user = platform_admin
    model_admin = admin.site._registry[AuditEvent]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_the_admins_add_page_is_refused(platform_client, db):
    response = platform_client.post("/admin/idp_portal/auditevent/add/", {"action": "x"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="x").count() == 0


def test_posting_to_an_events_change_page_changes_nothing(platform_client, event):
    url = f"/admin/idp_portal/auditevent/{event.pk}/change/"
    response = platform_client.post(url, {"action": "rewritten", "detail": "rewritten"})
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "catalog.import"


def test_posting_to_an_events_delete_url_is_refused(platform_client, event):
    response = platform_client.post(
        f"/admin/idp_portal/auditevent/{event.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_bulk_delete_action_is_refused_for_events(platform_client, event):
    platform_client.post(
        "/admin/idp_portal/auditevent/",
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_people_who_are_not_platform_admins_cannot_read_events_in_the_admin(client, personas):
    client.force_login(personas.owner)
    response = client.get("/admin/idp_portal/auditevent/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- request events -----------------------------------------------------------------------------
@pytest.fixture
def request_event(personas):
    req = ProvisioningRequest.objects.create(
        requester=personas.owner, team=personas.team, type="bucket", service_name="petstore"
    )
    return RequestEvent.objects.create(
        request=req, actor="owner", kind="info", message="bucket created by the worker"
    )


def test_the_request_log_inline_offers_no_add_change_or_delete(rf, platform_admin, request_event):
    request = rf.get("/")
    request.user = platform_admin
    parent = admin.site._registry[ProvisioningRequest]
    (inline,) = [
        i for i in parent.get_inline_instances(request, request_event.request)
        if i.model is RequestEvent
    ]  # fmt: skip
    assert not inline.has_add_permission(request, request_event.request)
    assert not inline.has_change_permission(request, request_event.request)
    assert not inline.has_delete_permission(request, request_event.request)


def test_a_requests_admin_page_shows_its_log_without_delete_boxes(platform_client, request_event):
    url = f"/admin/provisioning/provisioningrequest/{request_event.request_id}/change/"
    html = platform_client.get(url).content.decode()
    assert "bucket created by the worker" in html
    assert 'name="events-0-DELETE"' not in html


def test_posting_to_a_request_events_delete_url_deletes_nothing(platform_client, request_event):
    response = platform_client.post(
        f"/admin/provisioning/requestevent/{request_event.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code in (403, 404)
    assert RequestEvent.objects.filter(pk=request_event.pk).exists()
