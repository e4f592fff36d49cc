"""The machine description and the "Catalog (issue 3)" section of docs/benchmarks.md."""

import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

import django
from django.db import connection

from tests.bench import docs_section
from tests.bench.measure import Result

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
HEADING = "## Catalog (issue 3)"
PREAMBLE = docs_section.PREAMBLE


def _proc_value(path: str, key: str) -> str:
    try:
        text = Path(path).read_text()
    except OSError:
        return "unknown"
    match = re.search(rf"^{key}\s*:\s*(.+)$", text, re.MULTILINE)
    return match[1].strip() if match else "unknown"


def machine() -> dict[str, str]:
    memory = _proc_value("/proc/meminfo", "MemTotal")
    kib = int(memory.split()[0]) if memory != "unknown" else 0
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        cursor.execute(
            "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) "
            "FROM pg_settings WHERE name = ANY(%s)",
            [["shared_buffers", "work_mem", "random_page_cost", "jit", "autovacuum"]],
        )
        pg_settings = cursor.fetchone()[0]
    return {
        "cpus": str(os.cpu_count()),
        "cpu": _proc_value("/proc/cpuinfo", "model name"),
        "ram": f"{kib / 1024**2:.0f} GiB" if kib else "unknown",
        "postgres": pg_version,
        "pg_settings": pg_settings,
        "load": " / ".join(f"{v:.1f}" for v in os.getloadavg()),
        "python": platform.python_version(),
        "django": django.get_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


def _verdict(result: Result) -> str:
    return {True: "pass", False: "**miss**", None: "—"}[result.passed]


def table(results: list[Result]) -> list[str]:
    lines = [
        "| Measurement | Components | p50 | p95 | SQL queries | Target | Result | Backstage |",
        "|---|---:|---:|---:|---:|---|---|---|",
    ]
    for r in results:
        p50 = f"{r.rate:,.0f} entities/s" if r.rate is not None else _ms(r.p50_ms)
        p95 = "—" if r.rate is not None else _ms(r.p95_ms)
        name = f"{r.name} ({r.note})" if r.note else r.name
        lines.append(
            f"| {name} | {r.size:,} | {p50} | {p95} | {r.queries or '—'} | "
            f"{r.target or '—'} | {_verdict(r)} | {r.reference or '—'} |"
        )
    return lines


def profile_lines(result: Result, top: int = 6) -> list[str]:
    lines = [
        f"Where the time goes in “{result.name}” at {result.size:,} components "
        f"(mean and max per query kind over the profiled requests):",
        "",
        "| Query (literals removed, cut at WHERE) | Runs | Mean | Max |",
        "|---|---:|---:|---:|",
    ]
    for sql, runs, mean, worst in result.profile[:top]:
        text = sql.replace("|", "\\|")
        lines.append(f"| `{text}` | {runs} | {_ms(mean)} | {_ms(worst)} |")
    return lines


def section(
    results: list[Result],
    info: dict[str, str],
    notes: list[str],
    profiled: list[Result],
    command: str,
) -> str:
    lines = [
        HEADING,
        "",
        f"Measured {info['date']} on {info['cpus']} CPUs ({info['cpu']}), {info['ram']} RAM, "
        f"PostgreSQL {info['postgres']} on the same machine ({info['pg_settings']}), "
        f"Python {info['python']}, Django {info['django']}. Load average at the end: "
        f"{info['load']} (1 / 5 / 15 min); figures taken while other work kept CPUs busy say so.",
        "",
        f"Reproduce with `{command}` (see `python -m tests.bench.run --help` for options). "
        "Server time is the wall time of `django.test.Client.get` in-process: middleware, "
        "session, view, SQL and template rendering, no network; DEBUG=false, static files "
        "from a collectstatic manifest, persistent database connection. p50/p95 are over "
        "the stated number of requests after 10 warm-up requests (5 for a batch of 30); SQL "
        "queries is the range over 20 profiled requests (5). The list at 1,000,000 runs 30 "
        "requests per figure, as one can take seconds. Backstage figures are the issue's "
        "reference for a current Backstage at 100,000 entities on the same kind of machine.",
        "",
        *table(results),
        "",
        *[f"- {line}" for line in notes],
    ]
    for result in profiled:
        lines += ["", *profile_lines(result)]
    return "\n".join(lines) + "\n"


def write_section(text: str, path: Path = DOCS) -> None:
    docs_section.write_section(HEADING, text, path)
