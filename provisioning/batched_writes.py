"""Several writes in one database round trip: how the engine and submit keep their bookkeeping
cheap (one transaction per step's start and end; a request's rows in one query)."""

from django.db import connection, transaction
from django.db.models.sql import InsertQuery


def insert_statements(objs: list) -> list[tuple[str, tuple]]:
    """The INSERT of new rows of one model (a single statement where the database allows)."""
    if not objs:
        return []
    model = type(objs[0])
    query = InsertQuery(model)
    query.insert_values([f for f in model._meta.concrete_fields if not f.primary_key], objs)
    return query.get_compiler(connection=connection).as_sql()


def several_statements_per_query() -> bool:
    """PostgreSQL with client-side binding (Django's default): a query with parameters may hold
    several statements. Server-side binding prepares each query, which allows only one."""
    options = connection.settings_dict.get("OPTIONS") or {}
    return connection.vendor == "postgresql" and not options.get("server_side_binding")


def send_together(statements: list[tuple[str, tuple]]) -> None:
    """Run several writes as one transaction. On PostgreSQL in one round trip: several
    statements in one simple query, which the server runs as a single transaction (or inside
    the caller's); elsewhere one by one inside `atomic`."""
    statements = [(sql, params) for sql, params in statements if sql]
    if not statements:
        return
    if several_statements_per_query():
        with connection.cursor() as cursor:
            cursor.execute(
                ";\n".join(sql for sql, _ in statements),
                [p for _, params in statements for p in params],
            )
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
