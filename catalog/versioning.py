"""Read the catalog version (catalog/models/version.py); set it where triggers are off."""

from django.db import connection

from catalog.models import CatalogVersion

# The tables whose every write changes the version (the triggers of migration 0004): a result
# read from these alone may be cached under the version.
TABLES = frozenset(
    {"catalog_component", "catalog_component_tags", "catalog_tag", "catalog_team", "catalog_system"}
)


def current() -> int | None:
    """The catalog's version now; None when the row is missing (a just-flushed test database),
    in which case nothing may be cached."""
    return CatalogVersion.objects.filter(id=1).values_list("version", flat=True).first()


def bump() -> None:
    """Change the version as the triggers do: for loaders that switch triggers off (a bulk
    COPY under session_replication_role = replica)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "INSERT INTO catalog_catalogversion (id, version) "
                "VALUES (1, nextval('catalog_version_seq')) "
                "ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version"
            )
        else:
            cursor.execute(
                "INSERT INTO catalog_catalogversion (id, version) VALUES (1, abs(random())) "
                "ON CONFLICT(id) DO UPDATE SET version = excluded.version"
            )


def lock_for_write() -> None:
    """Take the version row's lock now, inside a transaction that will write the catalog.

    Every catalog write statement takes this lock first (the triggers fire before the
    statement), so catalog writers queue on it rather than deadlock. A transaction that locks
    catalog rows itself (select_for_update) before writing must call this before, to keep the
    same order: version first, then rows.
    """
    CatalogVersion.objects.select_for_update().filter(id=1).exists()
