"""The narrow search table (catalog/models/search.py) on PostgreSQL: its DDL, the triggers that
keep it equal to the component rows and their tags, and a rebuild for loaders that write with
triggers off (a bulk COPY under session_replication_role = replica).

The triggers are statement-level with transition tables: a 1,000-row COPY of an import costs
one INSERT … SELECT here, not a thousand. An update that leaves the copied columns as they were
(a new etag, a touched `updated_at`, a title) writes nothing.

A writer that touches each component twice (an import writes a component, then its tags) can
defer the copy within its transaction, `with deferred(ids):`, and have the rows of the
components it wrote copied once at the end, in one statement: the insert, update and tag
triggers return at once while the transaction-local setting DEFERRED is 'on'.
"""

from contextlib import contextmanager

from django.db import connection

TABLE = "catalog_componentsearch"
# The component's columns copied, in the table's order after component_id. A reference's text
# is kept only while it names no catalog entity (the filters read it only then, and it is a
# seventh of the row), so it reads '' once the owner or system is resolved.
COLUMNS = [
    "search_text", "owner_id", "owner_ref", "system_id", "system_ref",
    "type", "lifecycle", "tier", "language",
]  # fmt: skip
# Type, lifecycle and language are kept lower-cased: the list's filters compare them ignoring
# case, and comparing a lower-cased copy spares a lower() per row and condition, a quarter of a
# broad search's count (catalog/backstage/component_conditions.py, `narrow`).
LOWERED = ("type", "lifecycle", "language")
_VALUES = {
    column: "CASE WHEN n.{0}_id IS NULL THEN n.{0}_ref ELSE '' END".format(column[:-4])
    if column.endswith("_ref")
    else f"lower(n.{column})"
    if column in LOWERED
    else f"n.{column}"
    for column in COLUMNS
}
_COPIED = ", ".join(COLUMNS)
_FROM_N = ", ".join(_VALUES.values())
_TAGS_OF = (
    "COALESCE((SELECT array_agg(t.tag_id ORDER BY t.tag_id) FROM catalog_component_tags t "
    "WHERE t.component_id = {id}), '{{}}')"
)

CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    component_id bigint PRIMARY KEY,
    search_text text NOT NULL,
    owner_id bigint,
    owner_ref varchar(200) NOT NULL,
    system_id bigint,
    system_ref varchar(200) NOT NULL,
    type varchar(63) NOT NULL,
    lifecycle varchar(63) NOT NULL,
    tier smallint NOT NULL,
    language varchar(63) NOT NULL,
    tag_ids bigint[] NOT NULL DEFAULT '{{}}'
);
"""
INDEX = "component_search_narrow_trgm"
CREATE_INDEX = f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} USING gin (search_text gin_trgm_ops)"

# A transaction-local setting (set_config(…, true)): ends with the transaction or savepoint.
DEFERRED = "catalog.search_deferred"
_SKIP_WHEN_DEFERRED = f"IF current_setting('{DEFERRED}', true) = 'on' THEN RETURN NULL; END IF;"


def _upsert(source: str) -> str:
    """Insert or refresh the rows of the components `source` names as `n` (a FROM item).

    A row whose copied columns and tags are already right is left unwritten."""
    return f"""
    INSERT INTO {TABLE} AS s (component_id, {_COPIED}, tag_ids)
    SELECT n.id, {_FROM_N}, {_TAGS_OF.format(id="n.id")} FROM {source}
    ON CONFLICT (component_id) DO UPDATE SET
    {", ".join(f"{column} = EXCLUDED.{column}" for column in COLUMNS)}, tag_ids = EXCLUDED.tag_ids
    WHERE ({", ".join(f"s.{column}" for column in COLUMNS)}, s.tag_ids) IS DISTINCT FROM
          ({", ".join(f"EXCLUDED.{column}" for column in COLUMNS)}, EXCLUDED.tag_ids)"""  # noqa: S608


# Every name in this SQL is one of the module's constants; nothing comes from input.
FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION catalog_search_insert() RETURNS trigger AS $$
BEGIN
    {_SKIP_WHEN_DEFERRED}
    {_upsert("changed n")};
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION catalog_search_update() RETURNS trigger AS $$
BEGIN
    {_SKIP_WHEN_DEFERRED}
    UPDATE {TABLE} s SET {", ".join(f"{column} = {_VALUES[column]}" for column in COLUMNS)}
    FROM changed n
    WHERE s.component_id = n.id
      AND ({", ".join(f"s.{column}" for column in COLUMNS)}) IS DISTINCT FROM ({_FROM_N});
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION catalog_search_delete() RETURNS trigger AS $$
BEGIN
    DELETE FROM {TABLE} WHERE component_id IN (SELECT id FROM changed);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION catalog_search_truncate() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'catalog_component' THEN
        TRUNCATE {TABLE};
    ELSE
        UPDATE {TABLE} SET tag_ids = '{{}}' WHERE tag_ids <> '{{}}';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION catalog_search_tags() RETURNS trigger AS $$
BEGIN
    {_SKIP_WHEN_DEFERRED}
    UPDATE {TABLE} s SET tag_ids = {_TAGS_OF.format(id="s.component_id")}
    WHERE s.component_id IN (SELECT component_id FROM changed);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION catalog_search_tags_moved() RETURNS trigger AS $$
BEGIN
    {_SKIP_WHEN_DEFERRED}
    UPDATE {TABLE} s SET tag_ids = {_TAGS_OF.format(id="s.component_id")}
    WHERE s.component_id IN (
        SELECT component_id FROM changed UNION SELECT component_id FROM before
    );
    RETURN NULL;
END $$ LANGUAGE plpgsql;
"""  # noqa: S608

