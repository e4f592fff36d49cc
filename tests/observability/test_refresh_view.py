"""Refresh now: a platform admin queues the coverage refresh instead of waiting for beat."""

from django.urls import reverse

from observability.tasks import refresh_coverage
from tests.factories import make_user

URL = reverse("observability:refresh")


def test_an_admin_queues_a_refresh_once_committed(client, db, django_capture_on_commit_callbacks):
    client.force_login(make_user("root", is_staff=True))
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(URL)
    assert response.status_code == 302
    assert [c.__self__.name for c in callbacks] == [refresh_coverage.name]


def test_others_may_not(owner_client):
    assert owner_client.post(URL).status_code == 403


def test_it_needs_post(owner_client):
    assert owner_client.get(URL).status_code == 405


def test_the_task_refreshes_and_returns_the_service_count(db):
    assert refresh_coverage() == 0
