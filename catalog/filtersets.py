"""What the catalog's query parameters mean; the list page and the JSON API both use this."""

import django_filters
from django import forms
from django.db.models import QuerySet

from catalog.models import Component


class AnyValuesField(forms.MultipleChoiceField):
    """Repeated parameters (`?owner=a&owner=b`) taken as they are: unknown values match nothing."""

    def valid_value(self, value: str) -> bool:
        return len(value) <= 200


class TierValuesField(AnyValuesField):
    default_error_messages = {"invalid_choice": "Tier %(value)s does not exist: use 1, 2, 3 or 4."}

    def valid_value(self, value: str) -> bool:
        return value in {"1", "2", "3", "4"}


class ValuesFilter(django_filters.MultipleChoiceFilter):
    field_class = AnyValuesField

    def filter(self, qs: QuerySet, value: list[str]) -> QuerySet:
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


class TierFilter(ValuesFilter):
    field_class = TierValuesField


class ComponentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        help_text="Part of a name, title, description or tag, e.g. 'pay' finds payments-api",
    )
    owner = ValuesFilter(field_name="owner__name", label="Owner team")
    system = ValuesFilter(field_name="system__name", label="System")
    type = ValuesFilter(field_name="type", label="Type")
    lifecycle = ValuesFilter(field_name="lifecycle", label="Lifecycle")
    tier = TierFilter(field_name="tier", label="Tier")
    language = ValuesFilter(field_name="language", label="Language")
    tag = ValuesFilter(method="filter_tags", label="Tag")
    sort = django_filters.OrderingFilter(
        fields=(("name", "name"), ("tier", "tier"), ("updated_at", "updated")),
        field_labels={"name": "Name", "tier": "Criticality", "updated_at": "Recently updated"},
        label="Sort by",
    )

    class Meta:
        model = Component
        fields: list[str] = []

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        # Every word must appear somewhere; `search_text` is lower-cased, so LIKE is exact and
        # PostgreSQL answers it from the trigram index (migration 0002).
        for word in value.lower().split()[:8]:
            qs = qs.filter(search_text__contains=word)
        return qs

    def filter_tags(self, qs: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return qs
        # A subquery, not a join: a component with two matching tags must appear once.
        through = Component.tags.through.objects.filter(tag__name__in=value)
        return qs.filter(pk__in=through.values("component_id"))


FACETS = ["owner", "system", "type", "lifecycle", "tier", "language", "tag"]
