"""Sign-ins, sign-outs and failed sign-ins through the real sign-in page are in the trail."""

import pytest

from idp_portal.models import AuditEvent
from tests.factories import PASSWORD, make_user


@pytest.fixture
def person(db):
    return make_user("dana", email="dana@example.com")


def test_a_successful_sign_in_is_recorded(client, person):
    response = client.post("/accounts/login/", {"login": "dana", "password": PASSWORD})
    assert response.status_code == 302
    (event,) = AuditEvent.objects.filter(action="auth.login")
    assert (event.actor, event.actor_name, event.outcome) == (person, "dana", "ok")
    assert (event.via, event.ip) == ("web", "127.0.0.1")


def test_a_failed_sign_in_records_the_name_tried_but_never_the_password(client, person):
    response = client.post("/accounts/login/", {"login": "dana", "password": "s3cret-guess"})
    assert response.status_code == 200
    (event,) = AuditEvent.objects.filter(action="auth.login_failed")
    assert (event.actor, event.actor_name, event.outcome) == (None, "dana", "failed")
    assert not AuditEvent.objects.filter(action="auth.login").exists()
    stored = " ".join(
        str(v) for v in AuditEvent.objects.values_list("detail", "before", "after", "actor_name")
    )
    assert "s3cret-guess" not in stored


def test_a_failed_sign_in_by_email_records_the_email_tried(client, person):
    client.post("/accounts/login/", {"login": "dana@example.com", "password": "wrong"})
    (event,) = AuditEvent.objects.filter(action="auth.login_failed")
    assert event.actor_name == "dana@example.com"


def test_a_sign_in_as_nobody_is_recorded_as_failed(client, db):
    client.post("/accounts/login/", {"login": "mallory", "password": "wrong"})
    (event,) = AuditEvent.objects.filter(action="auth.login_failed")
    assert event.actor_name == "mallory"


def test_signing_out_is_recorded(client, person):
    client.force_login(person)
    client.post("/accounts/logout/")
    (event,) = AuditEvent.objects.filter(action="auth.logout")
    assert event.actor == person
