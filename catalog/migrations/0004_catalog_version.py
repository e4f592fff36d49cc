"""The catalog version and the triggers that change it with every catalog write.

PostgreSQL: one statement-level trigger per table, fired BEFORE the statement, so a writing
transaction takes the version row's lock before any catalog row's (catalog writers queue on it
instead of deadlocking), and a 100,000-row COPY costs one update, not 100,000. The value comes
from a sequence, so it never repeats, even after a rollback. SQLite (make dev) has only row
triggers and no sequences: a random 63-bit value per written row.
"""

from django.db import migrations, models

TABLES = [
    "catalog_component",
    "catalog_component_tags",
    "catalog_tag",
    "catalog_team",
    "catalog_system",
]

POSTGRES_FUNCTION = """
CREATE SEQUENCE IF NOT EXISTS catalog_version_seq;
CREATE OR REPLACE FUNCTION catalog_version_bump() RETURNS trigger AS $$
BEGIN
    INSERT INTO catalog_catalogversion (id, version) VALUES (1, nextval('catalog_version_seq'))
    ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""
SQLITE_BODY = (
    "INSERT INTO catalog_catalogversion (id, version) VALUES (1, abs(random())) "
    "ON CONFLICT(id) DO UPDATE SET version = excluded.version;"
)


def create_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_FUNCTION)
            for table in TABLES:
                cursor.execute(
                    f"CREATE TRIGGER {table}_version BEFORE INSERT OR UPDATE OR DELETE OR "
                    f"TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION "
                    "catalog_version_bump()"
                )
            cursor.execute("SELECT nextval('catalog_version_seq')")
            first = cursor.fetchone()[0]
        else:
            for table in TABLES:
                for operation in ("INSERT", "UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER {table}_version_{operation.lower()} AFTER {operation} "
                        f"ON {table} BEGIN {SQLITE_BODY} END"
                    )
            first = 1
    apps.get_model("catalog", "CatalogVersion").objects.update_or_create(
        id=1, defaults={"version": first}
    )


def drop_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table in TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_version ON {table}")
            else:
                for operation in ("insert", "update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_version_{operation}")
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS catalog_version_bump()")
            cursor.execute("DROP SEQUENCE IF EXISTS catalog_version_seq")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_component_name_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogVersion",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("version", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "catalog version"},
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
