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

    def filter_status(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        """Semi- and anti-joins on the coverage table; a service never refreshed has no row,
        so it counts as missing everywhere."""
        if not value:
            return qs
        signal = self.form.cleaned_data.get("signal")
        signals = [signal] if signal else list(SIGNALS)
        rows = ServiceCoverage.objects.values("component_id")

        def any_is(status: str) -> Q:
            return reduce(operator.or_, (Q(**{s: status}) for s in signals))

        if value == SignalStatus.MISSING:
            return qs.exclude(pk__in=rows.exclude(any_is(SignalStatus.MISSING)))
        return qs.filter(pk__in=rows.filter(any_is(value)))


FILTER_KEYS = ("team", "system", "tier", "lifecycle", "signal", "status")
