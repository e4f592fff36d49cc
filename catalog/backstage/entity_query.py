"""Entities of every kind as one list: filtered, searched, ordered, counted, paged and loaded.

Each kind lives in its own table. An order that starts with the kind (the default: kind,
namespace, name) reads a page kind after kind, each kind in the order of its
(lower(namespace), lower(name)) index; any other order chooses the page by one UNION query over
(kind, id, sort values). Then each kind present on the page is loaded with everything its
descriptor needs. The number of queries depends on the kinds involved, never on the page size.
"""

import hashlib
import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import CharField, Count, F, Q, QuerySet, Value
from django.db.models.expressions import Case, When
from django.db.models.functions import Cast, Coalesce, Concat, Lower
from django.db.models.lookups import Exact, IsNull

from catalog import versioning
from catalog.backstage.descriptor_output import user_uid
from catalog.backstage.entity_filters import (
    Condition,
    field_expr,
    kind_q,
    text_q,
)
from catalog.backstage.entity_kinds import (
    KIND_ORDER,
    KINDS,
    KindInfo,
    attach_owned_refs,
    load_related,
    with_related,
)
from catalog.backstage.entity_predicates import predicate_q
from catalog.backstage.entity_relations import ref_match
from catalog.backstage.refs import parse_ref
from catalog.models import Component
from catalog.pagination import id_values

LOAD_CHUNK = 1000
TRIGRAM_MIN = 3
# An exact totalItems is kept this long at most; a catalog write makes it unused at once.
COUNT_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class Order:
    field: str
    descending: bool = False


DEFAULT_ORDER = (Order("kind"), Order("metadata.namespace"), Order("metadata.name"))


@dataclass(frozen=True)
class EntityQuery:
    """Which entities, in which order: Backstage's filter (or predicate), full-text filter and
    order fields."""

    filters: list[list[Condition]] = field(default_factory=list)
    predicate: dict | None = None  # a validated `query` predicate, used instead of `filters`
    order: tuple[Order, ...] = DEFAULT_ORDER
    text: str = ""
    text_fields: tuple[str, ...] = ()


def matching(query: EntityQuery) -> list[tuple[KindInfo, QuerySet]]:
    """One filtered queryset per kind that can match at all."""
    parts = []
    for name in KIND_ORDER:
        kind = KINDS[name]
        if query.predicate is not None:
            condition = predicate_q(kind, query.predicate)
        else:
            condition = kind_q(kind, query.filters)
        if condition is not None and query.text:
            searched = text_q(kind, query.text, list(query.text_fields))
            condition = condition & searched if searched is not None else None
        if condition is not None:
            parts.append((kind, kind.queryset().filter(condition)))
    return parts


def _union(querysets: list[QuerySet]) -> QuerySet | None:
    if not querysets:
        return None
    return querysets[0].union(*querysets[1:], all=True) if len(querysets) > 1 else querysets[0]


def kind_counts(parts: list[tuple[KindInfo, QuerySet]], query: EntityQuery | None = None) -> dict:
    """How many entities of each kind match, in one query, or from the cache when the query
    reads only tables the catalog version covers and the catalog has not changed since.
    `query`, what `parts` were made from, lets a cached count skip compiling the SQL."""
    combined = None

    def counting() -> QuerySet | None:
        nonlocal combined
        if combined is None:
            combined = _union(
                [
                    qs.order_by()
                    .annotate(ek=Value(KIND_ORDER.index(kind.name)))
                    .values("ek")
                    .annotate(n=Count("*"))
                    .values("ek", "n")
                    for kind, qs in parts
                ]
            )
        return combined

    found = _cached_counts(counting, repr(query) if query is not None else None) if parts else {}
    return {kind.name: found.get(kind.name, 0) for kind, _ in parts}


# Per query (its repr: the SQL of `matching(query)` depends on nothing else), the count's
# digest and whether the catalog version covers every table it reads, so a count served from
# the cache costs no compiling (which cost as much as the page's other queries together).
_COUNT_SHAPES: dict[str, tuple[str, bool]] = {}
COUNT_SHAPES_KEPT = 1000


def _count_shape(counting, shape: str | None) -> tuple[str, bool]:
    if shape is not None and (known := _COUNT_SHAPES.get(shape)) is not None:
        return known
    sql, params = counting().query.sql_with_params()
    tables = set(re.findall(r'(?:FROM|JOIN) "(\w+)"', sql))
    digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()[:32]
    known = digest, tables <= versioning.TABLES
    if shape is not None:
        if len(_COUNT_SHAPES) >= COUNT_SHAPES_KEPT:
            _COUNT_SHAPES.clear()
        _COUNT_SHAPES[shape] = known
    return known


