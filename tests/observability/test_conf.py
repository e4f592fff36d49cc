"""Where the observability stack is: settings.py reads the environment variables, conf reads
django.conf.settings when asked (so override_settings changes it)."""

import os
import subprocess
import sys
from pathlib import Path

from django.test import override_settings

from observability import conf, stack

ROOT = Path(__file__).resolve().parents[2]


def settings_value(name: str, **env: str) -> subprocess.CompletedProcess:
    code = f"import idp_portal.settings as s; print(s.{name})"
    environ = {**os.environ, "DEBUG": "true", **env}
    for unset in ("PROMETHEUS_URL", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        if unset not in env:
            environ.pop(unset, None)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True
    )


def test_conf_reads_the_stack_from_django_settings():
    with override_settings(
        PROMETHEUS_URL="https://prometheus.example.com",
        GRAFANA_URL="https://grafana.example.com",
        GRAFANA_TOKEN="token",
        LOKI_URL="http://loki:3100",
        TEMPO_URL="",
    ):
        assert conf.prometheus_url() == "https://prometheus.example.com"
        assert (conf.grafana_url(), conf.grafana_token()) == (
            "https://grafana.example.com",
            "token",
        )
        summary = stack.connection_summary()
    assert summary == {
        "metrics": True, "alerts": True, "dashboard": True, "logs": True, "traces": False,
    }  # fmt: skip


def test_settings_read_the_same_environment_variables():
    result = settings_value("PROMETHEUS_URL", PROMETHEUS_URL="http://prometheus:9090")
    assert result.stdout.strip() == "http://prometheus:9090"
    assert settings_value("PROMETHEUS_URL").stdout.strip() == ""  # unset: not connected
    otlp = settings_value("OTEL_EXPORTER_OTLP_ENDPOINT").stdout.strip()
    assert otlp == conf.DEFAULT_OTLP_ENDPOINT


def test_a_malformed_url_stops_start_up_naming_the_variable():
    result = settings_value("LOKI_URL", LOKI_URL="loki:3100")
    assert result.returncode != 0
    assert "LOKI_URL='loki:3100' must start with one of http, https" in result.stderr
