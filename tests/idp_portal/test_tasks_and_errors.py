from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import RequestFactory
from django.utils import timezone

from idp_portal import views
from idp_portal.celery import app
from idp_portal.tasks import clear_expired_sessions


@pytest.mark.django_db
def test_clear_expired_sessions_deletes_only_expired_ones():
    for age in (-1, 1):
        store = SessionStore()
        store["x"] = 1
        store.create()
        Session.objects.filter(session_key=store.session_key).update(
            expire_date=timezone.now() + timedelta(days=age)
        )
    assert clear_expired_sessions() == 1
    assert Session.objects.count() == 1


def test_beat_schedules_a_real_task():
    schedule = app.conf.beat_schedule
    assert schedule["clear-expired-sessions"]["task"] == clear_expired_sessions.name


def test_celery_reliability_settings():
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_soft_time_limit < conf.task_time_limit


def test_not_found_page_says_what_to_do_next(owner_client):
    response = owner_client.get("/no-such-page/")
    assert response.status_code == 404
    assert "search the catalog" in response.content.decode()


def test_server_error_page_renders_without_a_request_context():
    response = views.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "back to the home page" in response.content.decode()


@pytest.mark.django_db
def test_forbidden_page_says_whom_to_ask(rf, personas):
    request = rf.get("/")
    request.user = personas.outsider
    response = views.permission_denied(request)
    assert response.status_code == 403
    body = response.content.decode()
    assert "its team lead can add you to the team" in body and "ask the platform team" in body
