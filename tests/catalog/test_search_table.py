"""The narrow search table (PostgreSQL) always equals the component rows and their tags.

Its triggers fire on every statement, whoever writes: the ORM, an import's COPY, raw SQL. Each
test writes one way and compares the whole table with the component table, column by column.
"""

import pytest
from django.db import connection

from catalog import search_table
from catalog.backstage.importing import import_descriptors
from catalog.models import Component, ComponentSearch, Tag, Team
from tests.factories import descriptor_yaml, make_component, make_descriptor, make_team

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the search table exists on PostgreSQL only"
    ),
]

COLUMNS = ", ".join(search_table.COLUMNS)


def differences() -> list:
    """Rows present on one side only or with any copied column or tag different."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH expected AS (
                SELECT c.id AS component_id, {", ".join(search_table.COLUMNS)},
                       COALESCE((SELECT array_agg(t.tag_id ORDER BY t.tag_id)
                                 FROM catalog_component_tags t WHERE t.component_id = c.id),
                                '{{}}') AS tag_ids
                FROM (
                    SELECT id, search_text, owner_id,
                           CASE WHEN owner_id IS NULL THEN owner_ref ELSE '' END AS owner_ref,
                           system_id,
                           CASE WHEN system_id IS NULL THEN system_ref ELSE '' END AS system_ref,
                           lower(type) AS type, lower(lifecycle) AS lifecycle, tier,
                           lower(language) AS language
                    FROM catalog_component
                ) c
            ),
            actual AS (SELECT component_id, {COLUMNS}, tag_ids FROM catalog_componentsearch)
            (SELECT 'missing', * FROM expected EXCEPT SELECT 'missing', * FROM actual)
            UNION ALL
            (SELECT 'extra', * FROM actual EXCEPT SELECT 'extra', * FROM expected)
            """  # noqa: S608
        )
        return cursor.fetchall()


def test_orm_writes_are_copied_column_by_column():
    team, other = make_team("payments"), make_team("fraud")
    first = make_component("ledger", tags=("java", "pci"), owner=team, tier=1, type="service")
    make_component("checkout", owner=team, lifecycle="experimental")
    assert ComponentSearch.objects.count() == 2
    row = ComponentSearch.objects.get(component=first)
    assert (row.owner_id, row.owner_ref, row.tier, row.type) == (team.id, "", 1, "service")
    assert sorted(row.tag_ids) == sorted(Tag.objects.values_list("id", flat=True))
    assert differences() == []

    Component.objects.filter(pk=first.pk).update(owner=other, tier=3, language="go")
    first.tags.remove(Tag.objects.get(name="pci"))
    assert differences() == []
    row.refresh_from_db()
    assert (row.owner_id, row.tier, row.language) == (other.id, 3, "go")
    assert row.tag_ids == [Tag.objects.get(name="java").id]

    Tag.objects.filter(name="java").delete()
    first.delete()
    assert differences() == []
    assert list(ComponentSearch.objects.values_list("component__name", flat=True)) == ["checkout"]


def test_a_reference_naming_no_entity_is_kept_and_searched_by_its_text(owner_client):
    make_component("orphan", owner_ref="group:default/ghosts", description="ledger")
    make_component("owned", owner=make_team("billing"), owner_ref="group:default/billing")
    assert dict(ComponentSearch.objects.values_list("component__name", "owner_ref")) == {
        "orphan": "group:default/ghosts",
        "owned": "",  # resolved: the filters read the id
    }
    assert differences() == []
    response = owner_client.get("/catalog/", {"view": "all", "q": "ledger", "owner": "ghosts"})
    assert [row.name for row in response.context["page"].object_list] == ["orphan"]
    assert response.context["page"].paginator.count == 1


