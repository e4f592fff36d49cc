"""Indexes for the Backstage catalog API on PostgreSQL (the lead renumbers this at merge).

The API compares values ignoring case, as Backstage does: `lower(type) IN (...)`. Each lower()
index carries its column too, so counts (by-query's exact totalItems) and facet counts are
answered from the index alone, without reading the wide component rows. The trigram indexes
serve full-text filters on name and title, which Django writes as `UPPER(col) LIKE UPPER(...)`.
SQLite scans instead, which is fine at local sizes.
"""

from django.db import migrations

LOWER_COLUMNS = ("type", "lifecycle", "owner_ref", "system_ref")
CREATE = [
    *(
        f"CREATE INDEX IF NOT EXISTS component_{column}_lower ON catalog_component "
        f"(lower({column}::text)) INCLUDE ({column})"
        for column in LOWER_COLUMNS
    ),
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    *(
        f"CREATE INDEX IF NOT EXISTS component_{column}_upper_trgm ON catalog_component "
        f"USING gin (upper({column}::text) gin_trgm_ops)"
        for column in ("name", "title")
    ),
]
DROP = [
    *(f"DROP INDEX IF EXISTS component_{column}_lower" for column in LOWER_COLUMNS),
    *(f"DROP INDEX IF EXISTS component_{column}_upper_trgm" for column in ("name", "title")),
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_component_name_index")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
