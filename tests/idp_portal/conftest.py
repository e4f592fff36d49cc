"""The platform admin persona, beside owner/teammate/outsider from tests/conftest.py."""

import pytest

from tests.factories import make_user


@pytest.fixture
def platform_admin(db):
    """A platform admin: staff and superuser, as the portal's platform team are."""
    return make_user("platform", is_staff=True, is_superuser=True)


@pytest.fixture
def platform_client(client, platform_admin):
    client.force_login(platform_admin)
    return client
