"""Request ids: one per request, in the response, in every log line, and in the log lines of
the Celery tasks the request sends (through the message header, as a worker receives it)."""

import contextvars
import json
import logging

import pytest
from celery.contrib.testing.mocks import TaskMessage
from celery.signals import before_task_publish
from celery.worker.request import Request
from django.http import HttpResponse
from django.test import RequestFactory

from idp_portal.celery import app as celery_app
from idp_portal.request_ids import NO_REQUEST, RequestIdFilter, RequestIdMiddleware
from tests.helpers import run_portal

TASK_LOGGER = "tests.request_ids.task"


@celery_app.task(name="tests.request_ids.log_a_line")
def log_a_line() -> None:
    logging.getLogger(TASK_LOGGER).info("the task ran")


class Lines(logging.Handler):
    """Keeps each record's request id, as the console handler's filter sets it."""

    def __init__(self):
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.ids: list[str] = []

    def emit(self, record):
        self.ids.append(record.request_id)


@pytest.fixture
def task_lines():
    handler, logger = Lines(), logging.getLogger(TASK_LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)


def test_the_response_returns_the_callers_request_id(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.2")
    assert response["X-Request-ID"] == "lb-7f3a.2"


@pytest.mark.parametrize("unsafe", ["two words", "x" * 65, 'a"}, "level": "forged', "é"])
def test_an_unsafe_request_id_is_replaced_by_a_new_one(client, unsafe):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=unsafe)
    assert response["X-Request-ID"] != unsafe
    assert len(response["X-Request-ID"]) == 32


def test_without_a_header_each_request_gets_its_own_id(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first["X-Request-ID"] != second["X-Request-ID"]


def send_during_a_request(request_id: str) -> dict:
    """Run a request through the middleware whose view sends the task to an in-memory
    broker; the headers of the message published."""
    published = {}

    def capture(headers=None, **kwargs):
        published.update(headers)

    def view(request):
        with celery_app.connection_for_write("memory://") as conn, conn.Producer() as producer:
            log_a_line.apply_async(producer=producer)
        return HttpResponse()

    before_task_publish.connect(capture, weak=False)
    try:
        request = RequestFactory().get("/", HTTP_X_REQUEST_ID=request_id)
        RequestIdMiddleware(view)(request).close()
    finally:
        before_task_publish.disconnect(capture)
    return published


def run_as_worker(headers: dict) -> None:
    """Execute the message as a worker does (protocol 2 headers become the task's request),
    in a fresh context so nothing of the sender's context variables leaks in."""
    extra = {k: v for k, v in headers.items() if k not in {"id", "task", "shadow"}}
    message = TaskMessage(headers["task"], id=headers["id"], **extra)
    contextvars.Context().run(Request(message, app=celery_app).execute)


@pytest.mark.django_db  # closing the response closes old database connections
def test_a_task_sent_during_a_request_logs_with_the_requests_id(task_lines):
    headers = send_during_a_request("req-42")
    assert headers["request_id"] == "req-42"
    run_as_worker(headers)
    assert task_lines.ids == ["req-42"]


def test_a_task_sent_outside_any_request_gets_an_id_of_its_own(task_lines):
    headers = {"id": "t-1", "task": log_a_line.name}
    run_as_worker(headers)
    [task_id] = task_lines.ids
    assert task_id != NO_REQUEST and len(task_id) == 32


@pytest.mark.django_db
def test_an_eager_task_keeps_the_id_of_the_request_it_runs_in(task_lines):
    def view(request):
        log_a_line.apply()
        return HttpResponse()

    RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="eager-1")).close()
    assert task_lines.ids == ["eager-1"]


def test_json_log_lines_carry_the_request_id(tmp_path):
    """The configured console handler (LOG_FORMAT=json) writes the 404 warning of a request
    as one JSON object with the id the caller sent."""
    code = (
        "import django; django.setup();"
        "from django.test import Client;"
        "Client().get('/no-such-page/', HTTP_X_REQUEST_ID='trace-me-1')"
    )
    result = run_portal(
        ["-c", code],
        {"DEBUG": "true", "LOG_FORMAT": "json", "IDP_DATA_DIR": str(tmp_path),
         "ALLOWED_HOSTS": "testserver"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    [not_found] = [line for line in lines if line["logger"] == "django.request"]
    assert not_found["request_id"] == "trace-me-1"
    assert not_found["level"] == "WARNING" and "Not Found" in not_found["message"]
    assert {"timestamp", "level", "logger", "message", "request_id"} <= set(not_found)


def test_an_unknown_log_format_stops_start_up(tmp_path):
    result = run_portal(
        ["check"], {"DEBUG": "true", "LOG_FORMAT": "xml", "IDP_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode == 2
    assert "LOG_FORMAT='xml' is not a format: use json or text" in result.stderr