# (name, table, event, transition tables, function)
TRIGGERS = [
    ("catalog_component_search_ins", "catalog_component", "INSERT",
     "NEW TABLE AS changed", "catalog_search_insert"),
    ("catalog_component_search_upd", "catalog_component", "UPDATE",
     "NEW TABLE AS changed", "catalog_search_update"),
    ("catalog_component_search_del", "catalog_component", "DELETE",
     "OLD TABLE AS changed", "catalog_search_delete"),
    ("catalog_component_search_trunc", "catalog_component", "TRUNCATE", "",
     "catalog_search_truncate"),
    ("catalog_component_tags_search_ins", "catalog_component_tags", "INSERT",
     "NEW TABLE AS changed", "catalog_search_tags"),
    ("catalog_component_tags_search_del", "catalog_component_tags", "DELETE",
     "OLD TABLE AS changed", "catalog_search_tags"),
    ("catalog_component_tags_search_upd", "catalog_component_tags", "UPDATE",
     "OLD TABLE AS before NEW TABLE AS changed", "catalog_search_tags_moved"),
    ("catalog_component_tags_search_trunc", "catalog_component_tags", "TRUNCATE", "",
     "catalog_search_truncate"),
]  # fmt: skip
FUNCTION_NAMES = sorted({trigger[4] for trigger in TRIGGERS})

REBUILD = f"""
INSERT INTO {TABLE} (component_id, {_COPIED}, tag_ids)
SELECT n.id, {_FROM_N}, COALESCE(t.ids, '{{}}')
FROM catalog_component n
LEFT JOIN (
    SELECT component_id, array_agg(tag_id ORDER BY tag_id) AS ids
    FROM catalog_component_tags GROUP BY component_id
) t ON t.component_id = n.id
"""  # noqa: S608


_COPY_IDS = _upsert("catalog_component n WHERE n.id = ANY(%s)")


@contextmanager
def deferred(component_ids: list[int]):
    """Within the block, this transaction's inserts, updates and tag changes of components are
    not copied; at its end the rows of `component_ids` (the list as the block leaves it: the
    components written meanwhile) are, in one statement, and the triggers copy again.

    Deletes are copied at once all along. Only PostgreSQL has the table: elsewhere this does
    nothing. If the block raises, nothing is copied: the caller's transaction rolls back.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [DEFERRED])
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'off', true)", [DEFERRED])
        cursor.execute(_COPY_IDS, [component_ids])


def create(cursor) -> None:
    """The table, its trigram index, the triggers, and a row for every component there is."""
    cursor.execute(CREATE_TABLE)
    cursor.execute(FUNCTIONS)
    for name, table, event, referencing, function in TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        transition = f" REFERENCING {referencing}" if referencing else ""
        cursor.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table}{transition} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    rebuild(cursor)


def drop(cursor) -> None:
    for name, table, *_ in TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for function in FUNCTION_NAMES:
        cursor.execute(f"DROP FUNCTION IF EXISTS {function}()")
    cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def rebuild(cursor) -> None:
    """Copy every component again (after a load that bypassed the triggers). The trigram index
    is built after the rows, which is several times faster than filling it row by row."""
    cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    cursor.execute(f"TRUNCATE {TABLE}")
    cursor.execute(REBUILD)
    cursor.execute(CREATE_INDEX)
    cursor.execute(f"ANALYZE {TABLE}")
