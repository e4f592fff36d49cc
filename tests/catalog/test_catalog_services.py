"""catalog/services.py: the writes other apps call, and what each one guarantees."""

import pytest

from catalog import services
from catalog.filtersets import ComponentFilterSet
from catalog.models import Component
from tests.factories import make_component, make_team


def found_by(query: str) -> list[str]:
    return [c.name for c in ComponentFilterSet({"q": query}, Component.objects.all()).qs]


@pytest.mark.django_db
def test_register_component_creates_it_owned_tagged_and_searchable():
    team = make_team("payments")
    component, created = services.register_component(
        "ledger", owner=team, tags=["go"], description="Double-entry books", type="service"
    )
    assert created
    component.refresh_from_db()
    assert (component.owner, component.owner_ref) == (team, "group:default/payments")
    assert list(component.tags.values_list("name", flat=True)) == ["go"]
    assert found_by("double go") == ["ledger"]


@pytest.mark.django_db
def test_register_component_again_converges_and_keeps_the_tags_it_had():
    team = make_team("payments")
    existing = make_component("ledger", tags=("legacy",), owner=None)
    component, created = services.register_component(
        "ledger", owner=team, tags=["go", "go", ""], description="Books"
    )
    again, created_again = services.register_component(
        "ledger", owner=team, tags=["go"], description="Books"
    )
    assert (created, created_again) == (False, False)
    assert component.pk == again.pk == existing.pk
    assert Component.objects.count() == 1
    assert sorted(again.tags.values_list("name", flat=True)) == ["go", "legacy"]
    assert found_by("legacy books") == ["ledger"]  # search_text took in every tag


@pytest.mark.django_db
def test_register_component_refuses_to_set_derived_columns():
    with pytest.raises(TypeError, match="search_text"):
        services.register_component("ledger", owner=None, search_text="anything")
    assert not Component.objects.exists()


@pytest.mark.django_db
def test_annotate_component_merges_and_writes_only_a_change():
    component = make_component("ledger", annotations={"keep": "me", "idp/path": "go@1"})
    assert services.annotate_component(component, {"idp/path": "go@2"})
    component.refresh_from_db()
    assert component.annotations == {"keep": "me", "idp/path": "go@2"}
    assert not services.annotate_component(component, {"idp/path": "go@2"})


@pytest.mark.django_db
def test_annotate_component_keeps_a_key_written_since_the_instance_was_read():
    component = make_component("ledger", annotations={})
    Component.objects.filter(pk=component.pk).update(annotations={"other": "writer"})
    services.annotate_component(component, {"idp/path": "go@2"})
    component.refresh_from_db()
    assert component.annotations == {"other": "writer", "idp/path": "go@2"}


@pytest.mark.django_db
def test_annotating_takes_the_catalog_version_lock_before_the_rows(personas):
    """The triggers lock the version row before a statement's rows; a writer that locks rows
    itself keeps that order, so two catalog writers queue instead of deadlocking."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.services import annotate_component
    from tests.factories import make_component

    component = make_component("annotated", owner=personas.team)
    with CaptureQueriesContext(connection) as ctx:
        annotate_component(component, {"example.com/key": "value"})
    statements = [q["sql"] for q in ctx.captured_queries]
    version_lock = next(i for i, s in enumerate(statements) if "catalog_catalogversion" in s)
    row_lock = next(i for i, s in enumerate(statements) if "catalog_component" in s)
    assert version_lock < row_lock
