"""Several writes in one database round trip: how the engine and submit keep their bookkeeping
cheap (one transaction per step's start and end; a request's rows in one query), and model
instances from the raw rows such a round trip returns."""

import functools

from django.db import connection, transaction
from django.db.backends.postgresql.compiler import InsertUnnest
from django.db.models import Q
from django.db.models.sql import InsertQuery, UpdateQuery
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.compiler import SQLInsertCompiler as RowsInsertCompiler

# (vendor, model, rows, with primary key) → (the INSERT's SQL, whether its parameters are
# columns of values)
_INSERT_SQL: dict[tuple, tuple[str, bool]] = {}
# Up to this many rows an INSERT lists them, VALUES (…), (…), where Django on PostgreSQL
# passes a column of values per field from two rows on (UNNEST): psycopg turns a value inside
# an array into SQL 3-6 times slower than a value of its own (a request's two events 0.09 ->
# 0.02 ms, a queue's two steps 0.14 -> 0.03 ms), and UNNEST's gain, a plan that does not grow
# with the rows, shows only with many rows.
ROWS_LISTED = 10
# (vendor, model, where columns, set columns, which set values are NULL) → UPDATE's SQL
_UPDATE_SQL: dict[tuple, str] = {}


def insert_statements(objs: list, with_primary_key: bool = False) -> list[tuple[str, tuple]]:
    """The INSERT of new rows of one model (a single statement where the database allows),
    their primary keys left to the database unless `with_primary_key`; up to ROWS_LISTED rows
    listed in VALUES.

    Its SQL depends only on the model and the number of rows, so it is compiled once per
    (model, rows) and kept; the values are prepared by Django's compiler as it prepares them,
    and laid out as it lays them out (row after row, or column by column where PostgreSQL
    inserts with UNNEST)."""
    if not objs:
        return []
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if with_primary_key or not f.primary_key]
    query = InsertQuery(model)
    query.insert_values(fields, objs)
    if len(objs) <= ROWS_LISTED:  # Django's own compiler for rows listed in VALUES
        compiler = RowsInsertCompiler(query, connection, connection.alias)
    else:
        compiler = query.get_compiler(connection=connection)
    key = (connection.vendor, model, len(objs), with_primary_key)
    if (kept := _INSERT_SQL.get(key)) is None:
        statements = compiler.as_sql()
        if len(statements) == 1:  # one statement for every row (not one per row)
            placeholders, _ = compiler.assemble_as_sql(fields, [[None] * len(fields)] * len(objs))
            _INSERT_SQL[key] = statements[0][0], isinstance(placeholders, InsertUnnest)
        return statements
    rows = [
        [compiler.prepare_value(f, compiler.pre_save_val(f, obj)) for f in fields] for obj in objs
    ]
    if any(hasattr(value, "as_sql") for row in rows for value in row):
        return compiler.as_sql()  # an expression is compiled into the SQL itself
    sql, by_column = kept
    params = (
        [list(col) for col in zip(*rows, strict=True)]
        if by_column
        else [v for r in rows for v in r]
    )
    return [(sql, tuple(params))]


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
    the caller's); elsewhere one by one inside `atomic`.

    Each statement gets its values (client-side binding, as for one query) on its own, then
    the query goes without parameters: psycopg keeps what it learnt of a statement's SQL
    only for up to 50 parameters, which a request's rows together exceed (it read the whole
    query again each time: 0.12 of a queue's 0.25 ms)."""
    statements = [(sql, params) for sql, params in statements if sql]
    if not statements:
        return
    if several_statements_per_query():
        with connection.cursor() as cursor:
            cursor.execute(";\n".join(cursor.mogrify(sql, params) for sql, params in statements))
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


def instances(model, rows: list) -> list:
    """Model instances from rows of all the model's columns, in order, as the ORM reads them
    (the database's values converted: JSON decoded, datetimes made aware)."""
    names, compiler, converters = _row_reader(model, connection.vendor)
    if converters:
        rows = compiler.apply_converters(rows, converters)
    return [model.from_db(connection.alias, names, row) for row in rows]


@functools.cache
def _row_reader(model, vendor: str) -> tuple[list[str], SQLCompiler, dict]:
    """The column names, a compiler and its converters for rows of all of `model`'s columns,
    set up once per model and kind of database: setting up, and asking every column for its
    converters as `results_iter` does on each call, cost more than converting a claim's rows.
    The compiler works through the `connection` proxy, so each thread converts with its own
    connection (the converters themselves depend on the kind of database only)."""
    compiler = model.objects.all().query.get_compiler(connection=connection)
    compiler.setup_query()
    columns = [select[0] for select in compiler.select[: compiler.col_count]]
    names = [f.attname for f in model._meta.concrete_fields]
    return names, compiler, compiler.get_converters(columns)