def _cached_counts(counting, shape: str | None) -> dict[str, int]:
    """{kind: n} of the counting query; cached under the catalog version when every table it
    reads is one whose writes change that version (so a cached count is never stale)."""
    digest, cacheable = _count_shape(counting, shape)
    version = versioning.current() if cacheable else None
    key = None
    if version is not None:
        key = f"catalog-query-count:{version}:{digest}"
        found = cache.get(key)
        if found is not None:
            return found
    # Counted after the version was read: if a write commits in between, this count is newer
    # than its key, never older, and the key is no longer the current version anyway.
    found = {KIND_ORDER[row["ek"]]: row["n"] for row in counting()}
    if key is not None:
        cache.set(key, found, COUNT_CACHE_SECONDS)
    return found


def count(parts: list[tuple[KindInfo, QuerySet]], query: EntityQuery | None = None) -> int:
    return sum(kind_counts(parts, query).values())


# Paths whose column is never empty (validated on the way in), so they sort by lower(column)
# alone, which is what the (lower(namespace), lower(name)) unique index of each kind holds.
NEVER_EMPTY = {"metadata.name", "metadata.namespace"}


def _sort_columns(kind: KindInfo, order: tuple[Order, ...]) -> dict:
    """Per order field: 1 when the entity has no value (sorted last, as Backstage does), and
    the lower-cased value."""
    columns = {}
    for index, item in enumerate(order):
        expression = field_expr(kind, item.field)
        if expression is None:
            columns[f"m{index}"] = Value(1)
            columns[f"v{index}"] = Value("", output_field=CharField())
            continue
        text = Cast(expression, CharField())
        missing = Q(IsNull(text, True)) | Q(Exact(text, ""))
        columns[f"m{index}"] = Case(When(missing, then=Value(1)), default=Value(0))
        columns[f"v{index}"] = Lower(Coalesce(text, Value("")))
    return columns


def _kind_ordering(kind: KindInfo, order: tuple[Order, ...], searched: bool = False) -> list:
    """ORDER BY of one kind's rows for `order` (after its leading kind): the order the union
    sorts in, written so that the default order reads the kind's lower() index.

    `searched` (a full-text term the trigram indexes can serve): the same order written so that
    no index holds it. A term matches few names, often sorted together (every "pay…" name), and
    walking the name index until a page of them turns up read 12,855 rows for 52 at 100,000
    components (20-32 ms); found by the trigram indexes and sorted, the same page costs 7 ms."""
    ordering = []
    for item in order:
        expression = field_expr(kind, item.field)
        if item.field.lower() == "kind" or expression is None:
            continue  # the same value on every row of this kind
        if item.field.lower() in NEVER_EMPTY and isinstance(expression, F):
            value = Lower(Concat(expression, Value(""))) if searched else Lower(expression)
            ordering.append(value.desc() if item.descending else value.asc())
            continue
        text = Cast(expression, CharField())
        missing = Case(
            When(Q(IsNull(text, True)) | Q(Exact(text, "")), then=Value(1)), default=Value(0)
        )
        value = Lower(Coalesce(text, Value("")))
        ordering += [missing.asc(), value.desc() if item.descending else value.asc()]
    return ordering + [F("pk").asc()]


def _walk_kinds(
    parts, order, offset: int, limit: int | None, counts: dict | None, searched: bool
) -> list:
    """A page of an order that starts with the kind: kind after kind, each read in its own
    order, so a page costs one indexed query per kind it touches (plus a count of each kind
    it skips, unless `counts` says how many each has)."""
    if order[0].descending:
        parts = list(reversed(parts))
    keys: list = []
    for kind, qs in parts:
        if limit is not None and len(keys) >= limit:
            break
        if counts is not None and offset >= counts.get(kind.name, 0):
            offset -= counts.get(kind.name, 0)
            continue
        ordering = _kind_ordering(kind, order[1:], searched)
        rows = qs.order_by(*ordering).values_list("pk", flat=True)
        end = offset + limit - len(keys) if limit is not None else None
        found = list(rows[offset:end])
        if not found and offset > 0:
            offset = max(0, offset - qs.order_by().count())
            continue
        offset = 0
        keys += [(kind.name, pk) for pk in found]
    return keys


def page_keys(
    parts,
    order: tuple[Order, ...],
    offset: int = 0,
    limit: int | None = None,
    counts: dict[str, int] | None = None,
    text: str = "",
) -> list:
    """(kind, id) of the entities on one page, in order; `text` is the full-text term."""
    if order and order[0].field.lower() == "kind":
        searched = len(text) >= TRIGRAM_MIN  # shorter terms no trigram index can serve
        return _walk_kinds(parts, order, offset, limit, counts, searched)
    keyed = []
    for kind, qs in parts:
        columns = {"ek": Value(KIND_ORDER.index(kind.name)), "eid": F("pk")}
        columns |= _sort_columns(kind, order)
        keyed.append(qs.order_by().annotate(**columns).values(*columns))
    combined = _union(keyed)
    if combined is None:
        return []
    ordering = []
    for index, item in enumerate(order):
        ordering += [f"m{index}", f"{'-' if item.descending else ''}v{index}"]
    rows = combined.order_by(*ordering, "ek", "eid")
    rows = rows[offset : offset + limit] if limit is not None else rows[offset:]
    return [(KIND_ORDER[row["ek"]], row["eid"]) for row in rows]


