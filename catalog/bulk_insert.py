"""Insert many rows of a plain table fast: COPY on PostgreSQL, executemany elsewhere.

Within `triggers_off()` (an import's writes), a COPY runs with the table's triggers off
(session_replication_role = replica) when the database role may do that. PostgreSQL checks a
foreign key with a trigger per row and key, queued to the commit: a 100,000-entity import
queued two million of them, a third of its database time. Here each COPY's foreign keys are
checked set-wise right after it instead, in one query that locks the referenced rows as the
constraint's triggers lock them (FOR KEY SHARE): a reference to a missing row fails the COPY
with an IntegrityError, as the constraint would. A table's other insert triggers are done
here too (the catalog version's) or by the caller (the search table's, which
`search_table.deferred` writes at the end); a table with any other insert trigger, or a
foreign-key constraint its model does not declare, is copied with its triggers on.
"""

import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ForeignKey, JSONField
from django.utils import timezone

from catalog import search_table, versioning

# The catalog version's trigger (migrations 0004 and 0008): BEFORE each statement.
_BUMP_VERSION = (
    "INSERT INTO catalog_catalogversion (id, version) VALUES (1, nextval('catalog_version_seq')) "
    "ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version"
)
_SEARCH_TRIGGERS = frozenset(trigger[0] for trigger in search_table.TRIGGERS)
_INSERT_TRIGGERS = (
    "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
    "AND tgenabled <> 'D' AND tgtype & 4 <> 0"  # TRIGGER_TYPE_INSERT
)


# The columns of each foreign-key constraint (one row per constraint).
_FOREIGN_KEYS = (
    "SELECT array_agg(a.attname::text) FROM pg_constraint c JOIN pg_attribute a "
    "ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) "
    "WHERE c.conrelid = %s::regclass AND c.contype = 'f' GROUP BY c.oid"
)


@dataclass
class _TriggersOff:
    search_deferred: bool
    tables: dict[str, bool] = field(default_factory=dict)  # table: may be copied without

    def covers(self, cursor, model) -> bool:
        """Whether every insert trigger of `model`'s table is done without it (see the module
        docstring) and every foreign key there is one of the model's, which _copy checks."""
        table = model._meta.db_table
        if table not in self.tables:
            cursor.execute(_INSERT_TRIGGERS, [table])
            handled = {f"{table}_version"} | (_SEARCH_TRIGGERS if self.search_deferred else set())
            triggers = all(name in handled for (name,) in cursor.fetchall())
            cursor.execute(_FOREIGN_KEYS, [table])
            checked = {f.column for f in model._meta.concrete_fields if isinstance(f, ForeignKey)}
            keys = all(len(cols) == 1 and cols[0] in checked for (cols,) in cursor.fetchall())
            self.tables[table] = triggers and keys
        return self.tables[table]


_triggers_off: ContextVar[_TriggersOff | None] = ContextVar("triggers_off", default=None)


@contextmanager
def triggers_off():
    """Within the block (and a transaction), COPYs run with triggers off and their foreign keys
    checked set-wise, where the role may set session_replication_role (a superuser, or one
    granted SET on it); elsewhere this does nothing. Inside `search_table.deferred`, the search
    table's triggers are among those left off."""
    if connection.vendor != "postgresql" or not _may_turn_triggers_off():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true) = 'on'", [search_table.DEFERRED])
        token = _triggers_off.set(_TriggersOff(search_deferred=cursor.fetchone()[0]))
    try:
        yield
    finally:
        _triggers_off.reset(token)


def _may_turn_triggers_off() -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL session_replication_role = origin")
    except DatabaseError:  # permission denied: the savepoint is rolled back
        return False
    return True


def _copy(cursor, model, fields: list, rows: list) -> None:
    """COPY `rows` (sequences in `fields` order) into `model`'s table."""
    quote = connection.ops.quote_name
    table = model._meta.db_table
    columns = ", ".join(quote(f.column) for f in fields)
    statement = f"COPY {quote(table)} ({columns}) FROM STDIN"
    mode = _triggers_off.get()
    if mode is None or not mode.covers(cursor, model):
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    bump = f"{_BUMP_VERSION}; " if table in versioning.TABLES else ""
    cursor.execute(f"{bump}SET LOCAL session_replication_role = replica")
    with cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
    keys = []
    for position, key in enumerate(fields):
        if isinstance(key, ForeignKey) and (values := {row[position] for row in rows} - {None}):
            keys.append((key, values))
    _check_references(cursor, table, keys)


