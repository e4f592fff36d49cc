"""`import_catalog` and `export_catalog`, and the round trip through them."""

import io

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from catalog.demo import DEMO_CATALOG
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
from idp_portal.models import AuditEvent
from tests.factories import descriptor_yaml, make_descriptor, make_team
from tests.helpers import run_portal

pytestmark = pytest.mark.django_db

EDGE_CASES = [
    make_descriptor("Component", "beta", {"x-custom": {"nested": [1, 2]}, "system": "ghost"},
                    links=[{"url": "https://wiki.example.com/beta", "type": "wiki"}],
                    labels={"team": "payments"}, custom_meta="kept"),
    make_descriptor("Group", "titled", {"profile": {"displayName": "Shown", "picture": "p.png"}},
                    title="Other title"),
    make_descriptor("User", "dana", {"memberOf": ["titled"],
                                     "profile": {"displayName": "Dana S", "email": "d@x.io"}}),
    make_descriptor("Domain", "sub", {"subdomainOf": "commerce", "type": "area"}),
]  # fmt: skip
EDGE_CASES[0]["apiVersion"] = "backstage.io/v1beta1"


def run(command: str, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def catalog_rows() -> dict:
    """Every catalog row, field by field, to compare two states of the database."""
    models = [Team, Domain, System, Resource, Api, Component, Link, ApiRelation, Dependency,
              TeamMembership, Component.tags.through]  # fmt: skip
    rows = {model.__name__: list(model.objects.order_by("pk").values()) for model in models}
    users = get_user_model().objects.order_by("pk").values("username", "email", "password")
    return rows | {"users": list(users)}


@pytest.fixture
def catalog_folder(tmp_path):
    """The demo catalog plus documents that exercise every way a field survives a round trip."""
    folder = tmp_path / "catalog"
    folder.mkdir()
    for path in DEMO_CATALOG.rglob("*.yaml"):
        target = folder / path.relative_to(DEMO_CATALOG)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    (folder / "edge-cases.yaml").write_bytes(descriptor_yaml(*EDGE_CASES))
    return folder


def test_import_prints_counts_and_each_rejection(tmp_path):
    bad = make_descriptor("Component", "bad")
    del bad["spec"]["lifecycle"]
    (tmp_path / "catalog-info.yaml").write_bytes(
        descriptor_yaml(make_descriptor("Component", "good"), bad)
    )
    lines = run("import_catalog", str(tmp_path)).splitlines()
    assert lines == [
        "Imported 1 entities from 1 files: 1 created, 0 updated, 0 unchanged, 1 rejected.",
        "Rejected (fix these documents and import again):",
        "  catalog-info.yaml#2 spec.lifecycle: spec.lifecycle is required, "
        "e.g. lifecycle: production",
        "References to entities the catalog does not have:",
        "  component:default/good spec.owner → group:default/payments is not in the catalog "
        "(kept: it resolves when that entity is imported)",
    ]


def test_import_holds_an_owner_change_until_confirmed(tmp_path):
    make_team("payments")
    search = make_team("search")
    path = tmp_path / "catalog-info.yaml"
    path.write_bytes(descriptor_yaml(make_descriptor("Component", "svc")))
    run("import_catalog", str(path))
    before = list(Component.objects.values())
    path.write_bytes(descriptor_yaml(make_descriptor("Component", "svc", {"owner": "search"},
                                                     title="Taken")))  # fmt: skip
    assert run("import_catalog", str(path)).splitlines() == [
        "Imported 1 entities from 1 files: 0 created, 0 updated, 0 unchanged, 0 rejected, "
        "1 held (owner change).",
        "Held, not changed at all (run again with --confirm-owner-changes):",
        "  held: owner change component:default/svc: owned by group:default/payments, "
        "the file says group:default/search",
    ]
    assert list(Component.objects.values()) == before
    output = run("import_catalog", str(path), "--confirm-owner-changes")
    assert "Owner changed: component:default/svc: owned by group:default/payments" in output
    assert Component.objects.get().owner == search
    change = AuditEvent.objects.get(action="catalog.owner_change")
    assert (change.via, change.after) == ("cli", {"owner": "group:default/search"})


def test_import_grants_memberships_only_when_trusted(tmp_path):
    make_team("payments")
    path = tmp_path / "catalog-info.yaml"
    path.write_bytes(descriptor_yaml(make_descriptor("User", "dana", {"memberOf": ["payments"]})))
    output = run("import_catalog", str(path))
    assert (
        "Skipped 1 team memberships from User documents: run again with --trust-memberships "
        "to grant them."
    ) in output
    assert not TeamMembership.objects.exists()
    assert "Granted 1 team memberships." in run("import_catalog", str(path), "--trust-memberships")
    assert TeamMembership.objects.get().user.username == "dana"
    events = AuditEvent.objects.filter(action="catalog.import").order_by("pk")
    assert [(e.via, e.after["memberships_skipped"], e.after["memberships_granted"])
            for e in events] == [("cli", 1, 0), ("cli", 0, 1)]  # fmt: skip


def test_import_of_a_missing_path_fails_with_one_line():
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_catalog", "/no/such/catalog-info.yaml")
    result = run_portal(["import_catalog", "/no/such/folder"], {"DEBUG": "true"})
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "CommandError: /no/such/folder does not exist: give a catalog-info.yaml or a folder"
    )


