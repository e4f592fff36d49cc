"""Every migration is backwards-compatible for one release, so a rolling update never breaks the
old pods, which keep serving on the new schema until they are replaced (README, "Upgrade").

The old code does not know a new column, so it must be nullable or have a database default
(`db_default`; a Python `default` is not seen by the old code's INSERTs); a column, table or
name the old code still uses must not go in the same release. Removing one is done a release
after the code stopped using it, and listed in RELEASED_AFTER_USE with that reason.
"""

from pathlib import Path

import django.db.migrations as ops
from django.apps import apps
from django.db import models
from django.db.migrations.loader import MigrationLoader

from tests.helpers import ROOT

# The portal's own apps (a new one is checked from its first migration).
LOCAL_APPS = {
    c.label
    for c in apps.get_app_configs()
    if Path(c.path).is_relative_to(ROOT) and "site-packages" not in Path(c.path).parts
}
# Migrations made before the portal's first production release, when no older pods existed to
# break: each app's last one then. Later migrations are all checked.
BEFORE_FIRST_RELEASE = {
    "idp_portal": "0002",
    "catalog": "0006",
    "provisioning": "0007",
    "observability": "0003",
    "feedback": "0002",
}
# (app, migration, operation description): why the previous release no longer uses what it
# changes, e.g. "release 1.4 stopped reading Service.legacy".
RELEASED_AFTER_USE: dict[tuple[str, str, str], str] = {}


def describe(operation) -> str:
    model = getattr(operation, "model_name", "") or ""
    name = getattr(operation, "name", "") or getattr(operation, "old_name", "")
    return f"{type(operation).__name__} {model + '.' if model else ''}{name.lower()}"


def breaks_old_code(operation) -> bool:
    """True when pods of the previous release would fail on the schema after `operation`."""
    if isinstance(operation, ops.RemoveField | ops.DeleteModel | ops.RenameField):
        return True
    if isinstance(operation, ops.RenameModel):
        return True
    if isinstance(operation, ops.AddField):
        field = operation.field
        has_db_default = field.db_default is not models.NOT_PROVIDED
        return not (field.null or field.many_to_many or has_db_default)
    return False


def incompatible(migrations: dict) -> list[tuple[str, str, str]]:
    return [
        (app, name, describe(operation))
        for (app, name), migration in sorted(migrations.items())
        if app in LOCAL_APPS and name[:4] > BEFORE_FIRST_RELEASE.get(app, "")
        for operation in migration.operations
        if breaks_old_code(operation)
    ]


def test_no_migration_breaks_the_previous_release_unless_listed_with_a_reason():
    found = incompatible(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unexplained = [entry for entry in found if entry not in RELEASED_AFTER_USE]
    assert not unexplained, (
        "these operations break pods of the previous release during a rolling update: add "
        "nullable columns or ones with db_default, and drop or rename a release after the code "
        f"stopped using the old one (then list it in RELEASED_AFTER_USE): {unexplained}"
    )
    assert set(RELEASED_AFTER_USE) <= set(found), "an entry no longer matches a migration"


def test_the_migrations_before_the_first_release_exist():
    migrations = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    for app, number in BEFORE_FIRST_RELEASE.items():
        assert any(a == app and name.startswith(number) for a, name in migrations), app


class Migration(ops.Migration):
    operations = [
        ops.AddField("service", "note", models.TextField(null=True)),
        ops.AddField("service", "tier", models.CharField(max_length=9, db_default="gold")),
        ops.AddField("service", "size", models.IntegerField(default=1)),
        ops.RemoveField("service", "legacy"),
        ops.RenameField("service", "old", "new"),
    ]


def test_the_check_tells_breaking_operations_from_safe_ones():
    found = incompatible({("catalog", "9999_example"): Migration("9999_example", "catalog")})
    assert [entry[2] for entry in found] == [
        "AddField service.size",
        "RemoveField service.legacy",
        "RenameField service.old",
    ]
