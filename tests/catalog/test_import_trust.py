"""What an import may not do on a file's say-so: move a team's entities, or put people in teams."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from catalog.backstage.import_report import OwnerChange
from catalog.backstage.importing import ImportReport, import_descriptors
from catalog.models import Api, Component, Domain, Link, Resource, System, TeamMembership
from idp_portal.models import AuditEvent
from tests.factories import descriptor_yaml, make_component, make_descriptor, make_team, make_user

pytestmark = pytest.mark.django_db
OWNED_KINDS = [("Component", Component), ("System", System), ("API", Api),
               ("Resource", Resource), ("Domain", Domain)]  # fmt: skip


def upload(*docs: dict, **options) -> ImportReport:
    return import_descriptors([("catalog-info.yaml", descriptor_yaml(*docs))], **options)


@pytest.fixture
def teams():
    return make_team("payments"), make_team("search")


def moved(kind: str = "Component", name: str = "svc", owner: str = "search") -> dict:
    """`name` given to `owner`, with other fields changed too."""
    links = [{"url": "https://x.example.com/new", "title": "New", "type": "docs"}]
    return make_descriptor(kind, name, {"owner": owner}, title="Taken over", links=links)


@pytest.mark.parametrize(("kind", "model"), OWNED_KINDS)
def test_an_owner_change_is_held_and_nothing_of_that_entity_changes(teams, kind, model):
    upload(make_descriptor(kind, "svc", title="Ours"))
    before = list(model.objects.filter(name="svc").values())
    report = upload(moved(kind), make_descriptor("Component", "other"))
    ref = f"{kind.lower()}:default/svc"
    assert report.held_owner_changes == [
        OwnerChange(ref, "group:default/payments", "group:default/search", "", None, 0)
    ]
    assert ref not in report.updated + report.unchanged
    assert list(model.objects.filter(name="svc").values()) == before
    assert not Link.objects.exists()
    assert Component.objects.filter(name="other").exists()  # the rest proceeds
    assert report.summary().endswith("1 held (owner change)")


def test_a_confirmed_owner_change_applies_and_is_audited(teams):
    payments, search = teams
    upload(make_descriptor("Component", "svc"))
    report = upload(moved(), confirm_owner_changes=True)
    component = Component.objects.get(name="svc")
    assert (component.owner, component.title) == (search, "Taken over")
    assert report.updated == ["component:default/svc"] and not report.held_owner_changes
    event = AuditEvent.objects.get(action="catalog.owner_change")
    assert (event.before, event.after) == (
        {"owner": "group:default/payments"},
        {"owner": "group:default/search"},
    )
    assert (event.team, event.object_id) == ("payments", str(component.pk))


def test_entities_nobody_owns_yet_and_new_ones_are_not_held(teams):
    payments, search = teams
    upload(make_descriptor("Component", "orphan", {"owner": "ghost"}))
    make_component("unowned")
    report = upload(moved(name="orphan"), moved(name="unowned"), moved(name="brand-new"))
    assert not report.held_owner_changes
    assert report.created == ["component:default/brand-new"]
    assert sorted(report.updated) == ["component:default/orphan", "component:default/unowned"]
    assert set(Component.objects.values_list("owner", flat=True)) == {search.pk}
    assert not AuditEvent.objects.filter(action="catalog.owner_change").exists()


def test_the_same_owner_written_another_way_is_not_a_change(teams):
    upload(make_descriptor("Component", "svc"))
    doc = make_descriptor("Component", "svc", {"owner": "group:default/payments"}, title="New")
    report = upload(doc)
    assert report.updated == ["component:default/svc"] and not report.held_owner_changes


def test_a_file_that_gives_a_teams_entity_to_a_person_is_held(teams):
    upload(make_descriptor("Component", "svc"))
    report = upload(moved(owner="user:dana"))
    assert [change.proposed for change in report.held_owner_changes] == ["user:default/dana"]
    assert Component.objects.get().owner == teams[0]


def test_user_documents_add_nobody_to_a_team_by_default(teams):
    doc = make_descriptor("User", "dana", {"memberOf": ["payments", "search"]})
    report = upload(doc)
    assert report.created == ["user:default/dana"]  # the account is still made
    assert report.memberships_skipped == 2 and report.memberships_granted == 0
    assert not TeamMembership.objects.exists()


def test_trusted_user_documents_grant_their_memberships(teams):
    dana = make_user("dana")
    report = upload(make_descriptor("User", "dana", {"memberOf": ["search"]}),
                    trust_memberships=True)  # fmt: skip
    assert report.memberships_granted == 1 and report.updated == ["user:default/dana"]
    assert list(TeamMembership.objects.values_list("user", "team__name", "role")) == [
        (dana.pk, "search", "member")
    ]


def test_a_groups_members_list_never_adds_memberships(teams):
    make_user("dana")
    doc = make_descriptor("Group", "search", {"members": ["dana"]})
    upload(doc, trust_memberships=True)
    assert not TeamMembership.objects.exists()


@pytest.mark.parametrize("option", ["trust_memberships", "confirm_owner_changes"])
def test_only_platform_admins_may_trust_an_import(teams, option):
    member = make_user("member")
    doc = make_descriptor("User", "dana", {"memberOf": ["search"]})
    with pytest.raises(PermissionDenied, match="Only platform admins"):
        upload(doc, actor=member, **{option: True})
    assert not get_user_model().objects.filter(username="dana").exists()
    assert AuditEvent.objects.get().action == "catalog.import_trust"  # the refusal
    upload(doc, actor=make_user("admin", is_staff=True), **{option: True})
    assert get_user_model().objects.filter(username="dana").exists()


def test_every_import_records_one_event_with_its_counts(teams):
    admin = make_user("admin", is_staff=True)
    upload(make_descriptor("Component", "svc"))
    upload(
        moved(),
        make_descriptor("Component", "new"),
        make_descriptor("User", "dana", {"memberOf": ["search"]}),
        make_descriptor("Component", "bad", {"lifecycle": None}),
        actor=admin,
    )
    first, second = AuditEvent.objects.filter(action="catalog.import").order_by("pk")
    assert first.actor is None and first.after["created"] == 1
    assert second.actor == admin and second.after == {
        "created": 2, "updated": 0, "unchanged": 0, "rejected": 1, "held_owner_changes": 1,
        "owner_changes": 0, "memberships_granted": 0, "memberships_skipped": 1,
    }  # fmt: skip
    assert "1 held (owner change)" in second.detail and "1 skipped" in second.detail
