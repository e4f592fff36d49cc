"""The search table's triggers learn to wait (catalog/search_table.py, `deferred`), PostgreSQL
only like 0007: an import then writes each component's search row once instead of twice.

The functions are replaced in place; the triggers, the table and its rows stay as they are.
Going back leaves them: with the setting never set, they copy exactly as 0007's did.
"""

from django.db import migrations


def replace_functions(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from catalog import search_table

        with schema_editor.connection.cursor() as cursor:
            cursor.execute(search_table.FUNCTIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0008_version_all_kinds"),
    ]

    operations = [
        migrations.RunPython(replace_functions, migrations.RunPython.noop),
    ]