def test_export_writes_one_file_per_entity_and_an_index_location(tmp_path, catalog_folder):
    run("import_catalog", str(catalog_folder), "--trust-memberships")
    output = run("export_catalog", str(tmp_path / "out"))
    assert output == "Exported 63 entities to " + str(tmp_path / "out") + ".\n"
    exported = yaml.safe_load((tmp_path / "out/component/default/beta.yaml").read_text())
    assert exported["apiVersion"] == "backstage.io/v1beta1"
    assert exported["metadata"]["links"] == [
        {"url": "https://wiki.example.com/beta", "type": "wiki"}
    ]
    assert exported["spec"]["x-custom"] == {"nested": [1, 2]}
    index = yaml.safe_load((tmp_path / "out/catalog-info.yaml").read_text())
    assert index["kind"] == "Location" and "./component/*/*.yaml" in index["spec"]["targets"]


def test_import_export_import_leaves_the_catalog_unchanged(tmp_path, catalog_folder):
    run("import_catalog", str(catalog_folder), "--trust-memberships")
    before = catalog_rows()
    run("export_catalog", str(tmp_path / "out"))
    output = run("import_catalog", str(tmp_path / "out"), "--trust-memberships")
    assert "63 entities from 64 files: 0 created, 0 updated, 63 unchanged, 0 rejected" in output
    assert catalog_rows() == before


def test_an_export_imported_into_an_empty_catalog_exports_the_same(tmp_path, catalog_folder):
    run("import_catalog", str(catalog_folder), "--trust-memberships")
    run("export_catalog", str(tmp_path / "first"), "--single-file")
    for model in (Component, Api, Resource, System, Domain, Team):
        model.objects.all().delete()
    run("import_catalog", str(tmp_path / "first/catalog-info.yaml"), "--trust-memberships")
    run("export_catalog", str(tmp_path / "second"), "--single-file")

    def without_uids(path):
        docs = list(yaml.safe_load_all(path.read_text()))
        for doc in docs:
            doc["metadata"].pop("uid")
        return docs

    first = without_uids(tmp_path / "first/catalog-info.yaml")
    assert len(first) == 63
    assert without_uids(tmp_path / "second/catalog-info.yaml") == first


def test_export_refuses_to_mix_with_an_earlier_export(tmp_path):
    run("export_catalog", str(tmp_path))
    with pytest.raises(CommandError, match="already holds an export"):
        call_command("export_catalog", str(tmp_path), stdout=io.StringIO())
    (tmp_path / "notes.txt").write_text("mine")
    run("export_catalog", str(tmp_path), "--overwrite")
    assert (tmp_path / "notes.txt").read_text() == "mine"