def _check_references(cursor, table: str, keys: list) -> None:
    """Turn triggers back on, lock the rows `keys` ([(foreign key, values)]) reference and
    raise IntegrityError if one is missing: one query, where the foreign keys' triggers would
    have locked each row (a round trip saved per COPY: a 100,000-entity import has 1,000)."""
    quote = connection.ops.quote_name
    found, params = ["set_config('session_replication_role', 'origin', true)"], []
    for key, values in keys:
        target = key.target_field
        # Names come from the models' own metadata, quoted: nothing here is user input.
        found.append(
            f"(SELECT count(*) FROM (SELECT FROM {quote(target.model._meta.db_table)} "  # noqa: S608
            f"WHERE {quote(target.column)} = ANY(%s::{target.rel_db_type(connection)}[]) "
            "FOR KEY SHARE) AS found)"
        )
        params.append(list(values))
    cursor.execute(f"SELECT {', '.join(found)}", params)
    for (key, values), count in zip(keys, cursor.fetchone()[1:], strict=True):
        if count != len(values):
            _missing_reference(cursor, table, key, values)


def _missing_reference(cursor, table: str, key, values: set) -> None:
    quote, target = connection.ops.quote_name, key.target_field
    target_table = target.model._meta.db_table
    cursor.execute(
        f"SELECT {quote(target.column)} FROM {quote(target_table)} "  # noqa: S608 - as above
        f"WHERE {quote(target.column)} = ANY(%s::{target.rel_db_type(connection)}[])",
        [list(values)],
    )
    missing = min(values - {value for (value,) in cursor.fetchall()})
    raise IntegrityError(
        f'insert into table "{table}" violates its foreign key: key ({key.column})=({missing}) '
        f'is not present in table "{target_table}"'
    )


def insert_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """Insert `rows` (values in `fields` order) without building a model instance per row.

    Only for tables without defaults, signals or values Django must prepare (ids, text,
    foreign keys): an import's 80,000 links, tags and dependencies take a fraction of a second
    this way, and several seconds through bulk_create.
    """
    if not rows:
        return
    model_fields = [model._meta.get_field(name) for name in fields]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy(cursor, model, model_fields, rows)
        else:
            quote = connection.ops.quote_name
            table = quote(model._meta.db_table)
            columns = ", ".join(quote(f.column) for f in model_fields)
            marks = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - as above
            cursor.executemany(sql, rows)


def _column_values(model, rows: list[dict], ids: list[int]):
    """Each row as a list over the model's columns: given values, defaults, timestamps."""
    now = timezone.now()
    plan = []
    for field_ in model._meta.concrete_fields:
        auto_time = getattr(field_, "auto_now", False) or getattr(field_, "auto_now_add", False)
        plan.append((field_, field_.attname, auto_time, isinstance(field_, JSONField)))
    for pk, row in zip(ids, rows, strict=True):
        values = []
        for field_, attname, auto_time, is_json in plan:
            if field_.primary_key:
                value = pk
            elif attname in row:
                value = row[attname]
            else:
                value = now if auto_time else field_.get_default()  # e.g. a fresh uuid4 for uid
            # COPY's text format takes JSON as text; most labels and extras are empty.
            values.append(("{}" if value == {} else json.dumps(value)) if is_json else value)
        yield values


def create_rows(model, rows: list[dict]) -> list[int]:
    """Insert new rows given as {attname: value} and return their ids, in order.

    On PostgreSQL the ids come from the table's sequence in one query and the rows are
    COPied, twice as fast as bulk_create for an import's thousands of entities; elsewhere
    this is bulk_create.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        instances = [model(**row) for row in rows]
        model.objects.bulk_create(instances)
        return [instance.pk for instance in instances]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        fields = model._meta.concrete_fields
        _copy(cursor, model, fields, list(_column_values(model, rows, ids)))
    return ids
