"""The catalog version also changes with writes to the other kinds' tables (APIs, domains,
resources) and to what makes a user a catalog entity (its team memberships and the user columns
the catalog serves), so an exact count over every kind can be cached under the version.

Users are updated on every sign-in (last_login): only writes to the columns the catalog serves
change the version, so signing in does not empty every cached count. Same trigger function
and SQLite body as migration 0004.
"""

from django.db import migrations

TABLES = ["catalog_api", "catalog_domain", "catalog_resource", "catalog_teammembership"]
USER_TABLE = "auth_user"
USER_COLUMNS = "username, email, first_name, last_name"
SQLITE_BODY = (
    "INSERT INTO catalog_catalogversion (id, version) VALUES (1, abs(random())) "
    "ON CONFLICT(id) DO UPDATE SET version = excluded.version;"
)


def _events(table: str) -> list[str]:
    update = f"UPDATE OF {USER_COLUMNS}" if table == USER_TABLE else "UPDATE"
    return ["INSERT", update, "DELETE"]


def create_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table in [*TABLES, USER_TABLE]:
            events = _events(table)
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"CREATE TRIGGER {table}_version BEFORE {' OR '.join(events)} OR TRUNCATE "
                    f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump()"
                )
                continue
            for event in events:
                name = f"{table}_version_{event.split()[0].lower()}"
                cursor.execute(
                    f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {SQLITE_BODY} END"
                )


def drop_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table in [*TABLES, USER_TABLE]:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_version ON {table}")
                continue
            for event in ("insert", "update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_version_{event}")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0007_component_search"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
