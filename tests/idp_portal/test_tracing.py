"""The portal traces itself only when OTEL_EXPORTER_OTLP_ENDPOINT is in its environment; its
spans (a web request, a Celery task) reach an OTLP/HTTP receiver."""

import json

import pytest

from tests.helpers import run_portal
from tests.idp_portal.otlp_receiver import OtlpReceiver

# A web request and an eager task, then the batched spans are flushed before the child exits.
TRACED_CHILD = """
import django, json
django.setup()
from django.test import Client
from idp_portal import tracing
from idp_portal.celery import app

@app.task(name="tests.tracing.ping")
def ping():
    return "pong"

Client().get("/healthz", HTTP_X_REQUEST_ID="traced-1")
ping.apply()
print(json.dumps({"flushed": tracing.flush()}))
"""

UNTRACED_CHILD = """
import django, json
django.setup()
from django.conf import settings
from opentelemetry import trace
from idp_portal import tracing
print(json.dumps({
    "setup": tracing.setup(),
    "middleware": [m for m in settings.MIDDLEWARE if "opentelemetry" in m],
    "provider": type(trace.get_tracer_provider()).__name__,
    "bundle_endpoint": settings.OTEL_EXPORTER_OTLP_ENDPOINT,
}))
"""


def child_env(tmp_path, **extra) -> dict[str, str]:
    return {"DEBUG": "true", "IDP_DATA_DIR": str(tmp_path), "ALLOWED_HOSTS": "testserver", **extra}


def last_json(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    """One traced child process; the receiver's spans and problems."""
    with OtlpReceiver() as receiver:
        env = child_env(tmp_path_factory.mktemp("traced"), OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url)
        assert last_json(run_portal(["-c", TRACED_CHILD], env)) == {"flushed": True}
    return receiver


def test_a_web_request_arrives_as_a_server_span_of_the_portal(traced):
    assert traced.problems == []
    [(service, name, attributes)] = [s for s in traced.spans if s[1].startswith("GET")]
    assert service == "idp-portal"
    assert name == "GET healthz"
    assert attributes.get("http.route", attributes.get("http.target")) in {"healthz", "/healthz"}
    assert attributes["portal.request_id"] == "traced-1"  # the id of its log lines


def test_a_celery_task_arrives_as_a_span(traced):
    assert ("idp-portal", "run/tests.tracing.ping") in {(s[0], s[1]) for s in traced.spans}


def test_without_the_variable_nothing_is_traced(tmp_path, monkeypatch):
    """The setting keeps its default for services' bundles; the portal itself stays dark."""
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    seen = last_json(run_portal(["-c", UNTRACED_CHILD], child_env(tmp_path)))
    assert seen["setup"] is False and seen["middleware"] == []
    assert seen["provider"] == "ProxyTracerProvider"
    assert seen["bundle_endpoint"] == "http://otel-collector.observability.svc:4317"
