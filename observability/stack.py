"""What the observability stack confirms: Prometheus targets and rules, Grafana dashboards,
Loki log streams, Tempo traces. Five GET calls per refresh, whatever the number of services.

Each source is used when its URL is configured; otherwise it is "not connected" and signals
stay "configured" at best. Answers are parsed by pure functions, tested against a loopback
server that answers like the real APIs (tests/observability/stack_server.py).
"""

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from observability import conf

logger = logging.getLogger(__name__)
GRAFANA_PAGE = 5000  # Grafana's largest search page


class StackError(Exception):
    """A source answered badly or not at all; the message is shown as the source's status."""


@dataclass
class StackReport:
    """Per signal, the workloads the stack confirms; per source, a readable status."""

    seen: dict[str, set[str]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def confirms(self, signal: str, workload: str) -> bool:
        return workload in self.seen.get(signal, set())


def get_json(url: str, token: str = "") -> object:
    # Only http(s) URLs reach here: settings.py and conf.py refuse other schemes.
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=conf.STACK_TIMEOUT_SECONDS) as response:  # noqa: S310
            return json.load(response)
    except urllib.error.HTTPError as exc:
        raise StackError(f"HTTP {exc.code} from {url.split('?')[0]}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StackError(f"unreachable: {reason}") from None
    except ValueError:
        raise StackError(f"not JSON from {url.split('?')[0]}") from None


def _prometheus_data(body: object) -> dict:
    if not isinstance(body, dict) or body.get("status") != "success":
        error = (
            body.get("error", "unexpected answer") if isinstance(body, dict) else "not an object"
        )
        raise StackError(f"Prometheus said: {error}")
    return body.get("data") or {}


def parse_targets(body: object) -> set[str]:
    """Services with at least one healthy scrape target (label `service`, health up)."""
    targets = _prometheus_data(body).get("activeTargets") or []
    return {
        t["labels"]["service"]
        for t in targets
        if t.get("health") == "up" and "service" in (t.get("labels") or {})
    }


def parse_rules(body: object) -> set[str]:
    """Services with at least one alerting rule loaded (label `service`)."""
    groups = _prometheus_data(body).get("groups") or []
    return {
        rule["labels"]["service"]
        for group in groups
        for rule in group.get("rules") or []
        if rule.get("type") == "alerting" and "service" in (rule.get("labels") or {})
    }


def parse_dashboards(body: object) -> set[str]:
    """Services with a dashboard tagged service:<name> in Grafana's search results."""
    if not isinstance(body, list):
        raise StackError("Grafana's search did not answer with a list")
    return {
        tag.split(":", 1)[1]
        for item in body
        for tag in item.get("tags") or []
        if tag.startswith("service:")
    }


def parse_label_values(body: object) -> set[str]:
    """Loki's /label/<name>/values: {"status": "success", "data": [...]}."""
    if not isinstance(body, dict) or body.get("status") != "success":
        raise StackError("Loki did not answer with label values")
    return set(body.get("data") or [])


def parse_tag_values(body: object) -> set[str]:
    """Tempo's /api/search/tag/<tag>/values: {"tagValues": [...]}."""
    if not isinstance(body, dict) or not isinstance(body.get("tagValues"), list):
        raise StackError("Tempo did not answer with tag values")
    return {v if isinstance(v, str) else v.get("value", "") for v in body["tagValues"]}


def _grafana_dashboards(base: str) -> set[str]:
    found: set[str] = set()
    for page in range(1, 100):
        query = urllib.parse.urlencode(
            {"type": "dash-db", "tag": "idp-portal", "limit": GRAFANA_PAGE, "page": page}
        )
        body = get_json(f"{base}/api/search?{query}", conf.grafana_token())
        found |= parse_dashboards(body)
        if len(body) < GRAFANA_PAGE:
            break
    return found


def _sources() -> list[tuple[str, str, str, Callable[[str], set[str]]]]:
    """(source, signal, setting, fetch(base URL) -> confirmed workloads)."""
    return [
        (
            "prometheus targets",
            "metrics",
            "PROMETHEUS_URL",
            lambda b: parse_targets(get_json(f"{b}/api/v1/targets?state=active")),
        ),
        (
            "prometheus rules",
            "alerts",
            "PROMETHEUS_URL",
            lambda b: parse_rules(get_json(f"{b}/api/v1/rules?type=alert")),
        ),
        ("grafana", "dashboard", "GRAFANA_URL", _grafana_dashboards),
        (
            "loki",
            "logs",
            "LOKI_URL",
            lambda b: parse_label_values(get_json(f"{b}/loki/api/v1/label/service/values")),
        ),
        (
            "tempo",
            "traces",
            "TEMPO_URL",
            lambda b: parse_tag_values(get_json(f"{b}/api/search/tag/service.name/values")),
        ),
    ]


BASE_URLS = {
    "PROMETHEUS_URL": conf.prometheus_url,
    "GRAFANA_URL": conf.grafana_url,
    "LOKI_URL": conf.loki_url,
    "TEMPO_URL": conf.tempo_url,
}


def observe() -> StackReport:
    """Ask every configured source; one failing source never hides what the others said."""
    report = StackReport()
    for source, signal, setting, fetch in _sources():
        base = conf.strip_slash(BASE_URLS[setting]())
        if not base:
            report.sources[source] = f"not connected: {setting} is not set"
            continue
        try:
            seen = fetch(base)
        except StackError as exc:
            logger.warning("coverage: %s: %s", source, exc)
            report.sources[source] = f"error: {exc}"
            continue
        report.seen[signal] = seen
        report.sources[source] = f"connected: confirms {len(seen)} service(s)"
    return report


def connection_summary() -> dict[str, bool]:
    """Which signals the stack can verify here, without calling it (for pages)."""
    return {signal: bool(BASE_URLS[setting]()) for _source, signal, setting, _fetch in _sources()}
