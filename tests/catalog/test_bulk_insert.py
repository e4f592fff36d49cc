"""COPYs with triggers off (PostgreSQL, an import's writes): their foreign keys are checked
set-wise as the constraints would check them, and nothing the triggers did is lost."""

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from catalog import bulk_insert, search_table, versioning
from catalog.models import Component, ComponentSearch, Link, Team
from tests.factories import make_component, make_team

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY and session_replication_role: PostgreSQL"
)
LINK = ["component", "title", "url", "kind", "icon"]


def component_row(name: str, owner: Team | None = None) -> dict:
    return {"namespace": "default", "name": name, "search_text": name,
            "owner_id": owner and owner.pk}  # fmt: skip


@pytest.mark.django_db
def test_a_reference_to_a_missing_row_fails_the_copy_as_the_constraint_would():
    ledger = make_component("ledger")
    missing = ledger.pk + 1000
    refused = rf"\(component_id\)=\({missing}\).*catalog_component"
    checked = bulk_insert.triggers_off
    with pytest.raises(IntegrityError, match=refused), transaction.atomic(), checked():
        bulk_insert.insert_rows(Link, LINK, [(ledger.pk, "Docs", "https://a", "docs", "")])
        bulk_insert.insert_rows(Link, LINK, [(missing, "Docs", "https://b", "docs", "")])
    assert not Link.objects.exists()


@pytest.mark.django_db
def test_copied_rows_change_the_catalog_version_and_leave_no_check_to_the_commit():
    team = make_team("payments")
    before = versioning.current()
    with transaction.atomic(), search_table.deferred([]), bulk_insert.triggers_off():
        [pk] = bulk_insert.create_rows(Component, [component_row("ledger", team)])
        # Inside deferred(), the search table's trigger is one of those left off.
        assert not ComponentSearch.objects.exists()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # runs any check still queued
    assert Component.objects.get(pk=pk).owner == team
    assert versioning.current() != before


@pytest.mark.django_db
def test_a_table_with_another_insert_trigger_keeps_its_triggers():
    with transaction.atomic(), bulk_insert.triggers_off():
        # Not inside search_table.deferred(): the search trigger must fire, so it stays on.
        [pk] = bulk_insert.create_rows(Component, [component_row("ledger")])
        assert ComponentSearch.objects.filter(component_id=pk).exists()


@pytest.mark.django_db
def test_a_foreign_key_the_model_does_not_declare_keeps_the_triggers():
    ledger = make_component("ledger")
    with connection.cursor() as cursor:  # undone with the test
        cursor.execute(
            "ALTER TABLE catalog_link ADD CONSTRAINT catalog_test_link_url "
            "FOREIGN KEY (url) REFERENCES catalog_tag (name)"
        )
    refused = pytest.raises(psycopg.errors.ForeignKeyViolation)  # by the constraint's trigger
    with refused, transaction.atomic(), bulk_insert.triggers_off():
        bulk_insert.insert_rows(Link, LINK, [(ledger.pk, "Docs", "https://a", "docs", "")])


@pytest.mark.django_db
def test_a_role_that_may_not_turn_triggers_off_copies_with_them_on():
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE catalog_test_plain NOSUPERUSER")  # undone with the test
        cursor.execute("SET LOCAL ROLE catalog_test_plain")
        assert bulk_insert._may_turn_triggers_off() is False
        cursor.execute("RESET ROLE")
    assert bulk_insert._may_turn_triggers_off() is True


@pytest.mark.django_db(transaction=True)
def test_the_referenced_rows_stay_locked_until_the_commit():
    team = make_team("payments")
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"], port=settings["PORT"], user=settings["USER"],
        password=settings["PASSWORD"], dbname=settings["NAME"], autocommit=True,
    )  # fmt: skip
    with other, transaction.atomic(), search_table.deferred([]), bulk_insert.triggers_off():
        bulk_insert.create_rows(Component, [component_row("ledger", team)])
        # As with the constraint's own check, nobody may delete the team meanwhile.
        with pytest.raises(psycopg.errors.LockNotAvailable):
            other.execute("SELECT FROM catalog_team WHERE id = %s FOR UPDATE NOWAIT", [team.pk])
