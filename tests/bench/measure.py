"""Server-side timings of catalog pages, taken in-process through django.test.Client.

The time of one request is the wall time of `client.get`: middleware, session and user
look-ups, the view, every SQL query and template rendering; no network or WSGI server.
Query counts and the per-query profile come from a separate pass under
CaptureQueriesContext, so its bookkeeping never inflates the timings.
"""

import os
import random
import re
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import Component, System, Tag, Team

TERMS = [
    "pay", "payment", "auth", "checkout", "ledger", "kafka", "notif", "search", "order api",
    "fraud", "invoice", "user profile", "recon", "grpc", "billing", "inventory", "token",
    "ship", "report", "wallet", "sub", "risk scoring", "email", "postgres",
]  # fmt: skip
LANGUAGES = ["java", "go", "python", "typescript", "kotlin"]
TYPES = ["service", "library", "website", "worker"]
LIFECYCLES = ["production", "experimental", "deprecated"]
WARMUP = 10
PROFILE_SAMPLE = 20
# Other work on the machine (a test run, a build) skews timings: wait this long for it to stop.
QUIET_WAIT_S = 60


@dataclass
class Result:
    """One row of the figures table."""

    name: str
    size: int
    p50_ms: float | None = None
    p95_ms: float | None = None
    queries: str = ""
    target: str = ""
    reference: str = ""
    note: str = ""
    rate: float | None = None
    profile: list[tuple[str, int, float, float]] = field(default_factory=list)
    slowest_sql: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool | None:
        """Whether the measured figure meets a numeric target ("p95 ≤ 100 ms", "≥ 2,000/s")."""
        if match := re.search(r"p95 ≤ (\d+) ms", self.target):
            return self.p95_ms is not None and self.p95_ms <= int(match[1])
        if match := re.search(r"≥ ([\d,]+)", self.target):
            return self.rate is not None and self.rate >= int(match[1].replace(",", ""))
        return None


def busy_cpus(seconds: float = 1.0) -> float:
    """CPUs kept busy by other processes over `seconds` while this one sleeps (Linux only)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values), idle

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except OSError:
        return 0.0
    cpus = os.cpu_count() or 1
    return cpus * (1 - (idle1 - idle0) / max(1, total1 - total0))


def wait_for_quiet(limit_s: float = QUIET_WAIT_S, threshold: float = 0.3) -> float:
    """Wait until other processes use under `threshold` CPUs (or `limit_s` passes)."""
    deadline = time.monotonic() + limit_s
    busy = busy_cpus()
    while busy > threshold and time.monotonic() < deadline:
        time.sleep(2)
        busy = busy_cpus()
    return busy


def percentile(samples: list[float], pct: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


def timed_gets(
    client: Client, urls: list[str], warmup: int = WARMUP, before_each=None
) -> list[float]:
    """Milliseconds per request, after `warmup` untimed requests; `before_each()` runs untimed
    before every timed request (to empty a cache, say)."""
    for url in urls[:warmup]:
        _get(client, url)
    samples = []
    for url in urls:
        if before_each is not None:
            before_each()
        started = time.perf_counter()
        _get(client, url)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _get(client: Client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}, not 200")
    return response


def _shape(sql: str) -> str:
    """The query with literals removed and cut at WHERE: one key per kind of query."""
    text = re.sub(r"'(?:[^']|'')*'", "?", sql)
    text = re.sub(r"\b\d+\b", "?", text)
    text = re.sub(r"\(\?(?:, \?)*\)", "(…)", text)
    return text.split(" WHERE ")[0][:160]


def profile_queries(client: Client, urls: list[str]) -> tuple[list[int], list, dict[str, str]]:
    """Query counts per request, the query kinds by total time, and one slow SQL per kind."""
    counts, times, slowest = [], defaultdict(list), {}
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            _get(client, url)
        counts.append(len(ctx.captured_queries))
        for query in ctx.captured_queries:
            key, ms = _shape(query["sql"]), float(query["time"]) * 1000
            if not times[key] or ms > max(times[key]):
                slowest[key] = query["sql"]
            times[key].append(ms)
    ranked = sorted(times.items(), key=lambda kv: -sum(kv[1]))
    profile = [(k, len(v), statistics.mean(v), max(v)) for k, v in ranked]
    return counts, profile, slowest


def query_range(counts: list[int]) -> str:
    low, high = min(counts), max(counts)
    return str(low) if low == high else f"{low}–{high}"


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def reconnecting(action, attempts: int = 3):
    """Run `action()`, starting again on a new connection if the server drops this one."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except OperationalError:
            # A restarted server: Django reconnects on the next query once this one is closed.
            connection.close()
            if attempt == attempts:
                raise
            time.sleep(10)


