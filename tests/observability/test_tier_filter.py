"""The tier filter of the coverage page and API reads the service's tier today, not the copy
the last coverage refresh made (which only orders the page)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Component
from observability import services
from observability.models import ServiceCoverage
from tests.factories import make_component

PAGE = reverse("observability:index")
API = reverse("observability_api:coverage")


@pytest.fixture
def promoted(personas):
    """`ledger` was tier 3 at the last refresh and is tier 1 now; `checkout` stayed tier 1."""
    make_component("checkout", owner=personas.team, tier=1)
    ledger = make_component("ledger", owner=personas.team, tier=3)
    make_component("crawler", owner=personas.team, tier=3)
    services.refresh_coverage()
    Component.objects.filter(pk=ledger.pk).update(tier=1)
    assert ServiceCoverage.objects.get(component=ledger).tier == 3  # the copy is behind
    return ledger


def page_names(client, query) -> list[str]:
    response = client.get(PAGE, query)
    assert response.status_code == 200
    return [c.name for c in response.context["page"].object_list]


def api_names(client, query) -> list[str]:
    response = client.get(API, query)
    assert response.status_code == 200
    return [r["service"] for r in response.json()["results"]]


@pytest.mark.parametrize("names", [page_names, api_names])
def test_a_service_is_filtered_by_its_new_tier(owner_client, promoted, names):
    assert sorted(names(owner_client, {"tier": "1"})) == ["checkout", "ledger"]
    assert names(owner_client, {"tier": "3"}) == ["crawler"]


@pytest.mark.parametrize("names", [page_names, api_names])
def test_the_new_tier_applies_with_the_other_filters(owner_client, promoted, names):
    query = {"tier": "1", "team": "payments", "status": "missing"}
    assert sorted(names(owner_client, query)) == ["checkout", "ledger"]


def test_the_count_follows_the_new_tier_too(owner_client, promoted):
    assert owner_client.get(API, {"tier": "1"}).json()["count"] == 2
    assert owner_client.get(API, {"tier": "3"}).json()["count"] == 1


def test_the_tier_filter_costs_no_more_queries_than_no_filter(owner_client, promoted):
    def count(query) -> int:
        owner_client.get(PAGE, query)  # the roll-up is cached per refresh and filter: warm it
        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get(PAGE, query).status_code == 200
        return len(queries)

    assert count({"tier": "1"}) == count({}) == 12
