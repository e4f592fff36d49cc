"""Reads behind the coverage page and API, each a fixed number of queries."""

from django.core.paginator import Paginator
from django.db.models import BooleanField, Count, IntegerField, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from catalog.models import Component
from observability.choices import SIGNALS, SignalStatus
from observability.models import TeamOnCall


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


class CoveragePaginator(Paginator):
    """Pages of coverage_list in two steps: sort and slice ids only (narrow rows, so a deep
    page does not sort whole components), then load that page's rows with their relations."""

    def __init__(self, base: QuerySet, per_page: int):
        self.base = base
        ids = _sort_keys(base.order_by()).order_by(*ORDER).values_list("pk", flat=True)
        super().__init__(ids, per_page)

    def _get_page(self, object_list, number, paginator):
        ids = list(object_list)
        rows = coverage_list(Component.objects.filter(pk__in=ids)).in_bulk()
        return super()._get_page([rows[pk] for pk in ids], number, paginator)


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
