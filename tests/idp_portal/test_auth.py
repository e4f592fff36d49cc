"""Sign-in by username or e-mail, sign-out, password reset, and sign-up closed by default."""

import pytest
from django.core import mail

from tests.factories import PASSWORD, make_user


@pytest.fixture
def person(db):
    return make_user("dana", email="dana@example.com")


@pytest.mark.parametrize("login", ["dana", "dana@example.com"])
def test_sign_in_by_username_or_email_lands_on_home(client, person, login):
    response = client.post("/accounts/login/", {"login": login, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "What do you want to do?" in response.content.decode()


def test_a_wrong_password_says_so_next_to_the_form(client, person):
    response = client.post("/accounts/login/", {"login": "dana", "password": "nope"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_page_renders_in_the_portal_layout(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert "Sign in to the platform portal" in html
    assert 'href="/accounts/password/reset/"' in html
    assert "Sign up" not in html  # self sign-up is off by default


def test_the_password_field_is_described_by_the_reset_link(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert 'aria-describedby="id_password_helptext"' in html
    assert '<small id="id_password_helptext"><a href="/accounts/password/reset/"' in html


def test_self_sign_up_is_closed_by_default(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "eve",
            "email": "eve@example.com",
            "password1": "Zq8!long-pass",
            "password2": "Zq8!long-pass",
        },
    )
    assert "Sign Up Closed" in response.content.decode()
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="eve").exists()


def test_password_reset_sends_a_link(client, person):
    response = client.post("/accounts/password/reset/", {"email": "dana@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_sign_out_ends_the_session(client, person):
    client.force_login(person)
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


SIGN_IN_PAGE_IN_CHILD = (
    "import django; django.setup();"
    "from django.core.management import call_command; call_command('migrate', verbosity=0);"
    "from django.test import Client;"
    "print(Client(HTTP_HOST='localhost').get('/accounts/login/').content.decode())"
)


def test_sso_providers_come_from_the_environment(tmp_path):
    from tests.helpers import run_portal

    result = run_portal(
        ["-c", SIGN_IN_PAGE_IN_CHILD],
        {
            "DEBUG": "true",
            "IDP_DATA_DIR": str(tmp_path),
            "OIDC_CLIENT_ID": "portal",
            "OIDC_CLIENT_SECRET": "s3cret",
            "OIDC_SERVER_URL": "https://sso.example.com/realms/eng",
            "OIDC_PROVIDER_NAME": "Acme SSO",
            "GITHUB_CLIENT_ID": "gh-id",
            "GITHUB_CLIENT_SECRET": "gh-secret",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "Sign in with Acme SSO" in result.stdout and "Sign in with GitHub" in result.stdout
    assert "/accounts/oidc/sso/login/" in result.stdout and "s3cret" not in result.stdout


def test_without_sso_variables_there_are_no_sso_buttons(client, db):
    assert "Sign in with" not in client.get("/accounts/login/").content.decode()
