import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from catalog.models import Team, TeamMembership
from idp_portal.demo import DEMO_PASSWORD
from tests.e2e import stack

pytestmark = pytest.mark.usefixtures("local_git")


@pytest.mark.django_db
def test_seed_demo_creates_the_demo_accounts_and_teams():
    call_command("seed_demo", verbosity=0)
    users = get_user_model().objects
    assert users.get(username="admin").is_superuser
    roles = {
        (m.user.username, m.team.slug, m.role)
        for m in TeamMembership.objects.select_related("user", "team")
    }
    assert {
        ("alice", "payments", "lead"),
        ("bob", "payments", "member"),
        ("carol", "search", "member"),
    } <= roles
    assert users.get(username="bob").check_password("platform-demo")


def test_the_browser_harness_signs_in_with_the_password_seed_demo_sets():
    # tests/e2e/stack.py keeps its own copy: it runs without Django set up (the newcomer
    # benchmark imports it before any settings), so it cannot import idp_portal.demo.
    assert stack.DEMO_PASSWORD == DEMO_PASSWORD


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo", verbosity=0)
    counts = (
        get_user_model().objects.count(),
        Team.objects.count(),
        TeamMembership.objects.count(),
    )
    call_command("seed_demo", verbosity=0)
    assert (
        get_user_model().objects.count(),
        Team.objects.count(),
        TeamMembership.objects.count(),
    ) == counts


@pytest.mark.django_db
def test_a_demo_user_signs_in_and_lands_on_home(client):
    call_command("seed_demo", verbosity=0)
    response = client.post(
        "/accounts/login/", {"login": "alice", "password": "platform-demo"}, follow=True
    )
    html = response.content.decode()
    assert "What do you want to do?" in html and "Payments" in html


@pytest.mark.django_db
def test_migrations_alone_create_no_accounts():
    assert not get_user_model().objects.exists()
