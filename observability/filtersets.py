"""What the coverage page's query parameters mean; the JSON API uses the same filterset."""

import operator
from functools import reduce

import django_filters
from django.db.models import Q, QuerySet

from catalog.filtersets import TierFilter, ValuesFilter
from catalog.models import Component
from observability.choices import SIGNALS, SignalStatus
from observability.models import ServiceCoverage


class CoverageFilterSet(django_filters.FilterSet):
    team = ValuesFilter(
        field_name="owner__name",
        label="Team",
        help_text="The owner team, e.g. payments. Repeat the parameter for several teams.",
    )
    system = ValuesFilter(
        field_name="system__name", label="System", help_text="The system the service is part of."
    )
    tier = TierFilter(
        field_name="tier", label="Tier", help_text="Criticality: 1 is the most critical."
    )
    lifecycle = ValuesFilter(
        field_name="lifecycle",
        label="Lifecycle",
        help_text="experimental, production or deprecated.",
    )
    signal = django_filters.ChoiceFilter(
        choices=[(s, s.title()) for s in SIGNALS],
        method="keep",
        label="Signal",
        empty_label="Any signal",
        help_text="Which of the five signals the status applies to; 'any' matches a service "
        "when at least one signal has that status.",
    )
    status = django_filters.ChoiceFilter(
        choices=SignalStatus.choices,
        method="filter_status",
        label="Status",
        empty_label="Any status",
        help_text="missing: no bundle; configured: the bundle is in GitOps; verified: the "
        "observability stack confirms it.",
    )

    class Meta:
        model = Component
        fields: list[str] = []

    def keep(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs  # read by filter_status

    # Where a service's five signals are, seen from this filterset's model.
    signals_prefix = "observability_coverage__"

    def filter_status(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        """Conditions on the service's own coverage row; a service never refreshed has no row,
        so it counts as missing everywhere."""
        if not value:
            return qs
        signal = self.form.cleaned_data.get("signal")
        signals = [signal] if signal else list(SIGNALS)
        if value == SignalStatus.MISSING and not signal:
            # Some signal missing: fewer than five present (the refresh counts them), which
            # the index coverage_order answers without reading five columns of every row.
            matches = Q(**{f"{self.signals_prefix}signals_present__lt": len(SIGNALS)})
        else:
            matches = reduce(operator.or_, (Q(**{self.signals_prefix + s: value}) for s in signals))
        if value == SignalStatus.MISSING and self.signals_prefix:
            matches |= Q(observability_coverage__isnull=True)
        return qs.filter(matches)


class CoverageRowFilterSet(CoverageFilterSet):
    """The same filters, same parameters, on the coverage rows themselves: the page's order
    is an index on that table (querysets.coverage_order), which a query starting from the
    services cannot use. Every filter reads the service as it is now, tier included: a
    service whose tier changed since the last refresh is filtered by its new tier."""

    team = ValuesFilter(field_name="component__owner__name")
    system = ValuesFilter(field_name="component__system__name")
    # Today's tier, not the row's copy: the copy (as of the last refresh) only orders the
    # page, through the index coverage_order, so a service whose tier changed since sorts by
    # its old tier until the next refresh but is never filtered in or out by it. The price:
    # PostgreSQL joins the tier's services (their tier index) to the rows and sorts the match
    # instead of reading one range of coverage_order; which rows' copies are stale cannot be
    # known without reading them all.
    tier = TierFilter(field_name="component__tier")
    lifecycle = ValuesFilter(field_name="component__lifecycle")
    signals_prefix = ""

    class Meta:
        model = ServiceCoverage
        fields: list[str] = []


FILTER_KEYS = ("team", "system", "tier", "lifecycle", "signal", "status")
