"""Golden-path benchmark (issue 5): `python -m tests.bench.golden_path_bench --help`.

Time from "create" to "deployed to staging" under `make dev`'s defaults; target ≤ 30 s p95
over 20 services. A plain script like the other benchmarks here (never part of `make test`).

Steps:
1. Start the portal as `make dev` does (tests/bench/golden_portal.py): a fresh data folder
   var/bench/golden, `manage.py migrate`, `manage.py seed_demo`, `manage.py dev` on free
   loopback ports, without runserver's autoreloader unless --autoreload.
2. Sign in as a demo user (alice, lead of payments) over HTTP.
3. Create N services one after another, alternating the two seeded golden paths, through the
   JSON API (or, with --via wizard, the wizard's form); after each, poll the request until it
   ends. Then, unless --concurrent 0, N more created all at once.
4. Stop the portal (SIGTERM, as Ctrl-C would) and read the portal's own records: when each
   request was claimed, each step's times, when the staging Deployment was committed.
5. Print p50/p95/max and the split of where the time goes; write the "Golden paths (issue 5)"
   section of docs/benchmarks.md (other sections stay).
"""

import argparse
import os
import platform
import shlex
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from tests.bench.golden_client import CreateError, PortalClient, Sample
from tests.bench.golden_portal import ROOT, Portal

DATA_DIR = ROOT / "var" / "bench" / "golden"
GOLDEN_PATHS = ("python-http", "node-http")
ENVIRONMENT = "staging"


def log(message: str) -> None:
    print(message, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.golden_path_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--services", type=int, default=20, help="services created one by one")
    parser.add_argument(
        "--concurrent", type=int, default=20, help="services created all at once after (0: skip)"
    )
    parser.add_argument("--via", choices=["api", "wizard"], default="api", help="how to create")
    parser.add_argument("--user", default="alice", help="demo user to sign in as")
    parser.add_argument("--team", default="payments", help="owner team (the user's)")
    parser.add_argument("--poll", type=float, default=0.25, help="seconds between polls")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait per run")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60,
        help="seconds to wait, before each run, for other load on the machine to settle",
    )
    parser.add_argument(
        "--autoreload",
        action="store_true",
        help="keep runserver's autoreloader, exactly as `make dev` (restarts on every saved file)",
    )
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.services < 1 or args.concurrent < 0:
        parser.error("--services takes 1 or more, --concurrent 0 or more")
    return args


def samples_for(prefix: str, count: int) -> list[Sample]:
    return [
        Sample(f"bench-{prefix}{n:02}", GOLDEN_PATHS[(n - 1) % len(GOLDEN_PATHS)])
        for n in range(1, count + 1)
    ]


def create(client: PortalClient, sample: Sample, args, defaults: dict) -> None:
    """One create call; a refusal is recorded on the sample, not raised."""
    before = client.retries
    try:
        if args.via == "wizard":
            client.create_by_wizard(sample, args.team, defaults[sample.golden_path])
        else:
            client.create_by_api(sample, args.team, ENVIRONMENT)
    except (CreateError, OSError) as exc:
        sample.error, sample.state = str(exc), "not created"
    sample.retries = client.retries - before


def one_by_one(client: PortalClient, args, defaults: dict) -> list[Sample]:
    samples = samples_for("s", args.services)
    for sample in samples:
        create(client, sample, args, defaults)
        client.wait_until_done([sample], args.timeout)
        log(f"  {sample.name}: {sample.state or sample.error} in {sample.observed_s or 0:.1f} s")
    return samples


def all_at_once(client: PortalClient, args, defaults: dict) -> list[Sample]:
    """Every create call sent together (one connection each), then all polled."""
    samples = samples_for("c", args.concurrent)
    start = threading.Barrier(len(samples))

    def send(sample: Sample) -> None:
        own = client.clone()
        start.wait()
        create(own, sample, args, defaults)

    with ThreadPoolExecutor(max_workers=len(samples)) as pool:
        list(pool.map(send, samples))
    client.wait_until_done(samples, args.timeout)
    done = sum(s.state == "succeeded" for s in samples)
    log(f"  {done} of {len(samples)} succeeded")
    return samples


