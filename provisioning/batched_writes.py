"""Several writes in one database round trip: how the engine and submit keep their bookkeeping
cheap (one transaction per step's start and end; a request's rows in one query)."""

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.sql import InsertQuery, UpdateQuery

# (vendor, model, where columns, set columns, which set values are NULL) → UPDATE's SQL
_UPDATE_SQL: dict[tuple, str] = {}


def insert_statements(objs: list) -> list[tuple[str, tuple]]:
    """The INSERT of new rows of one model (a single statement where the database allows)."""
    if not objs:
        return []
    model = type(objs[0])
    query = InsertQuery(model)
    query.insert_values([f for f in model._meta.concrete_fields if not f.primary_key], objs)
    return query.get_compiler(connection=connection).as_sql()


def update_statement(model, where: dict, values: dict) -> tuple[str, tuple]:
    """The UPDATE that sets `values` on the rows where every `where` field equals its value
    (`IS NULL` for None), as Django compiles it. The SQL is compiled once per shape and kept
    (compiling costs more than sending it); the values are converted for the database as
    Django's compiler converts them."""
    meta = model._meta
    set_params = [
        meta.get_field(name).get_db_prep_save(v, connection) for name, v in values.items()
    ]
    where_params = []
    for name, value in where.items():  # in this order in the WHERE clause (Q keeps it)
        field = meta.pk if name == "pk" else meta.get_field(name)
        where_params.append(
            None
            if value is None
            else field.get_db_prep_value(field.get_prep_value(value), connection, True)
        )
    key = (
        connection.vendor,
        model,
        tuple(where),
        tuple(values),
        tuple(param is None for param in (*set_params, *where_params)),
    )
    if (sql := _UPDATE_SQL.get(key)) is None:
        query = UpdateQuery(model)
        query.add_q(Q(*where.items()))
        query.add_update_values(values)
        sql = _UPDATE_SQL[key] = query.get_compiler(connection=connection).as_sql()[0]
    return sql, tuple(
        p for p in (*set_params, *where_params) if p is not None
    )  # NULL is in the SQL


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
