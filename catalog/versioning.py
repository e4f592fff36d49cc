"""Read the catalog version (catalog/models/version.py); set it where triggers are off."""

from django.db import connection

from catalog.models import CatalogVersion

# The tables whose writes change the version (the triggers of migrations 0004 and 0008; for
# auth_user, writes to the columns the catalog serves): a result read from these alone may be
# cached under the version. tests/catalog/test_catalog_version.py checks the triggers match.
TABLES = frozenset(
    {
        "catalog_api",
        "catalog_component",
        "catalog_component_tags",
        "catalog_domain",
        "catalog_resource",
        "catalog_system",
        "catalog_tag",
        "catalog_team",
        "catalog_teammembership",
        "auth_user",
    }
)
# The auth_user columns whose writes change the version (not last_login: every sign-in).
USER_COLUMNS = frozenset({"username", "email", "first_name", "last_name"})


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
