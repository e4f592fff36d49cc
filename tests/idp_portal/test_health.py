import json

import pytest

from tests.helpers import run_portal


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: pytest-django raises if the view (or any middleware) queries the database.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_broker_and_cache(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == ["database", "broker", "cache"]


def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == 405


READYZ_IN_CHILD = (
    "import django, json; django.setup();"
    "from django.test import Client;"
    "r = Client(HTTP_HOST='localhost').get('/readyz');"
    "print(r.status_code); print(r.content.decode())"
)

DOWN_DATABASE = "postgres://nobody@127.0.0.1:1/portal"


def readyz_in_child(tmp_path, code=READYZ_IN_CHILD, **env):
    result = run_portal(["-c", code], {"DEBUG": "true", "IDP_DATA_DIR": str(tmp_path), **env})
    status, body = result.stdout.strip().splitlines()[-2:]
    return int(status), json.loads(body)


def test_readyz_names_the_database_when_it_is_down_but_not_its_address(tmp_path):
    """A real unreachable database (nothing listens on port 1), not a mock."""
    status, body = readyz_in_child(tmp_path, DATABASE_URL=DOWN_DATABASE)
    assert status == 503
    assert body["failing"] == {"database": "unreachable"}


def test_readyz_names_the_broker_when_it_is_down_but_not_its_address(tmp_path):
    status, body = readyz_in_child(tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    assert status == 503
    assert body["failing"] == {"broker": "unreachable"}


def test_readyz_names_the_cache_when_it_is_down_but_not_its_address(tmp_path):
    status, body = readyz_in_child(tmp_path, CACHE_URL="redis://127.0.0.1:1/1")
    assert status == 503
    assert body["failing"] == {"cache": "unreachable"}


def test_readyz_hides_the_error_from_a_signed_in_non_admin(client, db, monkeypatch):
    """The database cannot be down in-process (the session needs it), so the broker is."""
    from idp_portal import views
    from tests.factories import make_user

    monkeypatch.setattr(views, "_check_broker", lambda: "broker unreachable: host 10.0.0.7:6379")
    client.force_login(make_user("dana"))
    assert client.get("/readyz").json()["failing"] == {"broker": "unreachable"}


def test_readyz_shows_the_error_to_a_signed_in_platform_admin(client, db, monkeypatch):
    from idp_portal import views
    from tests.factories import make_user

    monkeypatch.setattr(views, "_check_broker", lambda: "broker unreachable: host 10.0.0.7:6379")
    client.force_login(make_user("root", is_staff=True))
    failing = client.get("/readyz").json()["failing"]
    assert failing == {"broker": "broker unreachable: host 10.0.0.7:6379"}
