"""The catalog list's filters and the Backstage API's filters are one query language: a list
filter means exactly what its API key means, because both compile through the same code
(catalog/backstage/component_conditions.py)."""

from urllib.parse import urlencode

import pytest

from catalog.filtersets import FACET_KEYS
from catalog.models import Component, Team
from tests.factories import make_component, make_system

API = "/api/catalog/entities/by-query"


@pytest.fixture
def catalog(personas):
    search = Team.objects.get(name="search")  # the outsider persona's team
    checkout = make_system("checkout", owner=personas.team)
    make_component("pay-a", owner=personas.team, system=checkout, type="service", tier=1,
                   language="go", lifecycle="production", tags=("pci",))  # fmt: skip
    make_component("pay-b", owner=personas.team, type="Service", tier=2, language="Go",
                   lifecycle="experimental", tags=("pci", "kafka"))  # fmt: skip
    make_component("find", owner=search, system=checkout, type="library", tier=1,
                   language="java", lifecycle="production")  # fmt: skip
    # Owned by a team the catalog does not have (yet): matched by its reference's text.
    Component.objects.create(name="orphan", owner_ref="group:default/ghost", type="service")


def _list(client, **filters) -> list[str]:
    response = client.get("/catalog/?" + urlencode({"view": "all", **filters}, doseq=True))
    assert response.status_code == 200
    return sorted(c.name for c in response.context["page"].object_list)


def _api(client, **filters) -> list[str]:
    conditions = ["kind=component"]
    for facet, values in filters.items():
        key = "metadata.tags" if facet == "tag" else FACET_KEYS[facet]
        conditions += [f"{key}={value}" for value in values]
    # Several values of one key in one filter mean either value, as on the list.
    response = client.get(API, {"filter": ",".join(conditions), "limit": 100})
    assert response.status_code == 200
    return sorted(item["metadata"]["name"] for item in response.json()["items"])


@pytest.mark.parametrize(
    "filters",
    [
        {"owner": ["payments"]},
        {"owner": ["ghost"]},
        {"system": ["checkout"]},
        {"type": ["service"]},
        {"type": ["SERVICE"]},
        {"lifecycle": ["production"], "tier": ["1"]},
        {"language": ["go"]},
        {"tag": ["pci"]},
        {"tag": ["PCI", "kafka"], "owner": ["payments"]},
        {"owner": ["payments", "search"], "tier": ["1"]},
    ],
)
def test_a_list_filter_matches_what_its_api_key_matches(owner_client, catalog, filters):
    listed = _list(owner_client, **filters)
    assert listed == _api(owner_client, **filters)
    assert listed  # every case matches something, so agreeing is not agreeing on nothing


def test_values_compare_ignoring_case_as_in_backstage(owner_client, catalog):
    assert _list(owner_client, type=["service"]) == ["orphan", "pay-a", "pay-b"]
    assert _list(owner_client, language=["GO"]) == ["pay-a", "pay-b"]


def test_a_value_typed_in_another_case_is_shown_selected_with_its_real_count(owner_client, catalog):
    """`?type=SERVICE` matches the three services (stored as "service" twice, "Service" once):
    the options beside it say so and are ticked, with no extra empty "SERVICE" option."""
    page = owner_client.get("/catalog/?view=all&type=SERVICE")
    types = {f["name"]: f for f in page.context["facets"]}["type"]["options"]
    service = sorted(
        (o["value"], o["count"], o["selected"])
        for o in types
        if o["count"] == 0 or o["value"].lower() == "service"
    )
    assert service == [("Service", 1, True), ("service", 2, True)]
    assert page.context["page"].paginator.count == 3
