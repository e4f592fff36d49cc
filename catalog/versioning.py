"""Read the catalog version (catalog/models/version.py); set it where triggers are off."""

from django.db import connection

from catalog.models import CatalogVersion


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
