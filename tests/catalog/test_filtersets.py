"""One test per filter of the catalog list (NetBox style): what each parameter matches."""

import pytest
from django.http import QueryDict

from catalog.filtersets import ComponentFilterSet
from catalog.models import Component
from tests.factories import make_component, make_system, make_team

pytestmark = pytest.mark.django_db


def names(query: str) -> set[str]:
    filterset = ComponentFilterSet(QueryDict(query), queryset=Component.objects.all())
    assert filterset.is_valid(), filterset.errors
    return {c.name for c in filterset.qs}


@pytest.fixture
def catalog():
    pay, search = make_team("payments"), make_team("search")
    checkout = make_system("checkout")
    make_component(
        "petstore",
        owner=pay,
        system=checkout,
        type="service",
        lifecycle="production",
        tier=1,
        language="python",
        tags=("public", "pci"),
        description="Sells pets",
    )
    make_component(
        "ledger",
        owner=pay,
        type="library",
        lifecycle="experimental",
        tier=2,
        language="go",
        tags=("pci",),
    )
    make_component(
        "indexer",
        owner=search,
        type="worker",
        lifecycle="deprecated",
        tier=4,
        language="java",
        title="Search Indexer",
    )


def test_search_matches_part_of_a_word(catalog):
    assert names("q=ets") == {"petstore"}


def test_search_matches_title_description_and_tags(catalog):
    assert names("q=indexer") == {"indexer"}
    assert names("q=pets") == {"petstore"}
    assert names("q=pci") == {"petstore", "ledger"}


def test_search_is_case_insensitive_and_needs_every_word(catalog):
    assert names("q=SEARCH+Index") == {"indexer"}
    assert names("q=search+pets") == set()


def test_owner_filter_takes_several_teams(catalog):
    assert names("owner=payments") == {"petstore", "ledger"}
    assert names("owner=payments&owner=search") == {"petstore", "ledger", "indexer"}


def test_unknown_owner_matches_nothing(catalog):
    assert names("owner=nobody") == set()


def test_system_filter(catalog):
    assert names("system=checkout") == {"petstore"}


def test_type_filter(catalog):
    assert names("type=library") == {"ledger"}


def test_lifecycle_filter(catalog):
    assert names("lifecycle=deprecated&lifecycle=experimental") == {"indexer", "ledger"}


def test_tier_filter(catalog):
    assert names("tier=1") == {"petstore"}


def test_language_filter(catalog):
    assert names("language=go") == {"ledger"}


def test_tag_filter_lists_a_component_once_with_two_matching_tags(catalog):
    filterset = ComponentFilterSet(
        QueryDict("tag=pci&tag=public"), queryset=Component.objects.all()
    )
    assert sorted(c.name for c in filterset.qs) == ["ledger", "petstore"]


def test_filters_combine_with_and(catalog):
    assert names("owner=payments&language=python&q=pet") == {"petstore"}


def test_sort_by_criticality(catalog):
    filterset = ComponentFilterSet(QueryDict("sort=tier"), queryset=Component.objects.all())
    assert [c.name for c in filterset.qs] == ["petstore", "ledger", "indexer"]
