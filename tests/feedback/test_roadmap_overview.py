"""The feedback overview: what the section is for and the ways to be heard, by role."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
INDEX = reverse("feedback:index")
EVERYONE = [
    "/feedback/survey/",
    "/feedback/help/",
    "/feedback/friction/new/",
    "/feedback/roadmap/",
    "/feedback/office-hours/",
    "/feedback/survey/results/",  # aggregates, readable by everyone signed in
]
ADMINS = [
    "/feedback/metrics/",
    "/feedback/tickets/",
    "/feedback/pilot/",
    "/feedback/friction/",
]


def test_a_member_sees_the_ways_to_be_heard_but_no_admin_links(owner_client):
    body = owner_client.get(INDEX).content.decode()
    for path in EVERYONE:
        assert f'href="{path}"' in body
    for path in ADMINS:
        assert f'href="{path}"' not in body
    for path in EVERYONE:  # every link a member sees works for them
        assert owner_client.get(path).status_code == 200, path


def test_a_platform_admin_also_sees_metrics_and_triage(platform_client):
    body = platform_client.get(INDEX).content.decode()
    for path in EVERYONE + ADMINS:
        assert f'href="{path}"' in body


def test_the_overview_answers_get_only(owner_client):
    assert owner_client.post(INDEX).status_code == 405
