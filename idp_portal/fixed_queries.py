"""Querysets of a fixed shape whose SQL is built and compiled once per process.

Django builds and compiles a queryset's SQL on every evaluation; for the service page's
fixed-shape queries (select_related, annotations, subqueries) that cost more CPU than the
database spent answering them. A FixedQuery builds its queryset once, from probe values in
place of its parameters, keeps the compiled SQL and the compiler's plan for turning rows into
objects, and afterwards only runs that SQL with each call's parameters.

    service = FixedQuery(lambda pk: Component.objects.select_related("owner").filter(pk=pk), int)
    rows = service(42)  # a list of Components, as list(queryset) would give

Each parameter must reach the SQL unchanged (`filter(name=name)`, not `filter(name=f(name))`)
and must not change the SQL's shape (no None, which becomes IS NULL; no lists). Querysets that
yield model instances or, with values_list(), plain tuples are supported; prefetch_related and
iterator options are not. Every other value in the SQL (a constant, a setting read while
building it) is fixed at the first call.
"""

from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators

_PROBES = {
    str: lambda i: f"\x00fixed-query-probe-{i}\x00",
    # within every integer field's range (out of range, Django leaves the condition out)
    int: lambda i: 32_123 + i,
}


class _Compiled:
    """The SQL of one queryset on one database, where each parameter goes, and how its rows
    become objects."""

    def __init__(self, queryset, probes: list) -> None:
        if queryset.db != DEFAULT_DB_ALIAS:
            raise ValueError("only querysets of the default database")
        self.db = queryset.db
        compiler = queryset.query.get_compiler(using=self.db)
        self.sql, params = compiler.as_sql()
        self.slots = [_slot(param, probes) for param in params]
        if sorted(s[0] for s in self.slots if s[0] is not None) != list(range(len(probes))):
            raise ValueError("each parameter must reach the SQL exactly once, unchanged")
        self.compiler = compiler
        self.model = queryset.model
        self.tuples = queryset._iterable_class is ValuesListIterable
        if not self.tuples and queryset._iterable_class is not ModelIterable:
            raise ValueError("only model instances or values_list() tuples")
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise ValueError("prefetch_related and related-object caches are not supported")
        if self.tuples:
            return
        select, klass_info = compiler.select, compiler.klass_info
        self.row_model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, self.db)
        self.annotations = list(compiler.annotation_col_map.items())

    def run(self, args: tuple) -> list:
        params = [
            value if index is None else cast(args[index]) for index, value, cast in self.slots
        ]
        with connections[self.db].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        rows = self.compiler.results_iter([rows], tuple_expected=self.tuples)
        if self.tuples:
            return list(rows)
        return [self._instance(row) for row in rows]

    def _instance(self, row):
        obj = self.row_model.from_db(self.db, self.init_list, row[self.start : self.end])
        for populator in self.populators:
            populator.populate(row, obj)
        for name, position in self.annotations:
            setattr(obj, name, row[position])
        return obj


def _slot(param, probes: list) -> tuple:
    """(index of the argument `param` is, None, its type) or (None, the constant, None).

    The type is kept: the PostgreSQL backend passes integers as psycopg's Int2/Int4/Int8."""
    for index, probe in enumerate(probes):
        if isinstance(param, type(probe)) and param == probe:
            return index, None, type(param)
    return None, param, None


class FixedQuery:
    """`build(*args)` -> QuerySet, compiled on first use; calling it gives the rows as a list.
    `types` are the parameters' types (str or int), used to build the probes."""

    def __init__(self, build: Callable, *types: type) -> None:
        self.build = build
        self.types = types
        self._compiled: _Compiled | None = None

    def __call__(self, *args) -> list:
        if not all(
            isinstance(arg, kind) and not isinstance(arg, bool)
            for arg, kind in zip(args, self.types, strict=True)
        ):
            raise TypeError(f"FixedQuery arguments must be {self.types}, got {args!r}")
        if self._compiled is None:
            probes = [_PROBES[kind](i) for i, kind in enumerate(self.types)]
            self._compiled = _Compiled(self.build(*probes), probes)
        return self._compiled.run(args)

    @property
    def model(self):
        """The queryset's model (known once it has run)."""
        return self._compiled.model


def prefetched(obj, relation: str, rows: list) -> None:
    """Install `rows` as `obj`'s prefetched `relation` (a to-many manager's name), as
    prefetch_related would: `obj.<relation>.all()` then reads them without a query."""
    queryset = getattr(obj, relation).get_queryset()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    cache = obj.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[relation] = queryset  # the cache name of a forward or reverse relation: its name
