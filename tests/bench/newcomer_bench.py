"""The newcomer's time budget: `python -m tests.bench.newcomer_bench --help`.

Journey 1 of tests/e2e/test_journeys.py, timed: a person opens the sign-in page, signs in,
creates a service from a golden path and waits until the page says "<name> is deployed to
staging". The benchmark counts what the person does (clicks, fills, choices, key presses) and
the seconds from the sign-in page to those words, on the whole portal as `make dev` runs it
(tests/e2e/stack.py: web server, Celery worker and beat, moto, local git; free ports; a scratch
data folder), in Debian's Chromium. A benchmark, not an assertion: the figures go to the
"Newcomer journey" section of docs/benchmarks.md with the goal beside them (≤ 10 actions,
≤ 60 s).

With `--screenshots DIR` it also saves the three pictures the README shows: the home page, a
request's live steps and a service page.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEADING = "## Newcomer journey (issue 12)"
GOAL_ACTIONS, GOAL_SECONDS = 10, 60.0
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@dataclass
class Run:
    actions: int
    sign_in_actions: int
    seconds: float
    sign_in_seconds: float
    words_seen: bool
    log: list[str]


def log(message: str) -> None:
    print(message, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.newcomer_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=3, help="journeys to time (default 3)")
    parser.add_argument("--user", default="bob", help="demo user who walks (default bob)")
    parser.add_argument(
        "--screenshots",
        type=Path,
        metavar="DIR",
        help="also save home.png, request.png and service.png into DIR (e.g. docs/screenshots)",
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print the section, leave the docs alone"
    )
    return parser.parse_args(argv)


def walk(browser, stack, user: str, shots: Path) -> tuple[Run, object]:
    """One newcomer journey in a fresh browser context; returns the figures and the page."""
    from tests.e2e.journey import Person, unique, walk_to_staging

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    person = Person(page, stack, user, shots, label=f"bench-{user}")
    name = unique("newcomer")
    started = time.monotonic()
    person.sign_in()
    signed_in, sign_in_actions = time.monotonic(), person.actions
    walk_to_staging(person, name, "Takes card payments for the checkout")
    finished = person.finished_at or time.monotonic()
    run = Run(
        actions=person.actions,
        sign_in_actions=sign_in_actions,
        seconds=finished - started,
        sign_in_seconds=signed_in - started,
        words_seen=not any("in words" in failure for failure in person.failures),
        log=person.log,
    )
    return run, (page, name)


def take_screenshots(page, stack, name: str, folder: Path) -> list[Path]:
    """The README's three pictures: home, the request's live steps, the service page."""
    folder.mkdir(parents=True, exist_ok=True)
    request_url = page.url
    saved = []
    for file, url in (
        ("request.png", request_url),
        ("home.png", f"{stack.url}/"),
        ("service.png", f"{stack.url}/catalog/services/default/{name}/"),
    ):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        path = folder / file
        page.screenshot(path=str(path), full_page=False)
        saved.append(path)
    return saved


def machine() -> str:
    cpus = os.cpu_count() or 0
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpus} CPUs ({model or platform.machine()}){memory}"


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def section(runs: list[Run], stack, browser_version: str, load: tuple, started: datetime) -> str:
    seconds = [r.seconds for r in runs]
    actions = [r.actions for r in runs]
    median_s, median_a = statistics.median(seconds), statistics.median(actions)
    words = all(r.words_seen for r in runs)
    ends = (
        '"<name> is deployed to staging" on the page'
        if words
        else 'the request page showing *Succeeded* (the words "<name> is deployed to staging" '
        "did not appear on this commit)"
    )
    verdict_a = "pass" if median_a <= GOAL_ACTIONS else "over"
    verdict_s = "pass" if median_s <= GOAL_SECONDS else "over"
    rows = "\n".join(
        f"| {i} | {r.actions} ({r.sign_in_actions} to sign in) | {r.seconds:.1f} s "
        f"({r.sign_in_seconds:.1f} s to sign in) | {'yes' if r.words_seen else 'no'} |"
        for i, r in enumerate(runs, 1)
    )
    steps = "; ".join(a for a in runs[0].log if not a.startswith("step "))
    return f"""{HEADING}

Measured {started:%Y-%m-%d %H:%M} UTC on {machine()}, Python {platform.python_version()}, \
Chromium {browser_version}, stack on {stack.backend}; commit {commit()}; load average at the \
start {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}. Reproduce with `make bench-newcomer` \
(options: `BENCH_ARGS="--help"`).

Journey 1 of `tests/e2e/test_journeys.py`, timed: the whole portal as `make dev` runs it \
(`tests/e2e/stack.py`: runserver, a Celery worker and beat, moto, local git repositories, \
on free ports and a scratch data folder), driven in Debian's Chromium by visible labels only. \
A run starts when the sign-in page is open and ends at {ends}. Actions are what the person \
does: clicks, fills, choices and key presses (signing in included).

| Run | Actions | Seconds | Words "deployed to staging" seen |
|---|---|---|---|
{rows}

**Goal** ≤ {GOAL_ACTIONS} actions and ≤ {GOAL_SECONDS:.0f} s: median {median_a:g} actions \
({verdict_a}), median {median_s:.1f} s ({verdict_s}).

The actions of run 1: {steps}.
"""


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not shutil.which(CHROMIUM):
        log(f"no Chromium at {CHROMIUM}: `apt-get install chromium`")
        return 2
    os.environ.setdefault("DEBUG", "true")
    from playwright.sync_api import sync_playwright

    from tests.bench import docs_section
    from tests.e2e.stack import start_stack

    started, load = datetime.now(UTC), os.getloadavg()
    log("starting the portal (migrate, seed_demo, manage.py dev)…")
    clock = time.monotonic()
    stack = start_stack(Path(tempfile.mkdtemp(prefix="idp-newcomer-")))
    log(f"portal at {stack.url} on {stack.backend} in {time.monotonic() - clock:.0f} s")
    runs: list[Run] = []
    shots = Path(tempfile.mkdtemp(prefix="newcomer-shots-"))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            for index in range(args.runs):
                run, (page, name) = walk(browser, stack, args.user, shots)
                runs.append(run)
                log(
                    f"run {index + 1}: {run.actions} actions, {run.seconds:.1f} s "
                    f"(words seen: {run.words_seen})"
                )
                if args.screenshots and index == 0:
                    for path in take_screenshots(page, stack, name, args.screenshots):
                        log(f"saved {path}")
                page.context.close()
            version = browser.version
            browser.close()
    finally:
        stack.stop()
    text = section(runs, stack, version, load, started)
    if args.no_write:
        print(text)
    else:
        log(f"wrote {docs_section.write_section(HEADING, text)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
