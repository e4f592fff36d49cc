"""Load benchmark: `make bench-load`, or `python -m tests.bench.load_bench --help`.

The whole portal as production runs it, on this machine, under a realistic mix of users at
rising concurrency. A plain script like tests/bench/run.py, never part of `make test`.

Steps:
1. Production-like settings (DEBUG off, a random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, static
   files collected for whitenoise), broker on Redis database 15 and cache on 7 (both emptied).
2. The catalog of 100,000 services in the bench database of `make bench` (`idp_bench`, made
   and generated if missing, reused otherwise); load users in the biggest teams, a read token.
3. Start moto (AWS), 2 Celery workers (one process each, concurrency 1) and gunicorn (4 sync
   workers) on loopback; sign the users in through the login form.
4. A short unrecorded warm-up, then per concurrency level one headless locust run
   (tests/bench/locustfile.py: 70% catalog list, 15% service pages, 10% API reads, 5%
   provisioning requests), while every process's CPU and memory is sampled; after each level,
   wait for the workers to finish its provisioning requests and count those not `succeeded`.
5. Write the "Load (make bench-load)" section of docs/benchmarks.md (not after --smoke), and
   stop every process started, on error and on Ctrl-C too.
"""

import argparse
import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

from tests.bench import run

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "var" / "bench-load"
DEFAULT_USERS = [1, 5, 10, 25, 50, 100]
SMOKE_USERS = [1, 5]
SIZE = 100_000
AWS_REGION = "eu-west-1"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.load_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--users",
        default=",".join(map(str, DEFAULT_USERS)),
        help="concurrency levels (locust users), comma-separated",
    )
    parser.add_argument("--seconds", type=int, default=60, help="seconds per level")
    parser.add_argument("--warmup", type=int, default=20, help="unrecorded seconds first")
    parser.add_argument(
        "--think", type=float, default=0.0, help="seconds each user waits between requests"
    )
    parser.add_argument("--sessions", type=int, default=10, help="users signed in (sessions)")
    parser.add_argument(
        "--settle",
        type=float,
        default=300,
        help="seconds to wait, after a level, for its provisioning requests to end",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", run.DEFAULT_URL)
    )
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"a few seconds at {','.join(map(str, SMOKE_USERS))} users, to check it works; "
        "never writes the docs",
    )
    parser.add_argument(
        "--docs",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write docs/benchmarks.md (default: yes, except with --smoke)",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.users, args.seconds, args.warmup, args.settle = SMOKE_USERS, 5, 3, 30
    else:
        args.users = sorted(int(n) for n in args.users.split(","))
    if args.docs is None:
        args.docs = not args.smoke
    return args


def configure(args: argparse.Namespace) -> dict[str, str]:
    """The environment of this process and of every server it starts."""
    run.configure_environment(args.database_url, DATA_DIR)
    env = {
        "ALLOWED_HOSTS": "127.0.0.1",
        "CELERY_BROKER_URL": args.broker_url,
        "CACHE_URL": args.cache_url,
        "SECRET_KEY": secrets.token_urlsafe(45),
        "LOG_LEVEL": "INFO",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": AWS_REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(env)
    return dict(os.environ)


def empty_redis(*urls: str) -> None:
    """Only our own databases: an interrupted run's tasks would otherwise be delivered again."""
    import redis

    for url in urls:
        redis.Redis.from_url(url).flushdb()


def prepare_data(args: argparse.Namespace, base_url: str) -> dict:
    """Users, sessions, token and URLs for the locustfile (step 2, and the sign-in of 3)."""
    from tests.bench import load_seed
    from tests.bench.measure import CatalogUrls

    users, password = load_seed.seed_users(args.sessions)
    urls = CatalogUrls(seed=17)
    pages = urls.service_pages(1000)
    sessions = []
    for user in users:
        cookies = load_seed.sign_in(base_url, user.username, password)
        services = load_seed.requestable_services(user)
        if services:
            sessions.append({**cookies, "services": services})
    if not sessions:
        raise RuntimeError("no load user's team owns a service whose queue name fits SQS")
    return {
        "host": base_url.split("://", 1)[1],
        "sessions": sessions,
        "token": load_seed.read_token(users[0]),
        "list_urls": load_seed.list_urls(urls, SIZE),
        "service_urls": pages,
        "popular_urls": load_seed.popular_urls(),
        "api_urls": load_seed.api_urls(urls, load_seed.service_names(pages)),
        "environment": "dev",
        # Queue names stay new across runs on the same database (the portal refuses a taken one).
        "purpose_prefix": "l" + secrets.token_hex(3),
    }


def run_locust(args, env, base_url: str, users: int, seconds: int, prefix: Path, sampler=None):
    """One headless locust run; returns its CSV prefix. locust exits 1 when a request failed,
    which the figures report, so only a missing CSV is an error here."""
    command = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "tests" / "bench" / "locustfile.py"),
        "--headless", "--users", str(users), "--spawn-rate", str(users),
        "--run-time", f"{seconds}s", "--host", base_url, "--csv", str(prefix),
        "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING",
    ]  # fmt: skip
    log_file = prefix.with_suffix(".log").open("w")
    with log_file:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
        try:
            if sampler:
                sampler.start_level(proc.pid)
            proc.wait(timeout=seconds + 120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise RuntimeError(f"locust wrote no figures; see {prefix.with_suffix('.log')}")
    return stats


def measure_level(args, env, base_url: str, users: int, sampler):
    """Step 4 for one level: locust, the CPU it took, the provisioning requests' outcome."""
    from tests.bench import load_seed
    from tests.bench.load_report import Level, read_stats

    run.log(f"{users} users, {args.seconds} s")
    since = datetime.now(UTC)
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    stats = run_locust(
        args, env, base_url, users, args.seconds, DATA_DIR / f"locust-{users}", sampler
    )
    cpu, machine = sampler.end_level()
    total, kinds = read_stats(stats)
    provisioned, drained = load_seed.provisioning_outcome(since, args.settle)
    level = Level(users, total, kinds, cpu, machine, load, provisioned, drained)
    run.log(
        f"  {total.rate:.1f} req/s, p50 {total.p50_ms} ms, p95 {total.p95_ms} ms, "
        f"errors {level.errors} (HTTP {total.failures}, provisioning {provisioned}, "
        f"finished {drained:.0f} s after the load), "
        f"CPU {machine:.0%}: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(cpu.items()))
    )
    for failure in load_seed.failures(since):
        run.log(f"  failed request: {failure[:300]}")
    return level


def serve_and_measure(args, env: dict[str, str]) -> tuple[list, dict[str, float], str]:
    """Steps 3 and 4: the levels' figures, the peak memory of each process, a note on who
    signed in."""
    from tests.bench.load_processes import Sampler, start_gunicorn
    from tests.bench.provisioning_servers import Processes
    from tests.moto_server import free_port

    with Processes(DATA_DIR / "logs") as processes:
        env["AWS_ENDPOINT_URL"] = processes.start_moto(env)
        os.environ["AWS_ENDPOINT_URL"] = env["AWS_ENDPOINT_URL"]
        for n in (1, 2):
            processes.start_worker(f"celery-worker{n}", env, "idp_portal", "celery")
        port = free_port()
        master = start_gunicorn(processes, env, port)
        base_url = f"http://127.0.0.1:{port}"
        run.log(f"gunicorn {base_url}, moto {env['AWS_ENDPOINT_URL']}, 2 Celery workers")
        data = prepare_data(args, base_url)
        data_file = DATA_DIR / "locust-data.json"
        data_file.write_text(json.dumps(data))
        locust_env = {**env, "LOAD_BENCH_DATA": str(data_file), "LOAD_BENCH_THINK": str(args.think)}
        pids = dict((name, proc.pid) for name, proc in processes.started)
        celery = [pids["celery-worker1"], pids["celery-worker2"]]
        database = urlsplit(args.database_url).path.lstrip("/")
        with Sampler(master, celery, pids["moto"], database) as sampler:
            run.log(f"warm-up: {args.warmup} s at 5 users (not recorded)")
            run_locust(args, locust_env, base_url, 5, args.warmup, DATA_DIR / "locust-warmup")
            levels = [
                measure_level(args, locust_env, base_url, users, sampler) for users in args.users
            ]
            peaks = dict(sorted(sampler.peaks.items()))
    note = (
        f"{len(data['sessions'])} portal users, each in one of the biggest teams, signed in "
        "through the login form before the levels; the locust users share their sessions (as "
        "a browser's tabs do) and post provisioning requests for their team's services. API "
        "reads use one read token. Peak memory is RSS, sampled every second."
    )
    return levels, peaks, note


def ensure_catalog(args: argparse.Namespace) -> list[str]:
    """Step 2: the bench database of `make bench`, with its 100,000 services."""
    settings = SimpleNamespace(database_url=args.database_url, sizes=[SIZE], regenerate=False)
    return run.prepare(settings, SIZE)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    # SIGTERM unwinds like Ctrl-C, so `Processes` stops every server and worker it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_at_start = os.getloadavg()[0]
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    env = configure(args)
    import django

    django.setup()
    from django.core.management import call_command

    from tests.bench import docs_section, load_report, report

    call_command("collectstatic", interactive=False, verbosity=0)
    notes = ensure_catalog(args)
    empty_redis(args.broker_url, args.cache_url)
    levels, peaks, note = serve_and_measure(args, env)
    command = "make bench-load" + (f' BENCH_ARGS="{shlex.join(argv)}"' if argv else "")
    summary = load_report.Run(
        command=command,
        seconds=args.seconds,
        think_s=args.think,
        machine=report.machine(),
        load_at_start=load_at_start,
        code=run.code_version(),
        minutes=(time.monotonic() - started) / 60,
        notes=[note, *notes],
    )
    text = load_report.section(summary, levels, peaks)
    run.log("\n" + text)
    if args.docs:
        docs_section.write_section(load_report.HEADING, text)
        run.log(f"wrote {docs_section.DOCS.relative_to(ROOT)}")
    return 0 if all(level.errors == 0 for level in levels) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
