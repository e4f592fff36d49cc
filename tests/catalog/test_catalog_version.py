"""versioning.TABLES says which tables' writes change the catalog version, and so which
results may be cached under it: the triggers the migrations made must say the same."""

import pytest
from django.db import connection

from catalog import versioning
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _pg_triggers() -> dict[str, set[str]]:
    """{table: the columns an UPDATE must name to fire it (empty: any)}."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, array_remove(array_agg(a.attname), NULL)
            FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_proc p ON p.oid = t.tgfoid
            LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (t.tgattr)
            WHERE p.proname = 'catalog_version_bump'
            GROUP BY c.relname
            """
        )
        return {table: set(columns) for table, columns in cursor.fetchall()}


def _sqlite_triggers() -> dict[str, set[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE '%\\_version\\_%' ESCAPE '\\'"
        )
        found: dict[str, set[str]] = {}
        for table, sql in cursor.fetchall():
            columns = found.setdefault(table, set())
            if " UPDATE OF " in sql:
                listed = sql.split(" UPDATE OF ", 1)[1].split(" ON ", 1)[0]
                columns.update(name.strip() for name in listed.split(","))
        return found


def test_the_version_triggers_cover_exactly_the_listed_tables():
    found = _pg_triggers() if connection.vendor == "postgresql" else _sqlite_triggers()
    assert set(found) == versioning.TABLES
    assert found["auth_user"] == versioning.USER_COLUMNS
    assert all(not columns for table, columns in found.items() if table != "auth_user")


def test_a_sign_in_keeps_the_version_and_a_renamed_user_changes_it():
    user = make_user("ada")
    before = versioning.current()
    user.last_login = user.date_joined
    user.save(update_fields=["last_login"])
    assert versioning.current() == before
    user.email = "ada@example.org"
    user.save(update_fields=["email"])
    assert versioning.current() != before
