"""/accounts/tokens/: list your own tokens, create one (shown once), revoke."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from idp_portal.models import ApiToken
from idp_portal.tokens import digest_of
from tests.factories import make_token

URL = "/accounts/tokens/"


def create(client, **fields):
    data = {"name": "ci-bot", "scope": "write", "days": "30"} | fields
    return client.post(URL, data)


def test_the_page_is_mounted_before_allauth():
    assert reverse("tokens") == URL


def test_it_lists_only_your_own_tokens(owner_client, personas):
    make_token(personas.owner, name="mine")
    make_token(personas.outsider, name="theirs")
    page = owner_client.get(URL).content.decode()
    assert "mine" in page and "theirs" not in page


def test_creating_shows_the_token_once_with_a_curl_example(owner_client, personas):
    page = create(owner_client).content.decode()
    token = ApiToken.objects.get(user=personas.owner)
    secret = page.split('<code id="new-token">')[1].split("</code>")[0]
    assert digest_of(secret) == token.digest and token.scope == "write"
    assert "curl -X POST http://testserver/api/provisioning/requests" in page
    assert f"Authorization: Bearer {secret}" in page
    assert secret not in owner_client.get(URL).content.decode()


def test_the_created_page_is_not_cached(owner_client):
    assert "no-store" in create(owner_client)["Cache-Control"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"days": ""}, "days", "Enter how many days the token lives"),
        ({"days": "0"}, "days", "Enter at least 1 day"),
        ({"days": "366"}, "days", "Enter at most 365 days"),
        ({"name": ""}, "name", "Give the token a name"),
        ({"scope": "admin"}, "scope", "Choose read or write"),
    ],
)
def test_invalid_input_is_explained_next_to_the_field(owner_client, fields, field, message):
    response = create(owner_client, **fields)
    page = response.content.decode()
    assert message in page.split(f'id="id_{field}-errors"')[1].split("</ul>")[0]
    assert not ApiToken.objects.exists()


def test_every_field_has_a_label_and_help_text(owner_client):
    page = owner_client.get(URL).content.decode()
    for field in ("name", "scope", "days"):
        assert f'<label for="id_{field}">' in page
        assert f'<small id="id_{field}-help">' in page


def test_revoking_your_token_stops_it(owner_client, personas):
    token, _ = make_token(personas.owner)
    response = owner_client.post(reverse("token_revoke", args=[token.pk]))
    assert response.status_code == 302 and response["Location"] == URL
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_revoking_twice_is_a_no_op(owner_client, personas):
    token, _ = make_token(personas.owner)
    owner_client.post(reverse("token_revoke", args=[token.pk]))
    first = ApiToken.objects.get(pk=token.pk).revoked_at
    response = owner_client.post(reverse("token_revoke", args=[token.pk]), follow=True)
    assert "already revoked" in response.content.decode()
    assert ApiToken.objects.get(pk=token.pk).revoked_at == first


def test_revoking_another_persons_token_is_refused_and_audited(outsider_client, personas):
    from idp_portal.models import AuditEvent

    token, _ = make_token(personas.owner)
    response = outsider_client.post(reverse("token_revoke", args=[token.pk]))
    assert response.status_code == 403
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert AuditEvent.objects.filter(action="token.revoke", outcome="denied").exists()


def test_an_unknown_token_is_404(owner_client):
    assert owner_client.post(reverse("token_revoke", args=[9999])).status_code == 404


def test_revoke_needs_post(owner_client, personas):
    token, _ = make_token(personas.owner)
    assert owner_client.get(reverse("token_revoke", args=[token.pk])).status_code == 405


def test_the_page_refuses_other_methods(owner_client):
    assert owner_client.put(URL).status_code == 405


def test_signed_out_people_go_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_user_menu_links_to_the_page(owner_client):
    assert f'<a href="{URL}">API tokens</a>' in owner_client.get("/").content.decode()


def test_the_list_costs_the_same_queries_for_1_or_20_tokens(
    owner_client, personas, django_assert_num_queries
):
    make_token(personas.owner)
    owner_client.get(URL)  # warm the session and per-user caches
    with CaptureQueriesContext(connection) as one:
        owner_client.get(URL)
    for number in range(19):
        make_token(personas.owner, name=f"token-{number}")
    with django_assert_num_queries(len(one)):
        owner_client.get(URL)


def test_the_curl_example_names_one_of_the_users_own_services(client, personas):
    from tests.factories import make_component

    make_component("ledger", owner=personas.team)
    client.force_login(personas.teammate)
    page = client.post(
        "/accounts/tokens/", {"name": "ci", "scope": "write", "days": "30"}
    ).content.decode()
    assert '"service": "ledger"' in page


def test_sending_the_same_form_twice_makes_one_token(owner_client, personas):
    data = {"name": "ci", "scope": "read", "days": "30", "form_key": "abc123"}
    owner_client.post("/accounts/tokens/", data)
    again = owner_client.post("/accounts/tokens/", data, follow=True)
    assert ApiToken.objects.filter(user=personas.owner).count() == 1
    assert "no second token was made" in again.content.decode()
