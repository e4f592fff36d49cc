"""What the audit page's query parameters mean; the page and its CSV export share them."""

import datetime

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from idp_portal.models import AuditEvent


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in the portal's time zone, so the `at` index serves it."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


# The browser's date picker sends and expects ISO dates whatever the portal's locale.
DAY = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AuditEventFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        field_name="actor_name",
        label="Who",
        help_text="A username exactly as shown in the list, e.g. dana",
    )
    action = django_filters.CharFilter(
        method="filter_action",
        label="Action",
        help_text="e.g. request.approve; end with a dot for a family, e.g. admin. or auth.",
    )
    team = django_filters.CharFilter(
        field_name="team", label="Team", help_text="The owning team's name, e.g. payments"
    )
    object_type = django_filters.CharFilter(
        field_name="object_type",
        label="Object type",
        help_text="app.model as shown in the list, e.g. provisioning.goldenpath",
    )
    outcome = django_filters.ChoiceFilter(
        choices=AuditEvent.Outcome.choices,
        label="Outcome",
        empty_label="any",
        help_text="Done, refused by the access policy, or failed",
    )
    via = django_filters.ChoiceFilter(
        choices=AuditEvent.Via.choices,
        label="Through",
        empty_label="any",
        help_text="Where it came from: a page, the API, the admin, a command or a worker",
    )
    date_from = django_filters.DateFilter(
        method="filter_from",
        label="From",
        help_text="First day included (UTC), e.g. 2025-01-31",
        widget=DAY,
    )
    date_to = django_filters.DateFilter(
        method="filter_to",
        label="To",
        help_text="Last day included (UTC), e.g. 2025-02-28",
        widget=DAY,
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def filter_action(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if value.endswith("."):
            return qs.filter(action__startswith=value)
        return qs.filter(action=value)

    def filter_from(self, qs: QuerySet, name: str, value: datetime.date) -> QuerySet:
        return qs.filter(at__gte=_start_of(value))

    def filter_to(self, qs: QuerySet, name: str, value: datetime.date) -> QuerySet:
        return qs.filter(at__lt=_start_of(value + datetime.timedelta(days=1)))


FILTERS = ["actor", "action", "team", "object_type", "outcome", "via", "date_from", "date_to"]
