"""GET /api/schema: an OpenAPI 3.1 description of every JSON endpoint, from the views' own
declarations."""

import pytest
from django.http import JsonResponse
from django.urls import get_resolver, path
from openapi_spec_validator import validate

from idp_portal import openapi
from tests.factories import make_token

URL = "/api/schema"


def undeclared(request):
    return JsonResponse({})


# A URLconf for the test below: an /api/ route whose view declares nothing.
urlpatterns = [path("api/undeclared/<int:pk>", undeclared, name="undeclared")]


@pytest.fixture
def schema(owner_client) -> dict:
    response = owner_client.get(URL)
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_valid_openapi_3_1(schema):
    assert schema["openapi"] == "3.1.0"
    validate(schema)


def test_every_api_route_is_described(schema):
    assert set(schema["paths"]) == {
        "/api/schema",
        "/api/catalog/entities",
        "/api/catalog/entities/by-query",
        "/api/catalog/entities/by-refs",
        "/api/catalog/entities/by-uid/{uid}",
        "/api/catalog/entities/by-name/{kind}/{namespace}/{name}",
        "/api/catalog/entity-facets",
        "/api/provisioning/golden-paths",
        "/api/provisioning/requests",
        "/api/provisioning/requests/{pk}",
        "/api/observability/coverage",
        "/api/metrics/ticket-audit",
        "/api/metrics/platform",
    }
    assert len(schema["paths"]) == len(list(openapi._routes(get_resolver())))


def test_the_catalog_query_and_facets_take_a_predicate_by_post(schema):
    for url in ("/api/catalog/entities/by-query", "/api/catalog/entity-facets"):
        described = schema["paths"][url]
        assert set(described) == {"get", "post"}, url
        body = described["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert "query" in body["properties"], url


def test_a_route_without_a_declaration_fails_loudly():
    with pytest.raises(openapi.MissingDeclaration, match="/api/undeclared/{pk}"):
        openapi.paths(get_resolver(__name__))


def test_path_parameters_come_from_the_route(schema):
    parameters = schema["paths"]["/api/provisioning/requests/{pk}"]["get"]["parameters"]
    assert parameters[0] == {"name": "pk", "in": "path", "required": True,
                             "schema": {"type": "integer", "minimum": 0}}  # fmt: skip


def test_it_declares_bearer_tokens_and_the_session_cookie(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerToken"] == schemes["bearerToken"] | {"type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"]["in"] == "cookie"
    assert schema["security"] == [{"bearerToken": []}, {"sessionCookie": []}]


def test_writes_declare_the_read_only_token_403_and_the_body_limit_413(schema):
    responses = schema["paths"]["/api/provisioning/requests"]["post"]["responses"]
    assert {"201", "400", "401", "403", "409", "413"} <= set(responses)


def test_every_operation_declares_401(schema):
    operations = [op for item in schema["paths"].values() for op in item.values()]
    assert all("401" in op["responses"] for op in operations)


def test_the_schema_needs_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 401 and response.json()["error"]["name"]


def test_a_read_token_reads_the_schema(client, personas):
    _, secret = make_token(personas.teammate)
    response = client.get(URL, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and "paths" in response.json()


def test_an_unknown_api_path_is_a_json_404(owner_client):
    response = owner_client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["name"] == "NotFoundError"
