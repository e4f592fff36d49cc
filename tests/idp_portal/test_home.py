import pytest
from django.urls import reverse

from idp_portal.views import HOME_TASKS


def test_home_asks_what_you_want_to_do_and_links_each_task(owner_client):
    html = owner_client.get("/").content.decode()
    assert "What do you want to do?" in html
    for task in HOME_TASKS:
        assert f'href="{reverse(task["url"])}"' in html


@pytest.mark.parametrize("task", HOME_TASKS, ids=lambda t: t["url"])
def test_each_task_is_one_click_away_and_opens(owner_client, task):
    response = owner_client.get(reverse(task["url"]))
    assert response.status_code == 200


def test_layout_shows_the_user_and_their_teams(owner_client, personas):
    html = owner_client.get("/").content.decode()
    assert "Signed in as <strong>owner</strong>" in html
    assert personas.team.get_absolute_url() in html
    for label in ["Catalog", "Create a service", "Provision", "Observability", "Feedback"]:
        assert f">{label}</a>" in html


def test_someone_without_a_team_is_told_how_to_get_one(client, db):
    from tests.factories import make_user

    client.force_login(make_user("loner"))
    assert "You are not in a team yet" in client.get("/").content.decode()


def test_home_refuses_writes(owner_client):
    assert owner_client.post("/").status_code == 405
