"""The platform admin persona, beside owner/teammate/outsider from tests/conftest.py."""

import pytest

from tests.factories import enroll_totp, make_user


@pytest.fixture
def platform_admin(db):
    """A platform admin: staff and superuser with an authenticator app, as the admin requires."""
    user = make_user("platform", is_staff=True, is_superuser=True)
    enroll_totp(user)
    return user


@pytest.fixture
def platform_client(client, platform_admin):
    client.force_login(platform_admin)
    return client
