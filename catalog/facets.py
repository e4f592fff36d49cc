"""The counts beside each filter option: exact, from one pass over the matching rows.

A facet's counts apply every *other* active filter, so ticking one owner still shows how many
services the other owners have. Computing that naively costs a scan per facet, each over a
different set of rows. Instead:

1. The rows that can count anywhere are read once into a materialized CTE: the scope and the
   search (narrowed by the trigram index), and, when several filters are active, the rows that
   fail at most one of them. Each active filter becomes a boolean column of that CTE. With a
   search, PostgreSQL reads these rows from the narrow search table (catalog/models/search.py),
   a third of the component row's width, whose rows carry their tag ids.
2. One statement groups the CTE by each facet (UNION ALL of GROUP BYs, which PostgreSQL runs
   faster here than GROUPING SETS: 6 hash keys per row cost more than 6 narrow passes over a
   materialized set), each over only the rows that pass every filter *but the facet's own*.
   The same statement counts the whole view's matches, which the page shows as its exact total.
   Over a kept CTE, the four facets with a handful of values and the total share one pass: a
   group per combination of their values and of the counts the row belongs to, summed in
   Python (a few hundred groups).
3. The labelled result is cached under the catalog version (catalog/models/version.py), which
   the database changes with every catalog write, so a cached count is never stale. The
   unfiltered view and the single-filter views, the ones most people open, are computed once
   per catalog change; a view with a search is computed on demand, narrowed by its search.
"""

import hashlib
import json
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper, F, Q, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.db.models.lookups import In

from catalog import search_index, versioning
from catalog.choices import Tier
from catalog.filtersets import FACETS, ComponentFilterSet, facet_q, search_q, search_words
from catalog.models import Component, ComponentSearch, System, Tag, Team
from catalog.planner import planner_settings

# Facets with many possible values show the biggest ones; selected values are always shown.
MAX_OPTIONS = 12
# Views without a search are few (each filter value, each team) and kept until the catalog
# changes; a searched view is kept briefly, so one-off searches do not fill the cache.
CACHE_SECONDS = 6 * 3600
SEARCH_CACHE_SECONDS = 600
TIER_LABELS = dict(Tier.choices)
# A search's page of ids on PostgreSQL, chosen by its exact number of matches (the planner,
# misled by the trigram index's estimates, often picks badly): with at most this many, the
# counting statement also returns the matches' ids, cached with the counts, and the page is
# those ids in order; with more, the component table's ordered index is walked until a page of
# matches turns up (about page end × catalog / matches rows), the planner told not to sort.
IDS_MAX = 2_000
WALK_SETTINGS = {"enable_bitmapscan": "off", "enable_sort": "off"}
# The count of a search: the search table's copies are compared as they are, so PostgreSQL
# estimates the kept rows right, and for tens of thousands it would then read them without
# parallel workers and sort them to group the few-valued facets (a hash costs less). Paired at
# 1,000,000, 'fraud' + production services: 968 ms median as PostgreSQL plans it, 643 ms so.
COUNT_SETTINGS = {"parallel_tuple_cost": "0", "enable_sort": "off"}
# Each facet's column on the component row (owner, system and tag are counted by id).
COLUMNS = {
    "owner": "owner_id",
    "system": "system_id",
    "type": "type",
    "lifecycle": "lifecycle",
    "tier": "tier",
    "language": "language",
}
# The facets with a handful of values each, counted together in one GROUP BY when the counted
# rows are kept (_count_sql); owner, system and tag have hundreds to thousands of values.
FEW_VALUES = ("type", "lifecycle", "tier", "language")


@dataclass(frozen=True)
class View:
    """What the counts depend on: the scope (team names or None for all), search words, and the
    active facet filters."""

    teams: tuple[str, ...] | None
    words: tuple[str, ...]
    filters: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def of(cls, teams: list[str] | None, query: str, active: dict[str, list]) -> "View":
        return cls(
            tuple(sorted(teams)) if teams is not None else None,
            tuple(search_words(query or "")),
            tuple((name, tuple(active[name])) for name in FACETS if active.get(name)),
        )

    def key(self, version: int) -> str:
        digest = hashlib.sha256(json.dumps([self.teams, self.words, self.filters]).encode())
        return f"catalog-facets:{version}:{digest.hexdigest()[:32]}"


