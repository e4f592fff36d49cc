"""GET /api/provisioning/golden-paths and POST /api/provisioning/requests with type "service"."""

import json

import pytest

from provisioning.models import Deployment, ProvisionedResource, ProvisioningRequest, ServiceOrigin
from tests.factories import make_component

URL = "/api/provisioning/requests"


def post(client, body, **headers):
    return client.post(URL, json.dumps(body), content_type="application/json", headers=headers)


def service(**params):
    return {
        "type": "service",
        "service": "checkout",
        "environment": "staging",
        "parameters": {
            "golden_path": "python-http",
            "owner": "payments",
            "description": "Takes card payments",
            **params,
        },
    }


@pytest.fixture
def api(member_client, golden_paths, recording_driver):
    return member_client


def nothing_was_made():
    return not (
        ProvisioningRequest.objects.exists()
        or ServiceOrigin.objects.exists()
        or Deployment.objects.exists()
        or ProvisionedResource.objects.exists()
    )


def test_it_lists_the_published_golden_paths_with_their_parameters(api):
    body = api.get("/api/provisioning/golden-paths").json()
    by_slug = {g["slug"]: g for g in body["golden_paths"]}
    assert set(by_slug) == {"python-http", "node-http"}
    python = by_slug["python-http"]
    assert python["version"] == 1 and python["name"] == "Python HTTP service"
    assert python["description"].startswith("A small HTTP service")
    names = [p["name"] for p in python["parameters"]]
    assert names == ["name", "owner", "description", "port", "python_version"]


def test_only_the_newest_published_version_is_listed(api, python_http):
    python_http.pk, python_http.version, python_http.name = None, 2, "Python v2"
    python_http.save()
    listed = {
        g["slug"]: g for g in api.get("/api/provisioning/golden-paths").json()["golden_paths"]
    }
    assert listed["python-http"]["version"] == 2


def test_a_service_request_is_201_with_its_plan(api):
    response = post(api, service(port=9000))
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "queued"
    assert body["plan"]["golden_path"] == "python-http@1"
    assert (
        "Deploy the first build to staging (commit its image tag to the overlay)"
        in body["plan"]["steps"]
    )
    request = ProvisioningRequest.objects.get(pk=body["id"])
    assert request.type == "service" and request.parameters["port"] == 9000
    assert request.parameters["python_version"] == "3.12"  # the default


def test_the_same_idempotency_key_returns_the_first_request(api):
    first = post(api, service(), **{"Idempotency-Key": "k"}).json()["id"]
    assert post(api, service(), **{"Idempotency-Key": "k"}).json()["id"] == first
    assert ProvisioningRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**service(), "service": "Bad_Name"}, "service"),
        ({**service(), "service": None}, "service"),
        (service(golden_path="cobol"), "golden_path"),
        (service(owner="nobody"), "owner"),
        (service(description=""), "description"),
        (service(port=80), "port"),
        (service(python_version="2.7"), "python_version"),
        ({**service(), "environment": "mars"}, "environment"),
        ({**service(), "parameters": "python-http"}, "parameters"),
    ],
)
def test_bad_input_is_400_naming_the_field(api, body, field):
    response = post(api, body)
    assert response.status_code == 400
    messages = response.json()["errors"][field]
    assert all(isinstance(m, str) and m for m in messages)
    assert nothing_was_made()


def test_another_teams_owner_is_403(api, personas):
    response = post(api, service(owner="search"))
    assert response.status_code == 403
    assert "you are not in team search" in response.json()["errors"]["owner"][0]
    assert nothing_was_made()


def test_a_taken_name_is_409(api, personas):
    make_component("checkout", owner=personas.team)
    response = post(api, service())
    assert response.status_code == 409
    assert "already in the catalog" in response.json()["errors"]["service"][0]


def test_a_name_claimed_by_another_request_is_409(api):
    assert post(api, service()).status_code == 201
    response = post(api, service())
    assert response.status_code == 409
    assert "is being created by team" in response.json()["errors"]["service"][0]
