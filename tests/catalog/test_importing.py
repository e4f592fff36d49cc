"""The import service: what it writes, what it reports, and that doing it twice changes nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.backstage import importing
from catalog.backstage.importing import import_descriptors
from catalog.models import (
    Api,
    ApiRelation,
    Component,
    Dependency,
    Domain,
    Link,
    Resource,
    System,
    Team,
    TeamMembership,
)
from catalog.services import search_text_for
from tests.factories import add_member, descriptor_yaml, make_descriptor, make_team, make_user

pytestmark = pytest.mark.django_db


def upload(*docs: dict, name: str = "catalog-info.yaml", **options) -> importing.ImportReport:
    return import_descriptors([(name, descriptor_yaml(*docs))], **options)


def a_small_catalog() -> list[dict]:
    """A component listed before the group, system and API it names: order must not matter."""
    return [
        make_descriptor(
            "Component",
            "payments-api",
            {"system": "payments", "providesApis": ["payments"], "dependsOn": ["resource:db"]},
            title="Payments API",
            tags=["java"],
            links=[
                {"url": "https://runbooks.example.com/p", "title": "Runbook", "type": "runbook"}
            ],
        ),
        make_descriptor("API", "payments", {"system": "payments"}),
        make_descriptor("Resource", "db", {"system": "payments"}),
        make_descriptor("System", "payments", {"domain": "commerce"}),
        make_descriptor("Domain", "commerce"),
        make_descriptor("Group", "payments", {"profile": {"displayName": "Payments"}}),
    ]


def test_it_creates_every_kind_and_resolves_references_whatever_the_order():
    report = upload(*a_small_catalog())
    assert sorted(report.created) == [
        "api:default/payments", "component:default/payments-api", "domain:default/commerce",
        "group:default/payments", "resource:default/db", "system:default/payments",
    ]  # fmt: skip
    assert not report.rejected and not report.unresolved
    component = Component.objects.get(name="payments-api")
    team = Team.objects.get(name="payments")
    assert component.owner == team and component.system == System.objects.get()
    assert System.objects.get().domain == Domain.objects.get()
    assert ApiRelation.objects.get().api == Api.objects.get()
    assert Dependency.objects.get().target_resource == Resource.objects.get()
    assert component.search_text == search_text_for("payments-api", "Payments API", "", ["java"])
    assert Link.objects.get().kind == "runbook" and component.etag


def test_importing_the_same_files_again_changes_nothing():
    upload(*a_small_catalog())
    before = list(Component.objects.values())
    report = upload(*a_small_catalog())
    assert len(report.unchanged) == 6 and not (report.created or report.updated)
    assert list(Component.objects.values()) == before


def test_a_changed_document_updates_the_row_in_place():
    upload(*a_small_catalog())
    original = Component.objects.get()
    changed = a_small_catalog()
    changed[0]["metadata"]["title"] = "Payments gateway"
    changed[0]["spec"]["providesApis"] = []
    report = upload(*changed)
    assert report.updated == ["component:default/payments-api"] and len(report.unchanged) == 5
    component = Component.objects.get()
    assert (component.pk, component.uid) == (original.pk, original.uid)
    assert component.title == "Payments gateway" and not ApiRelation.objects.exists()
    assert component.updated_at > original.updated_at


def test_names_match_case_insensitively_and_never_duplicate():
    upload(make_descriptor("Component", "Payments-API"))
    report = upload(make_descriptor("Component", "payments-api"))
    assert report.updated == ["component:default/payments-api"]
    assert Component.objects.get().name == "payments-api"


def test_a_second_definition_in_one_import_is_rejected_naming_the_first():
    report = upload(make_descriptor("Component", "svc"), make_descriptor("Component", "SVC"))
    (rejection,) = report.rejected
    assert (rejection.index, rejection.field) == (2, "metadata.name")
    assert "already defined in catalog-info.yaml#1" in rejection.reason


def test_the_report_names_file_document_field_and_reason_and_the_rest_is_imported():
    bad = make_descriptor("Component", "bad", annotations={"portal.internal/tier": "9"})
    report = upload(make_descriptor("Component", "good"), bad, name="services.yaml")
    assert report.created == ["component:default/good"]
    assert str(report.rejected[0]) == (
        "services.yaml#2 metadata.annotations.portal.internal/tier: '9' is not a tier: use \"1\", "
        '"2", "3" or "4" (1 is the most critical)'
    )


def test_a_document_the_database_refuses_is_rejected_alone(database_refuses_doomed):
    report = upload(*(make_descriptor("Component", name) for name in ("a", "doomed", "b")))
    assert sorted(report.created) == ["component:default/a", "component:default/b"]
    assert "could not be saved" in report.rejected[0].reason and report.rejected[0].index == 2
    assert sorted(Component.objects.values_list("name", flat=True)) == ["a", "b"]


def test_references_to_missing_entities_are_kept_and_resolve_when_the_target_arrives():
    doc = make_descriptor(
        "Component", "svc", {"system": "ghost", "consumesApis": ["nope"],
                             "dependsOn": ["component:later"]},
    )  # fmt: skip
    report = upload(doc)
    assert {str(u).split(" is not")[0] for u in report.unresolved} == {
        "component:default/svc spec.owner → group:default/payments",
        "component:default/svc spec.system → system:default/ghost",
        "component:default/svc spec.consumesApis → api:default/nope",
        "component:default/svc spec.dependsOn → component:default/later",
    }
    component = Component.objects.get()
    assert (component.system, component.system_ref) == (None, "system:default/ghost")
    upload(make_descriptor("Component", "later"), make_descriptor("System", "ghost"))
    component.refresh_from_db()
    assert component.system.name == "ghost"
    assert Dependency.objects.get().target_component.name == "later"


def test_dependency_cycles_are_accepted():
    report = upload(
        make_descriptor("Component", "orders", {"dependsOn": ["component:inventory"]}),
        make_descriptor("Component", "inventory", {"dependsOn": ["component:orders"]}),
    )
    assert len(report.created) == 2 and not report.rejected
    pairs = set(Dependency.objects.values_list("source__name", "target_component__name"))
    assert pairs == {("orders", "inventory"), ("inventory", "orders")}


def test_subcomponents_and_parent_groups_resolve_within_one_import():
    upload(
        make_descriptor("Component", "sdk", {"subcomponentOf": "web"}),
        make_descriptor("Component", "web"),
        make_descriptor("Group", "identity", {"parent": "platform"}),
        make_descriptor("Group", "platform"),
    )
    assert Component.objects.get(name="sdk").subcomponent_of.name == "web"
    assert Team.objects.get(name="identity").parent.name == "platform"


def test_references_to_later_batches_are_linked_in_as_many_queries_however_many_targets(
    monkeypatch,
):
    monkeypatch.setattr(importing, "BATCH_SIZE", 10)  # so each reference names a later batch
    resolve, counts = importing.Writer.resolve, []

    def counted_resolve(writer):
        with CaptureQueriesContext(connection) as queries:
            resolve(writer)
        counts.append(len(queries))

    monkeypatch.setattr(importing.Writer, "resolve", counted_resolve)
    for prefix, size in (("a", 10), ("b", 40)):
        later = [f"{prefix}-{i + size}" for i in range(size)]
        upload(
            *[make_descriptor("Component", f"{prefix}-{i}",
                              {"subcomponentOf": name, "dependsOn": [f"component:{name}"]})
              for i, name in enumerate(later)],
            *[make_descriptor("Component", name) for name in later],
        )  # fmt: skip
    assert counts[0] == counts[1]
    first = Component.objects.get(name="b-0")
    assert first.subcomponent_of.name == "b-40"
    assert Dependency.objects.get(source=first).target_component.name == "b-40"


def test_users_get_an_account_without_a_password_and_trusted_memberships():
    team = make_team("payments")
    report = upload(
        make_descriptor("User", "dana", {"memberOf": ["payments", "ghost"],
                                         "profile": {"email": "dana@example.com",
                                                     "displayName": "Dana Scully"}}),
        trust_memberships=True,
    )  # fmt: skip
    dana = get_user_model().objects.get(username="dana")
    assert report.created == ["user:default/dana"]
    assert not dana.has_usable_password() and not dana.is_staff
    assert (dana.email, dana.first_name, dana.last_name) == ("dana@example.com", "Dana", "Scully")
    assert list(dana.teams.all()) == [team]
    assert [str(u).split(" is not")[0] for u in report.unresolved] == [
        "user:default/dana spec.memberOf → group:default/ghost"
    ]


def test_an_existing_account_is_never_changed_only_given_memberships():
    bob = make_user("bob", email="bob@example.com")
    payments, search = make_team("payments"), make_team("search")
    add_member(payments, bob, "lead")
    descriptor = make_descriptor(
        "User", "bob", {"memberOf": ["payments", "search"], "profile": {"email": "evil@x.com"}}
    )
    assert upload(descriptor, trust_memberships=True).updated == ["user:default/bob"]
    bob.refresh_from_db()
    assert bob.email == "bob@example.com" and bob.has_usable_password()
    roles = dict(TeamMembership.objects.filter(user=bob).values_list("team__name", "role"))
    assert roles == {"payments": "lead", "search": "member"}
    assert upload(descriptor, trust_memberships=True).unchanged == ["user:default/bob"]
    assert search.memberships.count() == 1


def test_a_team_made_elsewhere_is_updated_not_duplicated():
    make_team("payments", title="Old title")
    report = upload(make_descriptor("Group", "payments", {"profile": {"displayName": "Payments"}}))
    assert report.updated == ["group:default/payments"]
    assert Team.objects.get().title == "Payments"