def _condition(view: View) -> Q:
    condition = Q()
    if view.teams is not None:
        condition &= facet_q("owner", list(view.teams))
    if view.words:
        condition &= search_q(" ".join(view.words))
    return condition


def _at_most_one_failing(conditions: dict[str, Q]) -> Q:
    """Rows that pass every condition but at most one: the only rows any count can include."""
    if len(conditions) < 2:
        return Q()
    names = list(conditions)
    either = Q()
    for left_out in names:
        rest = Q()
        for name in names:
            if name != left_out:
                rest &= conditions[name]
        either |= rest
    return either


def _narrow(view: View, vendor: str) -> bool:
    """A search on PostgreSQL reads the narrow search table (catalog/models/search.py): the same
    columns under the same names, so the same filter code applies, plus each row's tag ids as an
    array, at a third of the component row's width. Without a search the component table's
    own indexes answer each facet (an index-only scan per GROUP BY) faster."""
    return vendor == "postgresql" and bool(view.words)


def page_source(view: View, counted: dict, vendor: str) -> tuple[list | None, dict[str, str]]:
    """How to read a page of this view's ids: (every match's id, or None to query them) and the
    planner settings for that query."""
    if not _narrow(view, vendor):
        return None, {}
    if counted.get("ids") is not None:
        return counted["ids"], {}
    return None, WALK_SETTINGS


def _counted_rows(view: View, vendor: str) -> tuple[str, list]:
    """The CTE's SELECT: every row that can count, its facet columns and one flag per filter."""
    narrow = _narrow(view, vendor)
    conditions = {name: facet_q(name, list(values), narrow) for name, values in view.filters}
    rows = (ComponentSearch if narrow else Component).objects.filter(_condition(view))
    rows = rows.filter(_at_most_one_failing(conditions)).order_by()
    rows = rows.annotate(
        **{f"f_{name}": F(column) for name, column in COLUMNS.items()},
        **{
            f"m_{name}": ExpressionWrapper(condition, output_field=BooleanField())
            for name, condition in conditions.items()
        },
        **({"f_tags": F("tag_ids"), "id": F("pk")} if narrow else {}),
    )
    rows = rows.values(
        "id",
        *(["f_tags"] if narrow else []),
        *[f"f_{n}" for n in COLUMNS],
        *[f"m_{n}" for n in conditions],
    )
    sql, params = rows.query.sql_with_params()
    return sql, list(params)


def _passes(view: View, except_facet: str | None = None) -> str:
    flags = [f"m_{name}" for name, _ in view.filters if name != except_facet]
    return " AND ".join(f"m.{flag}" for flag in flags) or "1 = 1"