def test_an_update_that_changes_no_copied_column_writes_nothing():
    component = make_component("ledger", owner=make_team("payments"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM catalog_componentsearch")
        before = cursor.fetchone()[0]
        Component.objects.filter(pk=component.pk).update(etag="changed", title="Ledger")
        cursor.execute("SELECT xmin::text FROM catalog_componentsearch")
        assert cursor.fetchone()[0] == before
    Component.objects.filter(pk=component.pk).update(lifecycle="deprecated")
    assert ComponentSearch.objects.get().lifecycle == "deprecated"


def test_an_import_copied_in_bulk_is_copied_too():
    Team.objects.create(name="payments")
    docs = [
        make_descriptor("Component", f"svc-{n}", {"owner": "payments"}, tags=["java", f"t{n % 3}"])
        for n in range(40)
    ]
    report = import_descriptors([("catalog-info.yaml", descriptor_yaml(*docs))])
    assert len(report.created) == 40
    assert ComponentSearch.objects.count() == 40
    assert differences() == []
    report = import_descriptors(
        [
            (
                "catalog-info.yaml",
                descriptor_yaml(
                    *[{**d, "spec": {**d["spec"], "lifecycle": "deprecated"}} for d in docs]
                ),
            )
        ]
    )
    assert set(ComponentSearch.objects.values_list("lifecycle", flat=True)) == {"deprecated"}
    assert differences() == []


def search_rows_written() -> tuple[int, int]:
    """(rows inserted, rows updated) in the search table by this transaction so far."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_ins, n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [search_table.TABLE],
        )
        return cursor.fetchone()


def test_an_import_writes_each_search_row_once_and_later_writes_are_copied_at_once():
    legacy = make_component("legacy", owner_ref="group:default/platform", tags=("java",))
    changed = make_component("changed", owner=make_team("payments"), tags=("java",))
    inserted, updated = search_rows_written()
    docs = [make_descriptor("Group", "platform")]
    docs += [
        make_descriptor("Component", f"svc-{n}", {"owner": "platform"}, tags=["java", f"t{n}"])
        for n in range(30)
    ]
    docs.append(make_descriptor("Component", "changed", tags=["go"]))
    report = import_descriptors([("catalog-info.yaml", descriptor_yaml(*docs))])
    assert len(report.created) == 31 and report.updated == ["component:default/changed"]
    # One insert per new component, one update for the changed one and one for legacy's
    # resolved owner: not a second write per component when its tags arrive.
    assert search_rows_written() == (inserted + 30, updated + 2)
    assert differences() == []
    row = ComponentSearch.objects.get(component=legacy)  # resolved after the import's writes
    assert (row.owner_id, row.owner_ref) == (Team.objects.get(name="platform").id, "")
    assert ComponentSearch.objects.get(component=changed).tag_ids == [Tag.objects.get(name="go").id]

    later = make_component("later", tags=("pci",))  # same transaction, after the import
    assert ComponentSearch.objects.filter(component=later).exists()
    assert differences() == []


def test_a_batch_retried_document_by_document_is_copied_without_the_rejected_one(
    database_refuses_doomed,
):
    names = ("a", "doomed", "b")
    docs = [make_descriptor("Component", name, tags=["java"]) for name in names]
    report = import_descriptors([("catalog-info.yaml", descriptor_yaml(*docs))])
    assert len(report.created) == 2 and len(report.rejected) == 1
    assert sorted(ComponentSearch.objects.values_list("component__name", flat=True)) == ["a", "b"]
    assert differences() == []


def test_a_deferred_block_copies_its_components_at_the_end_and_deletes_at_once():
    gone = make_component("gone")
    written: list[int] = []
    with search_table.deferred(written):
        kept = make_component("kept", tags=("java",))
        written.append(kept.pk)
        assert not ComponentSearch.objects.filter(component=kept).exists()
        gone.delete()
        assert not ComponentSearch.objects.filter(component_id=gone.pk).exists()
    assert differences() == []
    Component.objects.filter(pk=kept.pk).update(tier=1)
    assert ComponentSearch.objects.get(component=kept).tier == 1


def test_raw_sql_and_truncate_are_followed_and_rebuild_restores_a_bypassed_load():
    make_component("ledger", tags=("java",), owner=make_team("payments"))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalog_component SET search_text = 'ledger moved'")
        assert differences() == []
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending FK checks
        cursor.execute("TRUNCATE catalog_component_tags")
        assert ComponentSearch.objects.get().tag_ids == []
        assert differences() == []
        # A loader that switches triggers off leaves the table behind until it rebuilds it.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE catalog_component SET tier = 4")
        cursor.execute("SET LOCAL session_replication_role = origin")
        assert len(differences()) == 2
        search_table.rebuild(cursor)
        assert differences() == []


@pytest.mark.parametrize("sort", ["name", "-name", "tier", "-tier", "updated", "-updated"])
@pytest.mark.parametrize("ids_max", [2_000, 0])
def test_a_page_reads_the_same_from_either_table(
    owner_client, personas, monkeypatch, sort, ids_max
):
    """Few matches: the ids come with the counts; many: off the ordered index. Same page."""
    from catalog import facets

    monkeypatch.setattr(facets, "IDS_MAX", ids_max)
    for n in range(40):
        make_component(
            f"svc-{(n * 7) % 40:02}", owner=personas.team, tier=1 + n % 4,
            description="ledger" if n % 3 else "other", tags=("pci",) if n % 2 else (),
        )  # fmt: skip
    expected = Component.objects.filter(search_text__contains="ledger", tags__name="pci")
    order = {
        "name": ["name", "pk"],
        "tier": ["tier", "name", "pk"],
        "updated": ["updated_at", "pk"],
    }
    columns = order[sort.lstrip("-")]
    expected = expected.order_by(*[f"-{c}" if sort.startswith("-") else c for c in columns])
    response = owner_client.get(
        "/catalog/", {"view": "all", "q": "ledger", "tag": "pci", "sort": sort, "per_page": 25}
    )
    shown = [row.pk for row in response.context["page"].object_list]
    assert shown == list(expected.values_list("pk", flat=True)[:25])
    assert response.context["page"].paginator.count == expected.count() == 13


def test_type_lifecycle_and_language_are_kept_lower_cased_and_filter_ignoring_case(owner_client):
    team = make_team("ledgers")
    make_component("ledger", owner=team, type="Service", lifecycle="Production", language="Go")
    make_component("ledger-ui", owner=team, type="website", lifecycle="production")
    row = ComponentSearch.objects.get(component__name="ledger")
    assert (row.type, row.lifecycle, row.language) == ("service", "production", "go")
    assert differences() == []
    # A search counts from this table: the filter matches whatever case was written or asked.
    response = owner_client.get(
        "/catalog/", {"view": "all", "q": "ledger", "type": "SERVICE", "lifecycle": "production"}
    )
    assert [row.name for row in response.context["page"].object_list] == ["ledger"]
    assert response.context["page"].paginator.count == 1
    options = {f["name"]: f["options"] for f in response.context["facets"]}
    assert {(o["value"], o["count"]) for o in options["type"]} == {("service", 1), ("website", 1)}
    assert [(o["value"], o["count"]) for o in options["language"]] == [("go", 1)]
    # Written again in another case, the copy stays lower-cased.
    Component.objects.filter(name="ledger").update(lifecycle="DEPRECATED")
    assert ComponentSearch.objects.get(component__name="ledger").lifecycle == "deprecated"
    assert differences() == []
