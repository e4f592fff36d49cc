"""The narrow search table and its triggers (catalog/search_table.py), PostgreSQL only.

The model is unmanaged: Django records it but never creates it; on PostgreSQL this migration
creates the table, its trigram index and the triggers, and copies every component in, then
drops the component table's own trigram index (migration 0002): searches read the narrow table,
so keeping both would only make every catalog write maintain two. SQLite (make dev) has no such
table and searches the component table itself.
"""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from catalog import search_table

        with schema_editor.connection.cursor() as cursor:
            search_table.create(cursor)
            cursor.execute("DROP INDEX IF EXISTS component_search_trgm")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from catalog import search_table

        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS component_search_trgm ON catalog_component "
                "USING gin (search_text gin_trgm_ops)"
            )
            search_table.drop(cursor)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_api_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ComponentSearch",
            fields=[
                (
                    "component",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="catalog.component",
                    ),
                ),
                ("search_text", models.TextField()),
                ("owner_ref", models.CharField(max_length=200)),
                ("system_ref", models.CharField(max_length=200)),
                ("type", models.CharField(max_length=63)),
                ("lifecycle", models.CharField(max_length=63)),
                ("tier", models.PositiveSmallIntegerField()),
                ("language", models.CharField(max_length=63)),
                (
                    "tag_ids",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.BigIntegerField(), default=list, size=None
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="catalog.team",
                    ),
                ),
                (
                    "system",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="catalog.system",
                    ),
                ),
            ],
            options={
                "verbose_name": "component search row",
                "db_table": "catalog_componentsearch",
                "managed": False,
            },
        ),
        migrations.RunPython(create, drop),
    ]
