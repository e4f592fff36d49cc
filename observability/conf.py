"""Where the observability stack is. Read from Django settings when set there (tests do), else
from the environment, with the same typed readers as idp_portal/settings.py (see README)."""

from django.conf import settings

from idp_portal.env import envstr, envurl

DEFAULT_OTLP_ENDPOINT = "http://otel-collector.observability.svc:4317"
GITOPS_REPOSITORY = "gitops"  # <data>/git/gitops.git, beside the services' manifests
STACK_TIMEOUT_SECONDS = 10  # one HTTP call to Prometheus, Grafana, Loki or Tempo


def _setting(name: str, read) -> str:
    value = getattr(settings, name, None)
    return (read() if value is None else value) or ""


def prometheus_url() -> str:
    example = "http://prometheus.monitoring.svc:9090"
    return _setting("PROMETHEUS_URL", lambda: envurl("PROMETHEUS_URL", {"http", "https"}, example))


def grafana_url() -> str:
    example = "https://grafana.example.com"
    return _setting("GRAFANA_URL", lambda: envurl("GRAFANA_URL", {"http", "https"}, example))


def grafana_token() -> str:
    return _setting("GRAFANA_TOKEN", lambda: envstr("GRAFANA_TOKEN"))


def loki_url() -> str:
    example = "http://loki.monitoring.svc:3100"
    return _setting("LOKI_URL", lambda: envurl("LOKI_URL", {"http", "https"}, example))


def tempo_url() -> str:
    example = "http://tempo.monitoring.svc:3200"
    return _setting("TEMPO_URL", lambda: envurl("TEMPO_URL", {"http", "https"}, example))


def otlp_endpoint() -> str:
    return _setting(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        lambda: envurl(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            {"http", "https"},
            DEFAULT_OTLP_ENDPOINT,
            DEFAULT_OTLP_ENDPOINT,
        ),
    )


def refresh_seconds() -> int:
    """How often beat refreshes coverage (OBSERVABILITY_REFRESH_SECONDS, in settings.py)."""
    entry = getattr(settings, "CELERY_BEAT_SCHEDULE", {}).get("refresh-observability-coverage")
    return int(entry["schedule"]) if entry else 300


def strip_slash(url: str) -> str:
    return url.rstrip("/")
