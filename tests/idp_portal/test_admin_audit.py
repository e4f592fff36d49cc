"""Every add, change and delete made in the Django admin, of every app, is an AuditEvent."""

from django.contrib import admin
from django.contrib.auth.models import Group

from catalog.models import Tag, Team
from idp_portal.admin_site import AuditedAdminMixin
from idp_portal.models import AuditEvent
from tests.factories import make_team


def only_event(action: str) -> AuditEvent:
    (event,) = AuditEvent.objects.filter(action=action)
    return event


def test_every_registered_model_admin_is_audited(db):
    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedAdminMixin)
    ]
    assert admin.site._registry and unaudited == []


def test_adding_in_the_admin_records_who_added_what(platform_client, platform_admin):
    response = platform_client.post("/admin/auth/group/add/", {"name": "on-call"})
    assert response.status_code == 302
    group = Group.objects.get(name="on-call")
    event = only_event("admin.add")
    assert (event.actor, event.actor_name) == (platform_admin, "platform")
    assert (event.object_type, event.object_id, event.object_repr) == (
        "auth.group",
        str(group.pk),
        "on-call",
    )
    assert (event.via, event.ip, event.outcome) == ("admin", "127.0.0.1", "ok")
    assert event.detail == "Added."


def test_changing_in_the_admin_records_the_change_message(platform_client):
    tag = Tag.objects.create(name="pci")
    response = platform_client.post(f"/admin/catalog/tag/{tag.pk}/change/", {"name": "pci-dss"})
    assert response.status_code == 302
    event = only_event("admin.change")
    assert (event.object_type, event.object_id, event.object_repr) == (
        "catalog.tag",
        str(tag.pk),
        "pci-dss",
    )
    assert event.detail == "Changed Name."
    assert event.via == "admin"


def test_deleting_in_the_admin_records_the_object_before_it_goes(platform_client):
    tag = Tag.objects.create(name="legacy")
    response = platform_client.post(f"/admin/catalog/tag/{tag.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Tag.objects.filter(pk=tag.pk).exists()
    event = only_event("admin.delete")
    assert (event.object_type, event.object_id, event.object_repr) == (
        "catalog.tag",
        str(tag.pk),
        "legacy",
    )


def test_bulk_deleting_records_one_event_per_object(platform_client):
    tags = [Tag.objects.create(name=name) for name in ("a", "b", "c")]
    response = platform_client.post(
        "/admin/catalog/tag/",
        {"action": "delete_selected", "_selected_action": [t.pk for t in tags], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Tag.objects.exists()
    deleted = AuditEvent.objects.filter(action="admin.delete")
    assert sorted(deleted.values_list("object_repr", flat=True)) == ["a", "b", "c"]


def test_a_team_edit_is_filed_under_that_team(platform_client):
    team = make_team("payments", title="Payments")
    data = {
        "name": "payments",
        "namespace": team.namespace,
        "title": "Payments squad",
        "type": team.type,
        "memberships-TOTAL_FORMS": 0,
        "memberships-INITIAL_FORMS": 0,
    }
    data = {**{f.name: getattr(team, f.name) for f in Team._meta.concrete_fields}, **data}
    data = {k: v for k, v in data.items() if v not in (None, "") and k != "id"}
    response = platform_client.post(f"/admin/catalog/team/{team.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = only_event("admin.change")
    assert event.team == "payments"
    assert "Title" in event.detail


def test_a_golden_path_edit_in_the_admin_is_audited(platform_client):
    from provisioning.demo import seed_golden_paths
    from provisioning.models import GoldenPath
    from tests.provisioning.golden.test_admin import change_data

    seed_golden_paths()
    gp = GoldenPath.objects.get(slug="python-http", version=1)
    response = platform_client.post(
        f"/admin/provisioning/goldenpath/{gp.pk}/change/", change_data(gp, name="Python HTTP")
    )
    assert response.status_code == 302
    event = only_event("admin.change")
    assert event.object_type == "provisioning.goldenpath"
    assert event.via == "admin" and "Name" in event.detail
