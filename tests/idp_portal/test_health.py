import json

import pytest

from tests.helpers import run_portal


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: pytest-django raises if the view (or any middleware) queries the database.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == ["database", "broker"]


def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == 405


READYZ_IN_CHILD = (
    "import django, json; django.setup();"
    "from django.test import Client;"
    "r = Client(HTTP_HOST='localhost').get('/readyz');"
    "print(r.status_code); print(r.content.decode())"
)


def test_readyz_names_the_database_when_it_is_down(tmp_path):
    """A real unreachable database (nothing listens on port 1), not a mock."""
    result = run_portal(
        ["-c", READYZ_IN_CHILD],
        {
            "DEBUG": "true",
            "IDP_DATA_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/portal",
        },
    )
    status, body = result.stdout.strip().splitlines()[-2:]
    assert status == "503"
    failing = json.loads(body)["failing"]
    assert set(failing) == {"database"}
    assert "database unreachable" in failing["database"]


def test_readyz_names_the_broker_when_it_is_down(tmp_path):
    result = run_portal(
        ["-c", READYZ_IN_CHILD],
        {
            "DEBUG": "true",
            "IDP_DATA_DIR": str(tmp_path),
            "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        },
    )
    status, body = result.stdout.strip().splitlines()[-2:]
    assert status == "503"
    assert set(json.loads(body)["failing"]) == {"broker"}
