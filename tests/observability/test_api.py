"""GET /api/observability/coverage: one service, or a filtered, paginated list."""

import pytest
from django.urls import reverse

from tests.factories import make_component, make_team
from tests.observability.factories import make_coverage

URL = reverse("observability_api:coverage")


@pytest.fixture
def services_(personas):
    petstore = make_component("petstore", owner=personas.team, tier=1)
    make_coverage(petstore, default="configured", metrics="verified", alerts="missing")
    make_component("newcomer", owner=personas.team, tier=2)  # never refreshed
    return petstore


def test_one_service_has_its_five_signals(owner_client, services_):
    response = owner_client.get(URL, {"service": "petstore"})
    assert response.status_code == 200
    assert response.json() == {
        "service": "petstore",
        "signals": {
            "logs": "configured", "metrics": "verified", "traces": "configured",
            "dashboard": "configured", "alerts": "missing",
        },
    }  # fmt: skip


def test_a_service_never_refreshed_is_missing_everywhere(owner_client, services_):
    signals = owner_client.get(URL, {"service": "NEWCOMER"}).json()["signals"]
    assert set(signals.values()) == {"missing"}


def test_an_unknown_service_is_a_404_with_a_message(owner_client, services_):
    response = owner_client.get(URL, {"service": "nope"})
    assert response.status_code == 404
    assert response.json() == {
        "error": "no service named 'nope' in the catalog (namespace 'default')"
    }


def test_without_a_service_it_is_a_paginated_list(owner_client, services_):
    body = owner_client.get(URL, {"page_size": 1}).json()
    assert body["count"] == 2
    assert body["previous"] is None
    assert body["next"] == "http://testserver/api/observability/coverage?page_size=1&page=2"
    assert body["results"] == [
        {
            "service": "petstore", "namespace": "default", "team": "payments", "tier": 1,
            "signals": {"logs": "configured", "metrics": "verified", "traces": "configured",
                        "dashboard": "configured", "alerts": "missing"},
            "fully_covered": False,
        }
    ]  # fmt: skip
    second = owner_client.get(body["next"]).json()
    assert [r["service"] for r in second["results"]] == ["newcomer"]
    assert second["next"] is None and second["previous"].endswith("page=1")


def test_the_list_takes_the_pages_filters(owner_client, services_):
    make_component("other", owner=make_team("other"))
    body = owner_client.get(
        URL, {"team": "payments", "signal": "metrics", "status": "verified"}
    ).json()
    assert [r["service"] for r in body["results"]] == ["petstore"]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"tier": "7"}, "tier"), ({"status": "great"}, "status"), ({"page_size": "1001"}, "page"),
     ({"page": "0"}, "page"), ({"page": "x"}, "page"), ({"page": "9"}, "page")],
)  # fmt: skip
def test_bad_parameters_are_a_400_naming_the_parameter(owner_client, services_, query, field):
    response = owner_client.get(URL, query)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_without_a_session_it_is_a_401_json(client, db):
    response = client.get(URL)
    assert response.status_code == 401
    assert "Sign in" in response.json()["error"]


def test_it_only_answers_get(owner_client, db):
    response = owner_client.post(URL)
    assert response.status_code == 405
    assert response["Allow"] == "GET"


def test_an_outsider_reads_coverage_too(outsider_client, services_):
    assert outsider_client.get(URL, {"service": "petstore"}).status_code == 200


def test_the_list_answers_50_by_default(owner_client, personas):
    for number in range(51):
        make_component(f"service-{number:02}", owner=personas.team)
    body = owner_client.get(URL).json()
    assert body["count"] == 51 and len(body["results"]) == 50 and body["next"]


def test_the_list_takes_a_page_size_of_1000(owner_client, services_):
    response = owner_client.get(URL, {"page_size": 1000})
    assert response.status_code == 200 and len(response.json()["results"]) == 2