def _count_sql(view: View, vendor: str) -> tuple[str, list]:
    # Every name put into this SQL is one of the module's own constants; values are parameters.
    inner, params = _counted_rows(view, vendor)
    # Rows narrowed by a search or by two or more filters are read once and kept; a view over
    # (nearly) the whole catalog is cheaper to scan once per facet than to copy first.
    narrowed = bool(view.words) or len(view.filters) >= 2
    materialized = ""
    if vendor == "postgresql":
        materialized = "MATERIALIZED " if narrowed else "NOT MATERIALIZED "
    padding = ", NULL" * len(FEW_VALUES) + ", 0"
    if narrowed:
        # The facets with few values and the total from one pass over the kept rows: a group
        # per combination of their values and of which counts each row belongs to (a bit per
        # count, _counts_for), summed per facet in Python. A pass per facet costs more than the
        # grouping, the kept rows being tens of thousands.
        mask = " + ".join(
            f"CASE WHEN {condition} THEN {1 << bit} ELSE 0 END"
            for bit, condition in enumerate(_counts_for(view))
        )
        values = ", ".join(f"m.f_{name}" for name in FEW_VALUES)
        parts = [
            f"SELECT 'few', NULL, COUNT(*), {values}, {mask} FROM m "  # noqa: S608
            f"GROUP BY {values}, {mask}"
        ]
        grouped = [name for name in COLUMNS if name not in FEW_VALUES]
    else:
        parts = [f"SELECT 'total', '', COUNT(*){padding} FROM m WHERE {_passes(view)}"]  # noqa: S608
        grouped = list(COLUMNS)
    # Each facet groups only the rows that pass every filter but its own (a row failing two
    # filters is not in `m` at all); the total counts the rows that pass them all.
    for name in grouped:
        parts.append(
            f"SELECT '{name}', CAST(m.f_{name} AS TEXT), COUNT(*){padding} "  # noqa: S608
            f"FROM m WHERE {_passes(view, name)} AND m.f_{name} IS NOT NULL GROUP BY m.f_{name}"
        )
    passing = _passes(view, "tag")
    through = Component.tags.through._meta.db_table
    if _narrow(view, vendor):  # each counted row carries its tag ids
        tags = f"SELECT unnest(m.f_tags) AS tag_id FROM m WHERE {passing}"  # noqa: S608
    elif vendor == "postgresql":
        # Each counted row's tags by the (component_id, tag_id) index: PostgreSQL, left to
        # choose, hashes the whole tag table (300,000 rows at 100,000 services) for a few
        # thousand rows.
        tags = (
            f"SELECT t.tag_id FROM m CROSS JOIN LATERAL (SELECT tag_id FROM {through} "  # noqa: S608
            f"WHERE component_id = m.id) t WHERE {passing}"
        )
    else:
        tags = f"SELECT t.tag_id FROM m JOIN {through} t ON t.component_id = m.id WHERE {passing}"  # noqa: S608
    parts.append(
        f"SELECT 'tag', CAST(t.tag_id AS TEXT), COUNT(*){padding} "  # noqa: S608
        f"FROM ({tags}) t GROUP BY t.tag_id"
    )
    if _narrow(view, vendor):  # the matches' ids, if they are few
        matches = _passes(view)
        # Counted up to one more than kept, so a broad search stops after that many rows.
        few_enough = (
            f"(SELECT COUNT(*) FROM (SELECT 1 FROM m WHERE {matches} "  # noqa: S608
            f"LIMIT {IDS_MAX + 1}) up_to) <= {IDS_MAX}"
        )
        parts.append(
            f"SELECT 'id', CAST(m.id AS TEXT), 0{padding} FROM m "  # noqa: S608
            f"WHERE {matches} AND {few_enough}"
        )
    return f"WITH m AS {materialized}({inner}) " + " UNION ALL ".join(parts), params


def _counts_for(view: View) -> list[str]:
    """Which rows each count of the one-pass grouping takes, in bit order: the total (rows
    passing every filter), then each facet of FEW_VALUES (rows passing every filter but its
    own)."""
    return [_passes(view)] + [_passes(view, name) for name in FEW_VALUES]


def _label_maps(by_facet: dict[str, list], selected: dict[str, tuple]) -> dict[str, dict]:
    """{facet: {id: (name, label)}} for the ids shown and the names selected, in one query."""
    models = {"owner": Team, "system": System, "tag": Tag}
    parts = []
    for facet, model in models.items():
        shown = [value for value, _ in by_facet.get(facet, [])[:MAX_OPTIONS]]
        chosen = sorted({value.lower() for value in selected.get(facet, ())})
        if not shown and not chosen:
            continue
        label = F("name") if model is Tag else Coalesce(NullIf("title", Value("")), "name")
        parts.append(
            model.objects.filter(Q(id__in=shown) | Q(In(Lower("name"), chosen)))
            .order_by()
            .annotate(facet=Value(facet), label=label)
            .values_list("facet", "id", "name", "label")
        )
    maps: dict[str, dict] = {facet: {} for facet in models}
    if parts:
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        for facet, pk, name, label in rows:
            maps[facet][str(pk)] = (name, label)
    return maps