def measure(client: Client, name: str, size: int, urls: list[str], **labels) -> Result:
    """p50/p95 over `urls`; a page that fails is reported in the row, not raised."""
    try:
        return reconnecting(lambda: _measure(client, name, size, urls, **labels))
    except Exception as exc:  # noqa: BLE001 - one broken page must not lose the other figures
        labels["note"] = f"not measured: {str(exc).splitlines()[0][:160]}"
        return Result(name, size, **labels)


def _measure(
    client: Client, name: str, size: int, urls: list[str], before_each=None, **labels
) -> Result:
    # Small batches (the slow 1,000,000 list) profile and warm up on fewer requests.
    share = max(3, len(urls) // 6)
    counts, profile, slowest = profile_queries(client, urls[: min(PROFILE_SAMPLE, share)])
    busy = wait_for_quiet()
    samples = timed_gets(client, urls, warmup=min(WARMUP, share), before_each=before_each)
    if busy > 0.3:
        labels["note"] = f"{labels.get('note', '')}, other load {busy:.1f} CPUs".lstrip(", ")
    return Result(
        name,
        size,
        p50_ms=statistics.median(samples),
        p95_ms=percentile(samples, 95),
        queries=query_range(counts),
        profile=profile,
        slowest_sql=slowest,
        **labels,
    )


class CatalogUrls:
    """Realistic request sets, drawn from the generated catalog with a fixed seed."""

    def __init__(self, seed: int = 7):
        self.rng = random.Random(seed)
        # Generated ids follow popularity: low ids are the big teams, systems and tags.
        self.teams = list(Team.objects.order_by("id").values_list("name", flat=True)[:100])
        self.systems = list(System.objects.order_by("id").values_list("name", flat=True)[:500])
        self.tags = list(Tag.objects.order_by("id").values_list("name", flat=True)[:60])

    def two_filters(self) -> dict[str, object]:
        rng = self.rng
        choices = [
            {"lifecycle": "production", "type": rng.choice(TYPES)},
            {"owner": rng.choice(self.teams), "tier": rng.randint(1, 4)},
            {"language": rng.choice(LANGUAGES), "lifecycle": rng.choice(LIFECYCLES)},
            {"tag": rng.choice(self.tags), "type": rng.choice(TYPES)},
            {"type": "service", "tier": rng.choice([1, 2])},
            {"system": rng.choice(self.systems), "lifecycle": "production"},
        ]
        return rng.choice(choices)

    def search_with_filters(self, n: int, per_page: int = 25) -> list[str]:
        urls = []
        for _ in range(n):
            params = {"q": self.rng.choice(TERMS), **self.two_filters(), "per_page": per_page}
            urls.append(f"/catalog/?{urlencode(params)}")
        return urls

    def deep_pages(self, n: int, size: int, per_page: int = 25) -> list[str]:
        """All services, a page in the second half of the catalog (page 2,000–4,000 of 4,000
        at 100,000), in name order."""
        last = max(1, size // per_page)
        return [
            "/catalog/?" + urlencode({"view": "all", "page": self.rng.randint(last // 2, last)})
            for _ in range(n)
        ]

    def unfiltered(self, n: int, per_page: int = 25) -> list[str]:
        sorts = ["", "-tier", "-updated"]
        return [
            "/catalog/?"
            + urlencode(
                {
                    "view": "all",
                    "sort": self.rng.choice(sorts),
                    "page": self.rng.randint(1, 5),
                    "per_page": per_page,
                }  # fmt: skip
            )
            for _ in range(n)
        ]

    def service_pages(self, n: int) -> list[str]:
        last = Component.objects.order_by("-id").values_list("id", flat=True).first() or 0
        ids = [self.rng.randint(1, last) for _ in range(n)]
        by_id = dict(Component.objects.filter(id__in=ids).values_list("id", "name"))
        return [f"/catalog/services/default/{by_id[i]}/" for i in ids if i in by_id]

    def most_depended_on(self) -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.name, count(*) FROM catalog_dependency d JOIN catalog_component c "
                "ON c.id = d.target_component_id GROUP BY c.name ORDER BY 2 DESC LIMIT 1"
            )
            name, dependents = cursor.fetchone()
        self.top_dependents = dependents
        return f"/catalog/services/default/{name}/"

    def api_pages(self, n: int) -> list[str]:
        filters = [
            "kind=component",
            "kind=component,spec.type=service",
            "kind=component,spec.lifecycle=production",
        ]
        return [
            "/api/catalog/entities/by-query?"
            + urlencode({"limit": 100, "filter": self.rng.choice(filters)})
            for _ in range(n)
        ]
