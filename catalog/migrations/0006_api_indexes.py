"""Indexes for the Backstage catalog API on PostgreSQL.

by-query's exact totalItems and the facets count rows under filters like
`lower(type) IN (...) AND lower(lifecycle) IN (...)`: a narrow index holding the columns the
API filters and facets on most answers those counts by an index-only scan (about 150 pages
instead of the 9,400 of the wide component rows at 100,000 components), for any mix of these
filters. The trigram indexes serve full-text filters on name and title, which Django writes as
`UPPER(col) LIKE UPPER('%term%')`. SQLite scans instead, which is fine at local sizes.
"""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS component_api_counts ON catalog_component "
    "(type, lifecycle, owner_ref)",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    *(
        f"CREATE INDEX IF NOT EXISTS component_{column}_upper_trgm ON catalog_component "
        f"USING gin (upper({column}::text) gin_trgm_ops)"
        for column in ("name", "title")
    ),
]
DROP = [
    "DROP INDEX IF EXISTS component_api_counts",
    *(f"DROP INDEX IF EXISTS component_{column}_upper_trgm" for column in ("name", "title")),
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_list_order_indexes")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
