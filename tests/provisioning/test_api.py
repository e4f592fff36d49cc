"""POST /api/provisioning/requests and GET /api/provisioning/requests/<id>."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provisioning import engine
from provisioning.models import ProvisionedResource, ProvisioningRequest
from tests.factories import make_component

URL = "/api/provisioning/requests"


def post(client, body, **headers):
    return client.post(URL, json.dumps(body), content_type="application/json", headers=headers)


@pytest.fixture
def api(client, personas, petstore, recording_driver):
    client.force_login(personas.teammate)
    return client


def bucket(**params):
    return {
        "type": "s3-bucket",
        "service": "petstore",
        "environment": "dev",
        "parameters": {"purpose": "assets", **params},
    }


def test_create_returns_201_with_the_plan(api):
    response = post(api, bucket())
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "queued"
    (resource,) = body["plan"]["resources"]
    assert resource["name"] == "payments-petstore-dev-assets"
    assert (
        resource["config"]["versioning"] is True
        and resource["config"]["block_public_access"] is True
    )
    assert set(resource["tags"]) >= {"team", "service", "environment", "cost-center", "managed-by"}


def test_read_state_lists_steps_and_resources(api):
    request_id = post(api, bucket()).json()["id"]
    engine.apply(request_id, "w1")
    body = api.get(f"{URL}/{request_id}").json()
    assert body["state"] == "succeeded" and body["type"] == "s3-bucket"
    assert body["steps"] == [
        {
            "name": "ensure s3-bucket payments-petstore-dev-assets",
            "state": "succeeded",
            "attempts": 1,
            "message": "created s3-bucket payments-petstore-dev-assets",
        }
    ]
    assert (
        body["resources"][0]["provider"] == "aws"
        and body["resources"][0]["tags"]["team"] == "payments"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "nope"}, "type"),
        (bucket(purpose="Has Spaces"), "purpose"),
        (bucket(purpose=""), "purpose"),
        ({**bucket(), "environment": "mars"}, "environment"),
        ({**bucket(), "service": "ghost"}, "service"),
        ({**bucket(), "parameters": [1, 2]}, "parameters"),
        (bucket(lifecycle="forever"), "lifecycle"),
        (
            {
                "type": "queue",
                "service": "petstore",
                "environment": "dev",
                "parameters": {"purpose": "q", "retention_days": 30},
            },
            "retention_days",
        ),
    ],
)
def test_bad_input_gets_400_naming_the_field(api, body, field):
    response = post(api, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors and all(isinstance(m, str) and m for m in errors[field])
    assert not ProvisioningRequest.objects.exists() and not ProvisionedResource.objects.exists()


def test_malformed_json_is_a_clear_400(api):
    response = api.post(URL, "{nope", content_type="application/json")
    assert response.status_code == 400 and "send JSON" in response.json()["errors"]["body"][0]


def test_another_teams_service_is_403(api, personas):
    make_component("indexer", owner=personas.outsider.teams.first())
    response = post(api, {**bucket(), "service": "indexer"})
    assert response.status_code == 403
    assert "only its members" in response.json()["errors"]["service"][0]


def test_idempotency_key_makes_a_double_submit_return_the_first(api):
    first = post(api, bucket(), **{"Idempotency-Key": "abc"})
    second = post(api, bucket(), **{"Idempotency-Key": "abc"})
    assert second.status_code == 201 and second.json()["id"] == first.json()["id"]
    assert ProvisionedResource.objects.count() == 1


def test_a_taken_name_is_409_with_what_to_do(api):
    post(api, bucket())
    response = post(api, bucket())
    assert (
        response.status_code == 409
        and "pick another purpose" in response.json()["errors"]["name"][0]
    )


def test_reading_another_teams_request_is_403(api, client, personas):
    request_id = post(api, bucket()).json()["id"]
    client.force_login(personas.outsider)
    assert client.get(f"{URL}/{request_id}").status_code == 403


def test_reading_an_unknown_request_is_404(api):
    assert api.get(f"{URL}/9999").status_code == 404


def test_signed_out_callers_get_401_json(client, db):
    response = client.post(URL, "{}", content_type="application/json")
    assert response.status_code == 401 and "sign in first" in response.json()["error"]["message"]


def test_wrong_methods(api):
    assert api.get(URL).status_code == 405
    assert api.delete(f"{URL}/1").status_code == 405


TEXT = st.one_of(
    st.text(max_size=70),
    st.sampled_from(
        [
            "",
            "a" * 63,
            "UPPER",
            "a--b",
            "a..b",
            "192.168.0.1",
            "xn--x",
            "sthree-x",
            "x-s3alias",
            "kube-x",
            "../etc",
            "a//b",
            "%2e%2e",
            "x.fifo",
            "\x00",
            "a\nb",
            "pаyments",
            "ａｓｓｅｔｓ",
        ]
    ),
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    type_=st.sampled_from(
        ["s3-bucket", "queue", "kubernetes-namespace", "secrets-path", "postgres-database"]
    ),
    purpose=TEXT,
    extra=st.dictionaries(
        st.sampled_from(
            [
                "fifo",
                "retention_days",
                "size",
                "visibility_timeout",
                "lifecycle",
                "max_receive_count",
                "versioning",
                "backup_retention_days",
            ]
        ),
        st.one_of(st.integers(-10, 100000), st.booleans(), TEXT, st.none()),
        max_size=4,
    ),
)
def test_any_input_is_a_clean_answer_never_a_500_or_half_made(api, type_, purpose, extra):
    before = ProvisionedResource.objects.count(), ProvisioningRequest.objects.count()
    response = post(
        api,
        {
            "type": type_,
            "service": "petstore",
            "environment": "dev",
            "parameters": {"purpose": purpose, **extra},
        },
    )
    assert response.status_code in {201, 400, 409}, response.content
    after = ProvisionedResource.objects.count(), ProvisioningRequest.objects.count()
    if response.status_code == 201:
        body = response.json()
        for resource in body["plan"]["resources"]:
            assert resource["tags"]["team"] == "payments"
        assert after[1] == before[1] + 1
    else:
        assert after == before and response.json()["errors"]
