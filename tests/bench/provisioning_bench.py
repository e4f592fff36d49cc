"""Provisioning benchmark (issue 4): `python -m tests.bench.provisioning_bench --help`.

A plain script like tests/bench/run.py (never part of `make test`), on its own PostgreSQL
database (`idp_bench_provisioning`, dropped and made again) and its own Redis database (9).

Steps:
1. Recreate and migrate the database; one team, one user, 400 services (a secrets path is one
   per service and environment, so more are added when they run out).
2. Start moto, the Vault contract server, and per worker variant N Celery workers
   (concurrency 1 each) on a queue of their own, with production-like settings (DEBUG off,
   INFO logs): the portal as it is, and unless --no-prototypes the portal's app with the
   benchmark's probe and prototypes (tests/bench/provisioning_worker.py). Warm them all up.
3. Check that the baseline makes exactly the calls the drivers make, per type.
4. Unloaded rounds, per type back to back so a load spike hits every figure alike: the direct
   calls (baseline), the drivers in this process (a fresh driver per step, as the engine
   does), the engine in this process (submit + `engine.apply`, no Celery), then one request
   through each variant's workers, each alone.
5. At latency: a fault proxy (tests/fault_proxy.py, a process) in front of moto and another in
   front of Vault make every call `--latency` slower (50 ms); rounds of the direct calls
   through them and one request through workers of their own pointed at them.
6. Loaded: the mixed requests submitted as fast as possible to the portal's workers (and, for
   comparison, to the prototype's); wait until none is left running.
7. Lease check: a few requests whose messages wait, unread, longer than the lease (60 s), to
   see what the reconciler (beat's job, run here every 15 s) does with requests that only wait.
8. Count states, lost and duplicated work (moto's buckets and queues, Vault's paths, the
   inventory, claims, Celery deliveries), compute the figures, write the "Provisioning
   (issue 4)" section of docs/benchmarks.md (other sections stay).
"""

import argparse
import os
import secrets
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

