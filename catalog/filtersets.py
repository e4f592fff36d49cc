"""What the catalog's query parameters mean; the list page, its counts and the JSON API use this.

`facet_q` and `search_q` are the conditions themselves: the filter set applies them to the list,
and catalog/facets.py evaluates the same conditions per row to count each filter's options.
"""

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from catalog.models import Component, System, Tag, Team

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


def facet_q(facet: str, values: list) -> Q:
    """Components whose `facet` is any of `values` (names for owner, system and tag).

    Teams, systems and tags are matched by id through a subquery rather than a join, so the
    condition reads the component row alone and a component with two matching tags counts once.
    """
    if facet == "owner":
        return Q(owner_id__in=Team.objects.filter(name__in=values).values("id"))
    if facet == "system":
        return Q(system_id__in=System.objects.filter(name__in=values).values("id"))
    if facet == "tag":
        tagged = Component.tags.through.objects.filter(
            tag_id__in=Tag.objects.filter(name__in=values).values("id")
        )
        return Q(pk__in=tagged.values("component_id"))
    return Q(**{f"{facet}__in": values})


class AnyValuesField(forms.MultipleChoiceField):
    """Repeated parameters (`?owner=a&owner=b`) taken as they are: unknown values match nothing."""

    def valid_value(self, value: str) -> bool:
        return len(value) <= 200 and "\x00" not in value


class TierValuesField(AnyValuesField):
    default_error_messages = {"invalid_choice": "Tier %(value)s does not exist: use 1, 2, 3 or 4."}

    def valid_value(self, value: str) -> bool:
        return value in {"1", "2", "3", "4"}


class ValuesFilter(django_filters.MultipleChoiceFilter):
    field_class = AnyValuesField

    def filter(self, qs: QuerySet, value: list[str]) -> QuerySet:
        if not value:
            return qs
        return qs.filter(facet_q(self.field_name, value))


class TierFilter(ValuesFilter):
    field_class = TierValuesField


class ComponentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        help_text="Part of a name, title, description or tag, e.g. 'pay' finds payments-api",
    )
    owner = ValuesFilter(field_name="owner", label="Owner team")
    system = ValuesFilter(field_name="system", label="System")
    type = ValuesFilter(field_name="type", label="Type")
    lifecycle = ValuesFilter(field_name="lifecycle", label="Lifecycle")
    tier = TierFilter(field_name="tier", label="Tier")
    language = ValuesFilter(field_name="language", label="Language")
    tag = ValuesFilter(field_name="tag", label="Tag")
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