def compute(view: View, using: str = "default", version: int | None = None) -> dict:
    """{"total": n, "facets": [{name, label, more, options: [{value, label, count, selected}]}]}.

    A search of a big catalog is counted from the process's search index of catalog `version`
    when it has one (catalog/search_index.py), otherwise by PostgreSQL."""
    narrow = _narrow(view, connections[using].vendor)
    index = search_index.current(using, version) if narrow else None
    if index is not None:
        total, by_facet, matches = index.count(view.teams, view.words, view.filters)
        ids = matches.tolist() if total <= IDS_MAX else []
    else:
        total, by_facet, ids = _count_rows(view, using)
    for options in by_facet.values():
        options.sort(key=lambda option: (-option[1], option[0]))
    selected = dict(view.filters)
    labels = _label_maps(by_facet, selected)
    return {
        "total": total,
        "facets": [_facet(name, by_facet[name], selected, labels) for name in FACETS],
        # Every match's id, for a search with few (_count_sql): its pages need no query of
        # their own, and they are exact for as long as the counts are (the catalog version).
        "ids": ids if narrow and total <= IDS_MAX else None,
    }


def _count_rows(view: View, using: str) -> tuple[int, dict[str, list], list[int]]:
    """(matches, {facet: [(value, count)…]}, the matches' ids when few) counted by the
    database, in one statement (_count_sql)."""
    connection = connections[using]
    sql, params = _count_sql(view, connection.vendor)
    narrow = _narrow(view, connection.vendor)
    with planner_settings(using, COUNT_SETTINGS if narrow else {}), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    total, ids = 0, []
    by_facet: dict[str, list] = {name: [] for name in FACETS}
    few: dict[str, dict] = {name: {} for name in FEW_VALUES}
    for row in rows:  # by index: thousands of rows, most of them padded (_count_sql)
        facet, value, n = row[0], row[1], row[2]
        if facet == "few":  # one group of the one-pass count: add it to each count it is in
            mask = row[-1]
            if mask & 1:
                total += int(n)
            for bit, name in enumerate(FEW_VALUES, 1):
                of_row = row[2 + bit]
                if mask & (1 << bit) and of_row not in ("", None):
                    few[name][str(of_row)] = few[name].get(str(of_row), 0) + int(n)
        elif facet == "total":
            total = int(n or 0)
        elif facet == "id":
            ids.append(int(value))
        elif n and value not in ("", None):
            by_facet[facet].append((value, int(n)))
    for name, counted in few.items():
        by_facet[name].extend(counted.items())
    return total, by_facet, ids


def _facet(name: str, options: list, selected_by_facet: dict, labels: dict) -> dict:
    # Filters compare ignoring case, as the API's do: `type=Service` selects "service".
    selected = {value.lower() for value in selected_by_facet.get(name, ())}
    names = labels.get(name)
    labelled = []
    for value, n in options:
        if names is not None:  # counted by id: shown by name
            if value not in names:
                continue  # neither among the biggest nor selected: not shown
            value, label = names[value]
        elif name == "tier":
            label = TIER_LABELS.get(int(value), f"Tier {value}")
        else:
            label = value
        labelled.append((str(value), str(label), n))
    if name == "tier":  # criticality reads best in its own order, 1 (critical) first
        labelled.sort(key=lambda option: int(option[0]))
    shown = labelled[:MAX_OPTIONS]
    shown += [option for option in labelled[MAX_OPTIONS:] if option[0].lower() in selected]
    present = {option[0].lower() for option in labelled}
    shown += [
        (v, v, 0) for v in sorted(selected_by_facet.get(name, ())) if v.lower() not in present
    ]
    return {
        "name": name,
        "label": ComponentFilterSet.base_filters[name].label,
        "more": max(0, len(options) - len([o for o in shown if o[2]])),
        "options": [
            {"value": v, "label": label, "count": n, "selected": v.lower() in selected}
            for v, label, n in shown
        ],
    }


def counts(view: View, using: str = "default") -> dict:
    """The view's counts, from the cache when the catalog has not changed since they were made.

    The version is read before counting and checked after: if a write committed in between, the
    counts are served but not cached, since they may mix the two versions.
    """
    version = versioning.current()
    if version is None:
        return compute(view, using)
    key = view.key(version)
    found = cache.get(key)
    if found is not None:
        return found
    result = compute(view, using, version)
    if versioning.current() == version:
        cache.set(key, result, SEARCH_CACHE_SECONDS if view.words else CACHE_SECONDS)
    return result


def warm(view: View, using: str = "default") -> bool:
    """Count `view` into the cache unless it is there for the current version already."""
    version = versioning.current()
    if version is None or cache.get(view.key(version)) is not None:
        return False
    counts(view, using)
    return True