def load_rows(kind: str, qs: QuerySet) -> list:
    rows = list(with_related(kind, qs))
    load_related(kind, rows)
    if kind == "group":
        attach_owned_refs(rows)
    return rows


def load(keys: list[tuple[str, int]]) -> list:
    """The rows behind (kind, id) keys, in the same order, ready for entity_to_descriptor."""
    ids = defaultdict(list)
    for kind, pk in keys:
        ids[kind].append(pk)
    loaded = {}
    for kind, pks in ids.items():
        for start in range(0, len(pks), LOAD_CHUNK):
            chunk_ids = id_values(pks[start : start + LOAD_CHUNK])
            chunk = KINDS[kind].queryset().filter(pk__in=chunk_ids).order_by()
            loaded |= {(kind, row.pk): row for row in load_rows(kind, chunk)}
    return [loaded[key] for key in keys if key in loaded]


def _own_key(kind: str, row) -> tuple[str, str, str]:
    if kind == "user":
        return "user", "default", row.get_username().lower()
    return kind, row.namespace.lower(), row.name.lower()


def load_by_refs(refs: list[str]) -> list:
    """The row for each reference, or None, in the order asked."""
    keys = []
    wanted = defaultdict(list)
    for value in refs:
        try:
            ref = parse_ref(value)
        except ValueError:
            keys.append(None)  # Backstage answers null for a reference it cannot read
            continue
        keys.append((ref.kind, ref.namespace, ref.name.lower()))
        if ref.kind in KINDS:
            wanted[ref.kind].append(str(ref))
    found = {}
    for kind, kind_refs in wanted.items():
        condition = ref_match(kind, tuple(kind_refs))
        if condition is not None:
            rows = load_rows(kind, KINDS[kind].queryset().filter(condition))
            found |= {_own_key(kind, row): row for row in rows}
    return [found.get(key) if key else None for key in keys]


def load_by_uid(value: str):
    try:
        uid = uuid.UUID(value)
    except ValueError:
        return None
    for name in KIND_ORDER:
        kind = KINDS[name]
        if name != "user":
            rows = load_rows(name, kind.queryset().filter(uid=uid))
            if rows:
                return rows[0]
    # Users' uids are derived, not stored: compare against each catalog user's.
    for pk in KINDS["user"].queryset().values_list("pk", flat=True).iterator():
        candidate = KINDS["user"].model(pk=pk)
        if user_uid(candidate) == str(uid):
            return load_rows("user", KINDS["user"].queryset().filter(pk=pk))[0]
    return None


def _tag_counts(kind: KindInfo, qs: QuerySet) -> Counter:
    if kind.name == "component":
        through = Component.tags.through.objects.all()
        if qs.query.where:  # unfiltered, every tagging counts: no need to join the components
            through = through.filter(component_id__in=qs.values("pk"))
        rows = through.values("tag__name").annotate(n=Count("*")).order_by()
        return Counter({row["tag__name"]: row["n"] for row in rows})
    counts = Counter()
    if kind.name != "user":
        for extra in qs.values_list("extra", flat=True).iterator():
            tags = ((extra or {}).get("metadata") or {}).get("tags") or []
            counts.update(tag for tag in tags if isinstance(tag, str))
    return counts


def facet_counts(kind: KindInfo, key: str, qs: QuerySet) -> Counter:
    """How many rows of `kind` in `qs` have each value of `key`."""
    if key.lower() == "metadata.tags":
        return _tag_counts(kind, qs)
    if key.lower().startswith("relations."):
        relation = key.lower().removeprefix("relations.")
        columns = {"ownedby": "spec.owner", "childof": "spec.parent"}
        if relation not in columns:
            return Counter()
        key = columns[relation]
    expression = field_expr(kind, key)
    if expression is None:
        return Counter()
    rows = qs.annotate(facet_value=expression).values("facet_value")
    rows = rows.annotate(n=Count("*")).order_by()
    return Counter(
        {str(row["facet_value"]): row["n"] for row in rows if row["facet_value"] not in ("", None)}
    )


def _key_counts(parts, key: str, query: EntityQuery) -> Counter:
    if key.lower() == "kind":
        # One count per kind, in one query, instead of one grouped query per kind.
        counted = kind_counts(parts, query)
        return Counter({KINDS[name].label: n for name, n in counted.items() if n})
    counts = Counter()
    for kind, qs in parts:
        counts.update(facet_counts(kind, key, qs))
    return counts


def facets(query: EntityQuery, keys: list[str]) -> dict[str, list[dict]]:
    """Backstage's entity facets: for each key, its values with how many entities have them."""
    parts = matching(query)
    result = {}
    for key in keys:
        ranked = sorted(
            _key_counts(parts, key, query).items(), key=lambda item: (-item[1], item[0])
        )
        result[key] = [{"value": value, "count": n} for value, n in ranked]
    return result
