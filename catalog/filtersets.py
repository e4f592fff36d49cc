"""What the catalog's query parameters mean; the list page, its counts and the JSON API use this.

`facet_q` and `search_q` are the conditions themselves: the filter set applies them to the list,
and catalog/facets.py evaluates the same conditions per row to count each filter's options.
"""

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from catalog.backstage import component_conditions
from catalog.models import Component

# Search matches every one of the first this-many words.
SEARCH_WORDS = 8


def search_words(value: str) -> list[str]:
    return value.lower().split()[:SEARCH_WORDS]


def search_q(value: str) -> Q:
    """Every word must appear somewhere; `search_text` is lower-cased, so LIKE is exact and
    PostgreSQL answers it from the trigram index (migration 0002)."""
    condition = Q()
    for word in search_words(value):
        condition &= Q(search_text__contains=word)
    return condition


# Each of the list's filters is a key of the Backstage query language the API speaks
# (catalog/backstage/component_conditions.py): one definition of what a filter means.
FACET_KEYS = {
    "owner": "spec.owner",
    "system": "spec.system",
    "type": "spec.type",
    "lifecycle": "spec.lifecycle",
    "tier": component_conditions.TIER_KEY,
    "language": component_conditions.LANGUAGE_KEY,
}


def facet_q(facet: str, values: list, narrow: bool = False) -> Q:
    """Components whose `facet` is any of `values` (team, system or tag names, as the list's
    options show them), compiled by the same code as the API's `filter=` and predicates;
    `narrow`: as a condition on the search table (catalog/models/search.py) rather than on the
    component table."""
    if facet == "tag":
        return component_conditions.tags_q(list(values), narrow)
    return component_conditions.component_q(FACET_KEYS[facet], tuple(values), narrow)


class AnyValuesField(forms.MultipleChoiceField):
    """Repeated parameters (`?owner=a&owner=b`) taken as they are: unknown values match nothing."""

    def valid_value(self, value: str) -> bool:
        return len(value) <= 200 and "\x00" not in value


class TierValuesField(AnyValuesField):
    default_error_messages = {"invalid_choice": "Tier %(value)s does not exist: use 1, 2, 3 or 4."}

    def valid_value(self, value: str) -> bool:
        return value in {"1", "2", "3", "4"}


class ValuesFilter(django_filters.MultipleChoiceFilter):
    """Any of the values of one column (other apps' filter sets use it too)."""

    field_class = AnyValuesField

    def filter(self, qs: QuerySet, value: list[str]) -> QuerySet:
        if not value:
            return qs
        return qs.filter(self.condition(value))

    def condition(self, value: list[str]) -> Q:
        return Q(**{f"{self.field_name}__in": value})


class TierFilter(ValuesFilter):
    field_class = TierValuesField


class FacetFilter(ValuesFilter):
    """One of the catalog list's filters, meaning what the API's key means (facet_q)."""

    def condition(self, value: list[str]) -> Q:
        return facet_q(self.field_name, value)


class TierFacetFilter(FacetFilter):
    field_class = TierValuesField


class ComponentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        help_text="Part of a name, title, description or tag, e.g. 'pay' finds payments-api",
    )
    owner = FacetFilter(field_name="owner", label="Owner team")
    system = FacetFilter(field_name="system", label="System")
    type = FacetFilter(field_name="type", label="Type")
    lifecycle = FacetFilter(field_name="lifecycle", label="Lifecycle")
    tier = TierFacetFilter(field_name="tier", label="Tier")
    language = FacetFilter(field_name="language", label="Language")
    tag = FacetFilter(field_name="tag", label="Tag")
    sort = django_filters.OrderingFilter(
        fields=(("name", "name"), ("tier", "tier"), ("updated_at", "updated")),
        field_labels={"name": "Name", "tier": "Criticality", "updated_at": "Recently updated"},
        label="Sort by",
    )

    class Meta:
        model = Component
        fields: list[str] = []

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(search_q(value))

    def active(self) -> dict[str, list]:
        """The valid, non-empty facet filters of this request, values in a stable order."""
        self.form.is_valid()  # validates: invalid values are left out of cleaned_data
        cleaned = self.form.cleaned_data
        return {name: sorted(cleaned[name]) for name in FACETS if cleaned.get(name)}

    def search_text(self) -> str:
        """The search as applied: empty when it was not valid (a NUL character, say)."""
        self.form.is_valid()
        return self.form.cleaned_data.get("q") or ""


FACETS = ["owner", "system", "type", "lifecycle", "tier", "language", "tag"]