def run(args, portal: Portal) -> tuple[list[tuple[str, list[Sample]]], list[str]]:
    """Steps 2–3: sign in, then each run after waiting for the machine to settle."""
    from tests.bench.measure import wait_for_quiet

    client = PortalClient(portal.url, args.poll)
    client.sign_in(args.user, "platform-demo")
    defaults = client.golden_path_defaults()
    if missing := set(GOLDEN_PATHS) - set(defaults):
        raise SystemExit(f"seed_demo did not publish {', '.join(sorted(missing))}")
    runs, notes = [], []
    plan = [("One after another", one_by_one, args.services)]
    if args.concurrent:
        plan.append(("All at once", all_at_once, args.concurrent))
    for label, measure, count in plan:
        busy = wait_for_quiet(args.quiet_wait)
        reloads = portal.reloads()
        log(f"{label}: {count} services (other load {busy:.1f} CPUs)")
        samples = measure(client, args, defaults)
        runs.append((label, samples))
        notes.append(_run_note(label, samples, busy, portal.reloads() - reloads))
    return runs, notes


def _run_note(label: str, samples: list[Sample], busy: float, reloads: int) -> str:
    note = f"{label}: other processes kept {busy:.1f} of {os.cpu_count()} CPUs busy at the start"
    if reloads:
        retried = sum(s.retries > 0 for s in samples)
        note += (
            f"; runserver reloaded {reloads} time(s) because files in the shared checkout "
            f"changed, and {retried} service(s) had a call retried over a restart"
        )
    return note + "."


def machine_info(args, argv: list[str], prepared: dict[str, float]) -> dict:
    from importlib.metadata import version

    import django

    from tests.bench.report import _proc_value
    from tests.bench.run import code_version

    memory = _proc_value("/proc/meminfo", "MemTotal")
    ram = f"{int(memory.split()[0]) / 1024**2:.0f} GiB RAM" if memory != "unknown" else "RAM ?"
    command = "cd /work/main && .venv/bin/python -m tests.bench.golden_path_bench"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPUs ({_proc_value('/proc/cpuinfo', 'model name')}), "
        f"{ram}, Python {platform.python_version()}, Django {django.get_version()}, "
        f"Celery {version('celery')}, moto {version('moto')}, "
        f"SQLite {__import__('sqlite3').sqlite_version}",
        "code": code_version(),
        "command": command + ((" " + shlex.join(argv)) if argv else ""),
        "via": "through the JSON API (`POST /api/provisioning/requests`, session and CSRF token)"
        if args.via == "api"
        else "through the wizard's form (the Create button: `POST "
        "/provisioning/create-service/<slug>/`, action=create)",
        "poll_ms": f"{args.poll * 1000:.0f}",
        "reload": " and with runserver's autoreloader as `make dev` has it"
        if args.autoreload
        else " and without runserver's autoreloader (`manage.py dev --noreload`, as others "
        "edit this checkout while it runs)",
        "prepared": prepared,
    }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the portal's processes are stopped either way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    portal = Portal(DATA_DIR, log, autoreload=args.autoreload)
    os.environ.update(portal.env)  # this process reads the SQLite database the portal writes
    import django

    django.setup()
    from tests.bench import golden_section

    log(f"data folder {DATA_DIR} (made anew): migrate, seed_demo")
    prepared = portal.prepare()
    with portal:
        runs, notes = run(args, portal)

    for _, samples in runs:
        golden_section.read_server_times(samples, ENVIRONMENT)
    notes.append(
        f"Start-up before the runs: migrate {prepared['migrate']:.1f} s, seed_demo "
        f"{prepared['seed_demo']:.1f} s; the portal was "
        f"{'stopped cleanly' if portal.stopped_cleanly else 'NOT stopped cleanly'} at the end."
    )
    text = golden_section.section(runs, machine_info(args, argv, prepared), notes)
    log("\n" + text)
    if not args.no_docs:
        log(f"wrote {golden_section.write_section(text).relative_to(ROOT)}")
    everything = [s for _, samples in runs for s in samples]
    return 0 if all(golden_section.deployed(s) for s in everything) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
