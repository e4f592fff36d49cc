"""Shared fixtures: the three personas every view is tested with."""

from types import SimpleNamespace

import pytest

from catalog.choices import TeamRole
from tests.factories import add_member, enroll_totp, make_team, make_user

pytest_plugins = ["tests.moto_server"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2's deliberate slowness buys nothing in tests and costs a second per persona."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def team(db):
    return make_team("payments", title="Payments")


@pytest.fixture
def personas(team):
    """owner: lead of `team`; teammate: member of `team`; outsider: in another team."""
    owner, teammate, outsider = make_user("owner"), make_user("teammate"), make_user("outsider")
    add_member(team, owner, TeamRole.LEAD)
    add_member(team, teammate)
    add_member(make_team("search"), outsider)
    return SimpleNamespace(owner=owner, teammate=teammate, outsider=outsider, team=team)


@pytest.fixture
def owner_client(client, personas):
    client.force_login(personas.owner)
    return client


@pytest.fixture
def outsider_client(client, personas):
    client.force_login(personas.outsider)
    return client


@pytest.fixture
def admin_user(db):
    """pytest-django's `admin_user` (and so `admin_client`), with the authenticator app that
    the Django admin requires of every platform admin."""
    user = make_user("admin", is_staff=True, is_superuser=True)
    enroll_totp(user)
    return user


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


@pytest.fixture
def local_git(settings, tmp_path):
    """A fresh local git host in the test's folder: seed_demo writes the portal's own
    observability bundle, which must not land in (or depend on) the checkout's data folder."""
    settings.GIT_HOST = "local"
    settings.GIT_DIR = tmp_path / "git"
    return settings.GIT_DIR
