"""Bearer tokens on the JSON API: who they sign in, what they may do, and what they leave."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from idp_portal import tokens
from idp_portal.models import ApiToken, AuditEvent
from tests.factories import make_token

ENTITIES = "/api/catalog/entities"
REQUESTS = "/api/provisioning/requests"


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def test_only_the_digest_and_a_prefix_are_stored(personas):
    token, secret = make_token(personas.owner)
    assert secret.startswith("idp_") and len(secret) > 40
    row = ApiToken.objects.get(pk=token.pk)
    assert row.digest == tokens.digest_of(secret) and secret not in row.digest
    assert row.prefix == secret[:12]


def test_a_read_token_signs_in_a_get(client, personas):
    _, secret = make_token(personas.owner)
    response = client.get(ENTITIES, headers=bearer(secret))
    assert response.status_code == 200


def test_the_scheme_name_is_case_insensitive(client, personas):
    _, secret = make_token(personas.owner)
    response = client.get(ENTITIES, headers={"Authorization": f"bearer {secret}"})
    assert response.status_code == 200


def test_an_unknown_token_gets_401_saying_what_to_do(client, personas):
    response = client.get(ENTITIES, headers=bearer("idp_not-a-real-token"))
    assert response.status_code == 401
    assert "/accounts/tokens/" in response.json()["error"]["message"]
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_an_expired_token_gets_401(client, personas):
    token, secret = make_token(personas.owner)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(ENTITIES, headers=bearer(secret))
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]


def test_a_revoked_token_gets_401(client, personas):
    token, secret = make_token(personas.owner)
    tokens.revoke_token(personas.owner, token)
    response = client.get(ENTITIES, headers=bearer(secret))
    assert response.status_code == 401 and "revoked" in response.json()["error"]["message"]


def test_a_deactivated_users_token_gets_401(client, personas):
    _, secret = make_token(personas.owner)
    personas.owner.is_active = False
    personas.owner.save()
    assert client.get(ENTITIES, headers=bearer(secret)).status_code == 401


def test_a_read_token_may_not_post(csrf_client, personas):
    _, secret = make_token(personas.owner, scope="read")
    response = csrf_client.post(REQUESTS, {}, content_type="application/json",
                                headers=bearer(secret))  # fmt: skip
    assert response.status_code == 403
    assert "write-scoped token" in response.json()["error"]["message"]


def test_a_read_token_may_look_entities_up_by_reference(csrf_client, personas):
    _, secret = make_token(personas.owner, scope="read")
    response = csrf_client.post(
        f"{ENTITIES}/by-refs", {"entityRefs": []}, content_type="application/json",
        headers=bearer(secret),
    )  # fmt: skip
    assert response.status_code == 200


def test_a_write_token_posts_without_a_csrf_token(csrf_client, personas):
    _, secret = make_token(personas.owner, scope="write")
    response = csrf_client.post(REQUESTS, {"type": "nope"}, content_type="application/json",
                                headers=bearer(secret))  # fmt: skip
    # Past authentication and CSRF: the view itself answers about the body.
    assert response.status_code == 400 and "type" in response.json()["errors"]


def test_a_session_post_still_needs_the_csrf_token(csrf_client, personas):
    csrf_client.force_login(personas.owner)
    response = csrf_client.post(REQUESTS, {"type": "nope"}, content_type="application/json")
    assert response.status_code == 403


def test_sessions_keep_working_for_the_api(client, personas):
    client.force_login(personas.owner)
    assert client.get(ENTITIES).status_code == 200


def test_another_systems_bearer_token_leaves_the_request_to_the_session(client, personas):
    client.force_login(personas.owner)
    assert client.get(ENTITIES, headers=bearer("backstage-jwt.abc")).status_code == 200
    client.logout()
    response = client.get(ENTITIES, headers=bearer("backstage-jwt.abc"))
    assert response.status_code == 401 and "not known" not in response.content.decode()


def test_the_client_address_behind_a_proxy_is_the_one_it_forwarded(client, personas, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    _, secret = make_token(personas.owner, "write")
    client.post(
        REQUESTS,
        "{}",
        content_type="application/json",
        headers={**bearer(secret), "X-Forwarded-For": "203.0.113.7"},
    )
    assert AuditEvent.objects.filter(action="token.use").get().ip == "203.0.113.7"


def test_tokens_do_not_sign_in_pages(client, personas):
    _, secret = make_token(personas.owner)
    response = client.get("/catalog/", headers=bearer(secret))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_token_acts_as_its_user(client, personas):
    _, secret = make_token(personas.outsider, scope="write")
    body = {"type": "s3-bucket", "service": "nope", "environment": "dev",
            "parameters": {"purpose": "assets"}}  # fmt: skip
    client.post(REQUESTS, body, content_type="application/json", headers=bearer(secret))
    event = AuditEvent.objects.filter(action="token.use").get()
    assert event.actor == personas.outsider


def test_use_sets_last_used_at_once_a_minute(client, personas):
    token, secret = make_token(personas.owner)
    client.get(ENTITIES, headers=bearer(secret))
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    client.get(ENTITIES, headers=bearer(secret))
    assert first is not None and ApiToken.objects.get(pk=token.pk).last_used_at == first


def test_use_after_a_minute_moves_last_used_at(client, personas):
    token, secret = make_token(personas.owner)
    earlier = timezone.now() - timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    client.get(ENTITIES, headers=bearer(secret))
    assert ApiToken.objects.get(pk=token.pk).last_used_at > earlier


def test_reads_are_audited_once_an_hour_per_token(client, personas):
    _, secret = make_token(personas.owner)
    for _ in range(3):
        client.get(ENTITIES, headers=bearer(secret))
    events = AuditEvent.objects.filter(action="token.use")
    assert events.count() == 1
    assert events.get().detail == f"GET {ENTITIES}" and events.get().via == "api"


def test_reads_are_audited_again_after_an_hour(client, personas):
    token, secret = make_token(personas.owner)
    client.get(ENTITIES, headers=bearer(secret))
    ApiToken.objects.filter(pk=token.pk).update(
        use_audited_at=timezone.now() - timedelta(hours=1, seconds=1)
    )
    client.get(ENTITIES, headers=bearer(secret))
    assert AuditEvent.objects.filter(action="token.use").count() == 2


def test_writes_are_audited_every_time(client, personas):
    _, secret = make_token(personas.owner, scope="write")
    for _ in range(2):
        client.post(REQUESTS, {}, content_type="application/json", headers=bearer(secret))
    assert AuditEvent.objects.filter(action="token.use", detail=f"POST {REQUESTS}").count() == 2


def test_create_and_revoke_are_audited(personas):
    token, _ = make_token(personas.owner, scope="write")
    tokens.revoke_token(personas.owner, token)
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["token.create", "token.revoke"]


def test_revoking_twice_is_a_no_op(personas):
    token, _ = make_token(personas.owner)
    assert tokens.revoke_token(personas.owner, token) is True
    assert tokens.revoke_token(personas.owner, token) is False
    assert AuditEvent.objects.filter(action="token.revoke").count() == 1


@pytest.mark.parametrize("days", [0, 366])
def test_a_token_lives_one_to_365_days(personas, days):
    with pytest.raises(ValueError, match="1 to 365 days"):
        make_token(personas.owner, days=days)
