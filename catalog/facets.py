"""Counts beside each filter option, computed the way faceted search usually works.

A facet's counts apply every *other* active filter, so ticking one owner still shows how many
services the other owners have. One GROUP BY query per facet, whatever the page size.
"""

from django.db import connections
from django.db.models import Count, F, QuerySet
from django.http import QueryDict

from catalog.choices import Tier
from catalog.filtersets import FACETS, ComponentFilterSet
from catalog.models import Component, Tag

# Facets with many possible values show the biggest ones; selected values are always shown.
MAX_OPTIONS = 12
# Counts come from at most this many matching rows: exact for any narrowed-down view, and a
# bounded cost (a GROUP BY over a few thousand rows) when a view matches most of the catalog.
FACET_SAMPLE = 5_000

GROUP_FIELD = {
    "owner": ("owner__name", "owner__title"),
    "system": ("system__name", "system__title"),
    "type": ("type",),
    "lifecycle": ("lifecycle",),
    "tier": ("tier",),
    "language": ("language",),
}
TIER_LABELS = dict(Tier.choices)


def _grouped(qs: QuerySet, value_field: str, label_field: str | None) -> list[tuple]:
    """(value, label, count) rows: GROUP BY over a LIMITed inner select.

    The LIMIT sits inside the grouped query, so the database stops reading after FACET_SAMPLE
    matches instead of joining the whole catalog against a list of ids.
    """
    inner = (
        qs.order_by()
        .exclude(**{f"{value_field}__isnull": True})
        .annotate(facet_value=F(value_field), facet_label=F(label_field or value_field))
        .values("facet_value", "facet_label")[:FACET_SAMPLE]
    )
    sql, params = inner.query.sql_with_params()
    grouped = (
        f"SELECT facet_value, facet_label, COUNT(*) FROM ({sql}) facet_sample "  # noqa: S608
        "GROUP BY facet_value, facet_label ORDER BY 3 DESC, 1 LIMIT %s"
    )
    with connections[qs.db].cursor() as cursor:
        cursor.execute(grouped, [*params, MAX_OPTIONS * 4])
        return cursor.fetchall()


def _counts(field: str, qs: QuerySet) -> list[tuple[str, str, int]]:
    """(value, label, count) for one facet over `qs`, most frequent first."""
    if field == "tag":
        sample = qs.order_by().values("pk")[:FACET_SAMPLE]
        rows = (
            Tag.objects.filter(components__in=Component.objects.filter(pk__in=sample).values("pk"))
            .values("name")
            .annotate(n=Count("components"))
            .order_by("-n", "name")[: MAX_OPTIONS * 4]
        )
        return [(r["name"], r["name"], r["n"]) for r in rows]
    value_field, *label_field = GROUP_FIELD[field]
    rows = [
        {value_field: value, **({label_field[0]: label} if label_field else {}), "n": n}
        for value, label, n in _grouped(qs, value_field, label_field[0] if label_field else None)
    ]
    result = []
    for row in rows:
        value = row[value_field]
        if value in ("", None):
            continue
        label = row[label_field[0]] if label_field and row[label_field[0]] else value
        if field == "tier":
            label = TIER_LABELS.get(value, f"Tier {value}")
        result.append((str(value), str(label), row["n"]))
    return result


def facet_counts(data: QueryDict, base: QuerySet, total: int = 0) -> list[dict]:
    """For each facet: its label, parameter, options {value, label, count, selected}, and
    whether the counts come from a sample (`total` is how many services the view matches)."""
    facets = []
    form_fields = ComponentFilterSet.base_filters
    for field in FACETS:
        others = data.copy()
        others.pop(field, None)
        qs = ComponentFilterSet(others, queryset=base).qs
        selected = data.getlist(field)
        options = _counts(field, qs)
        # A single-valued facet whose counts add up to the sample size was cut short.
        sampled = total > FACET_SAMPLE or (
            field != "tag" and sum(n for _, _, n in options) >= FACET_SAMPLE
        )
        if field == "tier":  # criticality reads best in its own order, 1 (critical) first
            options.sort(key=lambda option: int(option[0]))
        shown = options[:MAX_OPTIONS]
        shown_values = {value for value, _, _ in shown}
        shown += [opt for opt in options[MAX_OPTIONS:] if opt[0] in selected]
        shown += [(v, v, 0) for v in selected if v not in {o[0] for o in options}]
        facets.append(
            {
                "name": field,
                "label": form_fields[field].label,
                "more": max(0, len(options) - len(shown_values)),
                "sampled": sampled,
                "options": [
                    {"value": v, "label": label, "count": n, "selected": v in selected}
                    for v, label, n in shown
                ],
            }
        )
    return facets


def base_queryset() -> QuerySet:
    return Component.objects.all()
