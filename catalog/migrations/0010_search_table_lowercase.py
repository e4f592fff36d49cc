"""The search table keeps type, lifecycle and language lower-cased (catalog/search_table.py,
LOWERED), so the list's filters compare them without a lower() per row. PostgreSQL only, like
0007: the functions are replaced in place and the rows written before are lower-cased once.

Going back leaves the rows lower-cased and the functions as they are: the filters of the code
before compare lower(column), which reads the same on a lower-cased copy.
"""

from django.db import migrations


def lower_case(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from catalog import search_table

    changed = " OR ".join(f"{column} <> lower({column})" for column in search_table.LOWERED)
    lowered = ", ".join(f"{column} = lower({column})" for column in search_table.LOWERED)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(search_table.FUNCTIONS)
        # Names are the module's constants; nothing comes from input.
        cursor.execute(f"UPDATE {search_table.TABLE} SET {lowered} WHERE {changed}")  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0009_search_table_deferrable"),
    ]

    operations = [
        migrations.RunPython(lower_case, migrations.RunPython.noop),
    ]