from tests.bench.provisioning_phases import TYPES, log

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/idp_bench_provisioning"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
REGION = "eu-west-1"
VAULT_TOKEN = "hvs.bench-provisioning"
ENVIRONMENTS = ("dev", "staging")
BUCKET = {"versioning": True, "encryption": "AES256", "lifecycle": "none"}
QUEUE = {
    "fifo": False,
    "dead_letter": True,
    "max_receive_count": 5,
    "visibility_timeout": 30,
    "retention_days": 4,
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.provisioning_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--requests", type=int, default=1000, help="requests in the loaded run")
    parser.add_argument("--workers", type=int, default=2, help="worker processes per variant")
    parser.add_argument("--mix", default="40,40,20", help="percent buckets, queues, secrets paths")
    parser.add_argument("--rounds", type=int, default=30, help="unloaded rounds")
    parser.add_argument("--direct", type=int, default=100, help="baseline samples per type")
    parser.add_argument("--services", type=int, default=400)
    parser.add_argument(
        "--latency", type=float, default=0.05, help="seconds added to every AWS and Vault call"
    )
    parser.add_argument(
        "--latency-rounds", type=int, default=10, help="rounds at that latency (0: skip)"
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds per loaded run")
    parser.add_argument(
        "--prototypes",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure the probe and prototype worker variants",
    )
    parser.add_argument(
        "--lease-check",
        type=int,
        default=20,
        help="requests left in an unread queue past the lease, to see the reconciler (0: skip)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60,
        help="seconds to wait, before measuring, for other load on the machine to settle",
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)
    args.mix = [int(part) for part in args.mix.split(",")]
    if len(args.mix) != 3 or sum(args.mix) != 100:
        parser.error("--mix takes three percentages that add up to 100, e.g. 40,40,20")
    return args


# --- setup -----------------------------------------------------------------------------------


def configure(args: argparse.Namespace) -> dict[str, str]:
    """The environment of this process and of the workers: same database, broker, endpoints."""
    data_dir = ROOT / "var" / "bench-provisioning"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "DJANGO_SETTINGS_MODULE": "idp_portal.settings",
        "DATABASE_URL": args.database_url,
        "CELERY_BROKER_URL": args.redis_url,
        "CACHE_URL": args.redis_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(45),
        "IDP_DATA_DIR": str(data_dir),
        "LOG_LEVEL": "INFO",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "VAULT_TOKEN": VAULT_TOKEN,
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "VAULT_K8S_AUTH_ROLE"):
        os.environ.pop(name, None)
    os.environ.update(env)
    return env


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def empty_broker(url: str) -> None:
    """Our own Redis database only: leftovers of an interrupted run would be delivered again."""
    import redis

    redis.Redis.from_url(url).flushdb()


def wait_for_quiet(limit: float) -> str:
    """Wait (up to `limit` s) for the 1-minute load average to fall under 1; say what it was."""
    deadline = time.monotonic() + limit
    while os.getloadavg()[0] >= 1.0 and time.monotonic() < deadline:
        time.sleep(5)
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


def make_services(team, first: int, count: int) -> list:
    from catalog.models import Component

    return Component.objects.bulk_create(
        Component(name=f"svc-{n:04}", owner=team, search_text=f"svc-{n:04}")
        for n in range(first, first + count)
    )


def populate(services: int) -> SimpleNamespace:
    from catalog.models import Team
    from provisioning.models import Environment
    from tests.factories import add_member, make_user

    team = Team.objects.create(name="bench", title="Bench")
    user = make_user("bench-requester")
    add_member(team, user, role="lead")
    components = make_services(team, 0, services)
    environments = [Environment.objects.get(name=name) for name in ENVIRONMENTS]
    return SimpleNamespace(team=team, user=user, components=components, envs=environments)


# --- requests ------------------------------------------------------------------------------


@dataclass
class Workload:
    """Hands out request arguments whose names are all new: a purpose counter for buckets and
    queues, and the next unused (service, environment) for a secrets path."""

    fixture: SimpleNamespace
    counter: int = 0
    pairs_used: int = 0
    planned: dict[str, set[str]] = field(default_factory=lambda: {t: set() for t in TYPES})

    def arguments(self, type_slug: str) -> tuple:
        """(type, component, environment, parameters) of a new request with new names."""
        self.counter += 1
        n, components = self.counter, self.fixture.components
        if type_slug == "secrets-path":
            pair, self.pairs_used = self.pairs_used, self.pairs_used + 1
            service, env = divmod(pair, len(self.fixture.envs))
            if service >= len(components):  # every secrets path so far took one: add services
                components += make_services(self.fixture.team, len(components), 200)
            return type_slug, components[service], self.fixture.envs[env], {"kubernetes_auth": True}
        component, env = components[n % len(components)], self.fixture.envs[n % 2]
        if type_slug == "s3-bucket":
            params = {**BUCKET, "purpose": f"b{n:05}"}
        else:
            params = {**QUEUE, "purpose": f"q{n:05}"}
        return type_slug, component, env, params

    def plan(self, type_slug: str) -> list:
        """The planned resources of a new request of this type (not submitted)."""
        from provisioning.services import plan_for

        resources = plan_for(*self.arguments(type_slug)).resources
        self.remember(type_slug, resources)
        return resources

    def submit(self, type_slug: str):
        from provisioning.services import submit_request

        request = submit_request(self.fixture.user, *self.arguments(type_slug))
        self.remember(type_slug, [r["name"] for r in request.plan["resources"]])
        return request

    def remember(self, type_slug: str, resources: list) -> None:
        self.planned[type_slug].update(getattr(r, "name", r) for r in resources)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    # SIGTERM unwinds like Ctrl-C, so `Processes` stops every server and worker it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    env = configure(args)
    log(f"database {args.database_url} (recreated), broker {args.redis_url} (emptied)")
    recreate_database(args.database_url)
    empty_broker(args.redis_url)
    import django

    django.setup()
    from django.core.management import call_command

    from tests.bench import provisioning_section
    from tests.bench.provisioning_servers import Processes

    call_command("migrate", verbosity=0)
    log_to_file(Path(env["IDP_DATA_DIR"]) / "bench.log")
    workload = Workload(populate(args.services))
    with Processes(Path(env["IDP_DATA_DIR"]) / "logs") as processes:
        results = measure(args, env, processes, workload)
        results["minutes"] = (time.monotonic() - started) / 60
    text = provisioning_section.section(args, results, argv)
    print(text)
    if not args.no_docs:
        log(f"wrote {provisioning_section.write_section(text)}")
    return 0 if results["integrity"]["ok"] else 1


def measure(args, env: dict[str, str], processes, workload: Workload) -> dict:
    """Steps 2–7 of the module docstring; every figure of the run."""
    from tests.bench import provisioning_phases as phases
    from tests.bench import provisioning_report as report
    from tests.bench.provisioning_direct import DirectCalls

    variants = [phases.PORTAL, *(phases.PROTOTYPES if args.prototypes else ())]
    start_servers(args, env, processes, variants)
    slow = start_slow_workers(args, env, processes) if args.latency_rounds else None

    def new_direct() -> DirectCalls:
        return DirectCalls(env["AWS_ENDPOINT_URL"], REGION, env["VAULT_ADDR"], VAULT_TOKEN)

    direct = new_direct()
    phases.warm_up(workload, [*variants, *([slow] if slow else [])], args.workers)
    calls = phases.same_calls(workload, new_direct)
    log(f"same calls as the drivers: {calls}")
    load_before = wait_for_quiet(args.quiet_wait)
    log(f"unloaded: {args.rounds} rounds (load {load_before})")
    quiet = phases.unloaded(workload, direct, args.rounds, args.direct, variants)
    latency = None
    if slow:
        log(f"at {args.latency * 1000:.0f} ms per call: {args.latency_rounds} rounds")
        slow_direct = DirectCalls(
            slow.env["AWS_ENDPOINT_URL"], REGION, slow.env["VAULT_ADDR"], VAULT_TOKEN
        )
        latency = phases.at_latency(workload, slow_direct, args.latency_rounds, slow)
    load_measured = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    heavy = {}
    for variant in (v for v in variants if v.loaded):
        log(f"loaded, {variant.key}: {args.requests} requests")
        heavy[variant.key] = phases.loaded(workload, args.requests, args.mix, variant, args.timeout)
    lease = lease_check(args, env, processes, workload) if args.lease_check else None
    results = report.collect(args, workload, direct, quiet, heavy, calls, processes, variants)
    results["lease_check"] = lease
    results["latency"] = report.latency_figures(latency, args.mix, args.latency)
    results["load"] = (load_before, " / ".join(f"{v:.1f}" for v in os.getloadavg()))
    results["load_measured"] = load_measured
    return results


def start_servers(args, env: dict[str, str], processes, variants: list) -> None:
    """moto, the Vault contract server, and each variant's workers on the variant's queue."""
    env["AWS_ENDPOINT_URL"] = processes.start_moto({**os.environ, **env})
    env["VAULT_ADDR"] = processes.start_vault({**os.environ, **env}, VAULT_TOKEN)
    os.environ.update(env)
    _apply_endpoints(env)
    for variant in variants:
        for n in range(args.workers):
            worker_env = {**os.environ, **env, **variant.env}
            name = f"{variant.key}-worker{n + 1}"
            processes.start_worker(name, worker_env, variant.app, variant.queue)
    workers = ", ".join(f"{args.workers} {v.key}" for v in variants)
    log(f"moto {env['AWS_ENDPOINT_URL']}, vault {env['VAULT_ADDR']}, workers: {workers}")


def start_slow_workers(args, env: dict[str, str], processes):
    """A fault proxy with `--latency` in front of moto and one in front of Vault, and workers of
    their own (on their own queue) pointed at them; returns their variant."""
    from tests.bench import provisioning_phases as phases

    base = {**os.environ, **env}
    endpoints = {
        "AWS_ENDPOINT_URL": processes.start_proxy(
            "slow-aws", base, env["AWS_ENDPOINT_URL"], args.latency
        ),
        "VAULT_ADDR": processes.start_proxy("slow-vault", base, env["VAULT_ADDR"], args.latency),
    }
    title = f"the portal, {args.latency * 1000:.0f} ms per call"
    variant = phases.Variant("latency", title, "idp_portal", endpoints, "bench-latency")
    for n in range(args.workers):
        processes.start_worker(
            f"latency-worker{n + 1}", {**base, **endpoints}, variant.app, variant.queue
        )
    log(f"at latency: aws {endpoints['AWS_ENDPOINT_URL']}, vault {endpoints['VAULT_ADDR']}")
    return variant


def lease_check(args, env: dict[str, str], processes, workload: Workload) -> dict:
    from tests.bench import provisioning_phases as phases

    log(f"lease check: {args.lease_check} requests parked past the lease")

    def start_drainer(variant) -> None:
        processes.start_worker("parked-worker", {**os.environ, **env}, variant.app, variant.queue)

    def drained() -> int:
        return processes.log_text("parked-worker").count("'nothing to do'")

    return phases.lease_check(workload, args.lease_check, args.mix, start_drainer, drained)


def log_to_file(path: Path) -> None:
    """This process logs at INFO like the web process would, but to a file, not the console."""
    import logging

    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.FileHandler(path, mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)


def _apply_endpoints(env: dict[str, str]) -> None:
    """Django read its settings before the servers had ports: point them at the servers."""
    from django.conf import settings

    settings.AWS_ENDPOINT_URL = env["AWS_ENDPOINT_URL"]
    settings.VAULT_ADDR = env["VAULT_ADDR"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
