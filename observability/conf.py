"""Where the observability stack is: read from django.conf.settings (idp_portal/settings.py
reads the environment variables of the same names, see README), at call time, so tests
change them with override_settings."""

from django.conf import settings

from provisioning.git_host import GITOPS_REPOSITORY  # noqa: F401  (the one name, read here)

# Also the default of settings.OTEL_EXPORTER_OTLP_ENDPOINT (bundle.BundleSpec reads it).
DEFAULT_OTLP_ENDPOINT = "http://otel-collector.observability.svc:4317"
STACK_TIMEOUT_SECONDS = 10  # one HTTP call to Prometheus, Grafana, Loki or Tempo


def _setting(name: str) -> str:
    return getattr(settings, name, "") or ""


def prometheus_url() -> str:
    return _setting("PROMETHEUS_URL")


def grafana_url() -> str:
    return _setting("GRAFANA_URL")


def grafana_token() -> str:
    return _setting("GRAFANA_TOKEN")


def loki_url() -> str:
    return _setting("LOKI_URL")


def tempo_url() -> str:
    return _setting("TEMPO_URL")


def otlp_endpoint() -> str:
    return _setting("OTEL_EXPORTER_OTLP_ENDPOINT")


def refresh_seconds() -> int:
    """How often beat refreshes coverage (OBSERVABILITY_REFRESH_SECONDS, in settings.py)."""
    entry = getattr(settings, "CELERY_BEAT_SCHEDULE", {}).get("refresh-observability-coverage")
    return int(entry["schedule"]) if entry else 300


def strip_slash(url: str) -> str:
    return url.rstrip("/")
