"""Planner settings for one statement on PostgreSQL, where its estimates are known to mislead."""

from contextlib import contextmanager

from django.db import connections, transaction


@contextmanager
def planner_settings(using: str, settings: dict[str, str]):
    """Run the block in a transaction planned with `settings`, set in one round trip.

    set_config(…, true) lasts until the transaction ends: the block's own transaction, or, when
    the caller is already in one, the caller's, so then the values before are put back after.
    """
    if not settings or connections[using].vendor != "postgresql":
        yield
        return
    connection = connections[using]
    nested = connection.in_atomic_block
    names = list(settings)
    before = ", ".join("current_setting(%s)" for _ in names)
    calls = ", ".join("set_config(%s, %s, true)" for _ in names)
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {before}, {calls}", [*names, *[v for n in names for v in (n, settings[n])]]
            )
            previous = cursor.fetchone()[: len(names)]
        yield
        if nested:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {calls}",
                    [v for n, old in zip(names, previous, strict=True) for v in (n, old)],
                )
