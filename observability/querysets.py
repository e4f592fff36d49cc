"""Reads behind the coverage page and API, each a fixed number of queries."""

from django.db.models import (
    BooleanField,
    Count,
    F,
    IntegerField,
    PositiveSmallIntegerField,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from catalog.models import Component
from catalog.pagination import CappedPaginator
from observability.choices import SIGNALS, SignalStatus
from observability.filtersets import CoverageRowFilterSet
from observability.models import CoverageRefresh, ServiceCoverage, TeamOnCall


def signals_of(component: Component) -> dict[str, str]:
    """The five statuses of a component loaded by coverage_list (missing if never refreshed)."""
    coverage = getattr(component, "observability_coverage", None)
    return {s: getattr(coverage, s) if coverage else SignalStatus.MISSING.value for s in SIGNALS}


def _sort_keys(qs: QuerySet) -> QuerySet:
    return qs.annotate(
        covered=Coalesce(
            "observability_coverage__fully_covered", Value(False), output_field=BooleanField()
        ),
        present=Coalesce(
            "observability_coverage__signals_present", Value(0), output_field=IntegerField()
        ),
    )


def coverage_list(base: QuerySet | None = None) -> QuerySet:
    """Services with their coverage row, most critical gaps first: tier, then not fully
    covered, then fewest signals present, then name."""
    qs = base if base is not None else Component.objects.all()
    return _sort_keys(qs.select_related("owner", "system", "observability_coverage")).order_by(
        *ORDER
    )


ORDER = ("tier", "covered", "present", "name")
SORT_KEYS = ("sort_tier", "sort_present", "sort_name")


def coverage_order(rows: QuerySet, added: QuerySet) -> QuerySet:
    """(pk, tier, signals present, name) of every service, in one UNION ALL: `rows`, coverage
    rows, sorted by the index coverage_order (copies of tier and name as of the last refresh),
    and `added`, services without a row yet, which count as no signal present. A service is
    fully covered exactly when all five are present, so this is coverage_list's order."""
    refreshed = rows.order_by().values_list("component_id", "tier", "signals_present", "name")
    new = added.order_by().annotate(
        sort_tier=F("tier"),
        sort_present=Cast(Value(0), PositiveSmallIntegerField()),
        sort_name=F("name"),
    )
    return refreshed.union(new.values_list("pk", *SORT_KEYS), all=True)


def _added_since(filterset, after: int) -> QuerySet:
    """Services matching the filter that have no coverage row yet (ids above `after`). Every
    signal of theirs is missing, so a status filter keeps all of them or none: said here
    rather than as a condition on a row they do not have, which the planner cannot see through.
    """
    filterset.is_valid()
    status = getattr(filterset.form, "cleaned_data", {}).get("status")
    if status and status != SignalStatus.MISSING:
        return Component.objects.none()
    data = filterset.data.copy()
    for key in ("signal", "status"):
        data.pop(key, None)
    others = type(filterset)(data, queryset=filterset.queryset).qs
    return others.filter(pk__gt=after, observability_coverage__isnull=True)


class CoveragePaginator(CappedPaginator):
    """Pages of coverage_list in two queries: the page's ids in coverage_order (sorting no more
    than the page), then their rows with their relations.

    `filterset` is a CoverageFilterSet; `after` the last refresh's last_component_id (looked
    up when not given): services above it may have no coverage row yet. The count is capped
    as the catalog's is; the JSON API asks for an exact one (`exact`).
    """

    def __init__(self, filterset, per_page: int, after: int | None = None, exact: bool = False):
        if after is None:
            after = CoverageRefresh.objects.values_list("last_component_id", flat=True).first()
        rows = CoverageRowFilterSet(filterset.data, ServiceCoverage.objects.all()).qs
        added = _added_since(filterset, after or 0)
        self.unordered, self.exact = coverage_order(rows, added), exact
        # The id last: a stable order for services of the same name in two namespaces.
        ordered = self.unordered.order_by("tier", "signals_present", "name", "component_id")
        super().__init__(ordered, per_page)

    def counted(self) -> QuerySet:
        return self.unordered

    def page(self, number):
        """A page, then its rows with their relations; never cut at a capped count."""
        number = self.validate_number(number)
        start = (number - 1) * self.per_page
        ids = [row[0] for row in self.object_list[start : start + self.per_page]]
        rows = coverage_list(Component.objects.filter(pk__in=ids)).in_bulk()
        return self._get_page([rows[pk] for pk in ids], number, self)


def team_rollup(qs: QuerySet) -> list[dict]:
    """Per owner team: services, fully covered, percentage, and whether it has an on-call
    target; least covered first. Two queries."""
    rows = list(
        qs.order_by()
        .values("owner_id", "owner__name", "owner__title", "owner__namespace")
        .annotate(
            total=Count("pk"),
            covered=Count("pk", filter=Q(observability_coverage__fully_covered=True)),
        )
    )
    team_ids = [r["owner_id"] for r in rows if r["owner_id"]]
    on_call = set(TeamOnCall.objects.filter(team_id__in=team_ids).values_list("team_id", flat=True))
    for row in rows:
        row["percent"] = round(100 * row["covered"] / row["total"]) if row["total"] else 0
        row["has_on_call"] = row["owner_id"] in on_call
        row["name"] = row["owner__name"] or ""
        row["title"] = row["owner__title"] or row["owner__name"] or "No owner team"
    return sorted(rows, key=lambda r: (r["percent"], -r["total"], r["name"]))
