"""The Django admin: signed in through allauth (its rate limits), opened only with TOTP."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.core.cache import cache

from idp_portal.admin_site import MFA_REQUIRED_MESSAGE
from tests.factories import PASSWORD, enroll_totp, make_user


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """allauth counts failed sign-ins in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff(db):
    """A platform admin who has not set up an authenticator app yet."""
    return make_user("root", is_staff=True, is_superuser=True)


def current_code(secret: str) -> str:
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


# --- /admin/login/ --------------------------------------------------------------------------
def test_the_admin_sign_in_page_sends_people_to_the_portals(client, db):
    response = client.get("/admin/login/?next=/admin/catalog/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/catalog/"


def test_opening_the_admin_signed_out_ends_on_the_portals_sign_in(client, db):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=/admin/")
    assert "Sign in to the platform portal" in response.content.decode()


def test_a_post_to_the_admin_sign_in_authenticates_nobody(client, staff):
    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_a_next_pointing_elsewhere_is_replaced_by_the_admin(client, db):
    response = client.get("/admin/login/?next=https://evil.example.com/")
    assert response["Location"] == "/accounts/login/?next=/admin/"


def test_a_signed_in_non_admin_is_told_why_instead_of_looping(client, db):
    client.force_login(make_user("dana"))
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "dana, who is not a platform admin" in response.content.decode()
    assert len(response.redirect_chain) == 1


def test_a_signed_in_admin_on_the_sign_in_page_goes_to_the_admin(admin_client):
    assert admin_client.get("/admin/login/")["Location"] == "/admin/"


def test_the_sixth_wrong_password_is_refused_even_for_the_admin(client, staff):
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": "root", "password": "wrong"})
        assert "not correct" in response.content.decode()
    response = client.post("/accounts/login/", {"login": "root", "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_failed_sign_in_limit_is_per_account_not_shared(client, staff, db):
    make_user("dana")
    for _ in range(5):
        client.post("/accounts/login/", {"login": "root", "password": "wrong"})
    client.post("/accounts/login/", {"login": "dana", "password": PASSWORD})
    assert "_auth_user_id" in client.session


# --- the second factor ----------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/admin/", "/admin/catalog/component/", "/admin/auth/user/1/"])
def test_an_admin_without_totp_is_sent_to_set_it_up_with_the_reason(client, staff, path):
    client.force_login(staff)
    response = client.get(path, follow=True)
    assert response.redirect_chain[0] == ("/accounts/2fa/totp/activate/", 302)
    assert response.status_code == 200
    assert MFA_REQUIRED_MESSAGE in response.content.decode()


def test_a_post_to_the_admin_without_totp_changes_nothing(client, staff):
    client.force_login(staff)
    response = client.post("/admin/auth/user/add/", {"username": "mallory"})
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    assert not type(staff).objects.filter(username="mallory").exists()


def test_an_admin_with_totp_opens_the_admin(admin_client):
    assert admin_client.get("/admin/").status_code == 200


def test_after_setting_up_totp_on_allauths_page_the_admin_opens(client, staff):
    client.post("/accounts/login/", {"login": "root", "password": PASSWORD})
    assert client.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"
    # allauth asks for the password again before changing the sign-in methods.
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    assert re.search(r'<img[^>]+src="data:image/svg\+xml;base64,', page.content.decode())
    secret = client.session[SECRET_SESSION_KEY]
    client.post("/accounts/2fa/totp/activate/", {"code": current_code(secret)})
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    assert client.get("/admin/").status_code == 200


def test_signing_in_with_totp_asks_for_the_code(client, staff):
    secret = enroll_totp(staff)
    response = client.post("/accounts/login/", {"login": "root", "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    response = client.post("/accounts/2fa/authenticate/", {"code": current_code(secret)})
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert client.get("/admin/").status_code == 200


def test_people_who_are_not_admins_need_no_second_factor(client, db):
    client.force_login(make_user("dana"))
    assert client.get("/").status_code == 200


def test_the_user_menu_links_to_two_factor_settings(owner_client):
    assert 'href="/accounts/2fa/"' in owner_client.get("/").content.decode()
