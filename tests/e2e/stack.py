"""The whole portal as `make dev` runs it, on free ports, for journeys and benchmarks.

`start_stack()` makes a scratch data folder, migrates it, seeds the demo data, gives the
platform admin an authenticator app, then runs `manage.py dev` (web server, Celery worker,
Celery beat, moto server) and waits until the portal answers `/readyz`. Two things `make dev`
leaves to the platform team are done here, as it would: Vault is connected (the Vault contract
server of tests/contract_server.py, as a process) and the environments get their network
placement (a VPC with two subnets in the stack's moto), so a database request can complete.
`Stack.stop()` asks the dev command to stop its processes and kills what is left of each one's
session.

Locally the stack runs on the embedded defaults (SQLite and the filesystem broker in the data
folder, a local-memory cache). When the test process itself runs on PostgreSQL and Redis (CI:
.ci/run sets DATABASE_URL, CELERY_BROKER_URL and CACHE_URL), the stack runs on them too, but on
its own database (`idp_e2e`, dropped and created here) and its own Redis databases (3 and 4,
flushed here), never the test run's.

Nothing here imports Django: the stack's processes read their settings from the environment,
and the test process's settings are not the stack's.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
# The demo accounts' password: idp_portal/demo.py's, copied because this module runs without
# Django (tests/idp_portal/test_seed_demo.py checks the two are equal).
DEMO_PASSWORD = "platform-demo"
E2E_DATABASE = "idp_e2e"
E2E_BROKER_DB, E2E_CACHE_DB = 3, 4
REGION = "eu-west-1"
# Variables of the test process that must not leak into the stack's processes.
NOT_INHERITED = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_SETTINGS_MODULE",
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "PYTEST_CURRENT_TEST",
    "PYTEST_ADDOPTS",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stack:
    """A running portal: its URL, data folder, environment and the dev command's process."""

    url: str
    data_dir: Path
    env: dict[str, str]
    backend: str
    admin_totp_secret: str = ""
    process: subprocess.Popen | None = None
    vault: subprocess.Popen | None = None
    last_totp_counter: int = -1
    log_path: Path | None = None
    children: list[int] = field(default_factory=list)

    def manage(self, *args: str, stdin: str | None = None, timeout: float = 300) -> str:
        """Run `manage.py <args>` against the stack's database; return its output."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def shell(self, code: str) -> str:
        """Run Python in `manage.py shell` (Django set up on the stack's settings)."""
        return self.manage("shell", "--no-imports", "-c", code)

    def add_user(self, username: str, team: str, role: str = "member") -> str:
        """A new person in `team` (created if absent) with the demo password; returns the name."""
        self.shell(
            ADD_USER.replace("USERNAME", repr(username))
            .replace("TEAM", repr(team))
            .replace("ROLE", repr(role))
            .replace("PASSWORD", repr(DEMO_PASSWORD))
        )
        return username

    def log(self, lines: int = 80) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def totp_code(self) -> str:
        """The admin's current authenticator code, computed as allauth checks it. allauth
        refuses a code twice, so a second sign-in in the same 30 s window waits for the next."""
        counter = int(time.time() // 30)
        if counter <= self.last_totp_counter:
            time.sleep((self.last_totp_counter + 1) * 30 - time.time() + 0.5)
            counter = int(time.time() // 30)
        self.last_totp_counter = counter
        return totp_code(self.admin_totp_secret)

    def stop(self) -> None:
        """1. SIGTERM the dev command (it stops web, worker, beat and moto); 2. after 30 s kill
        its session; 3. kill what is left of each child's own session."""
        if self.vault is not None:
            self.vault.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.vault.wait(timeout=10)
            self.vault.kill()
            self.vault.wait()
            self.vault = None
        proc = self.process
        if proc is None:
            return
        self.children = sorted(set(self.children) | set(_children_of(proc.pid)))
        if proc.poll() is None:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        proc.wait()
        self.process = None


def totp_code(secret: str, at: float | None = None) -> str:
    """The six-digit TOTP code of `secret` now (allauth's own functions, period 30 s)."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int((time.time() if at is None else at) // 30)
    return format_hotp_value(hotp_value(secret, counter))


def _children_of(pid: int) -> list[int]:
    """Direct children of `pid` (each runs in its own session: the dev command starts them so)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # The command name may hold spaces and parentheses: split after the last ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _stack_backends(env: dict[str, str]) -> str:
    """Choose the stack's database, broker and cache; return a one-word description."""
    test_db = os.environ.get("DATABASE_URL", "")
    test_broker = os.environ.get("CELERY_BROKER_URL", "")
    if not (test_db.startswith("postgres") and test_broker.startswith("redis")):
        return "sqlite"  # embedded defaults: nothing set, everything in the data folder
    db = urlsplit(test_db)
    env["DATABASE_URL"] = urlunsplit(db._replace(path=f"/{E2E_DATABASE}"))
    _recreate_database(urlunsplit(db._replace(path="/postgres")))
    broker = urlsplit(test_broker)
    env["CELERY_BROKER_URL"] = urlunsplit(broker._replace(path=f"/{E2E_BROKER_DB}"))
    env["CACHE_URL"] = urlunsplit(broker._replace(path=f"/{E2E_CACHE_DB}"))
    _flush_redis(env["CELERY_BROKER_URL"])
    _flush_redis(env["CACHE_URL"])
    return "postgresql+redis"


def _recreate_database(maintenance_url: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{E2E_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{E2E_DATABASE}"')


def _flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def _wait_until_ready(stack: Stack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if stack.process and stack.process.poll() is not None:
            raise RuntimeError(
                f"`manage.py dev` exited with status {stack.process.returncode}:\n{stack.log()}"
            )
        try:
            with urllib.request.urlopen(f"{stack.url}/readyz", timeout=5) as response:  # noqa: S310
                if response.status == 200 and "ready." in stack.log(400):
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            last = str(error)
        time.sleep(0.3)
    raise RuntimeError(
        f"the stack did not become ready within {timeout:.0f} s ({last}):\n{stack.log()}"
    )


ADD_USER = """
from django.contrib.auth import get_user_model
from catalog.choices import TeamRole
from catalog.services import ensure_membership, ensure_team
team = ensure_team(TEAM, TEAM.title(), "A team made by the journeys.", "")
user = get_user_model().objects.create_user(
    USERNAME, email=USERNAME + "@example.com", password=PASSWORD
)
ensure_membership(team, user, TeamRole(ROLE))
"""

ENROL_ADMIN = """
from django.contrib.auth import get_user_model
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
user = get_user_model().objects.get(username="admin")
Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
secret = generate_totp_secret()
TOTP.activate(user, secret)
print("TOTP-SECRET", secret)
"""


def _start_vault(env: dict[str, str]) -> subprocess.Popen:
    """The Vault contract server as a process; sets VAULT_ADDR and VAULT_TOKEN in `env`."""
    token = "hvs.e2e-token"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.provisioning_vault", token],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise RuntimeError(f"the Vault contract server did not start (printed {url!r})")
    env.update(VAULT_ADDR=url, VAULT_TOKEN=token)
    return proc


def _place_environments(stack: Stack, moto_url: str) -> None:
    """A VPC with two subnets in the stack's moto, written into every environment."""
    import boto3

    ec2 = boto3.client(
        "ec2",
        region_name=REGION,
        endpoint_url=moto_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto accepts any key
    )
    vpc_id = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=f"{REGION}{zone}"
        )["Subnet"]["SubnetId"]
        for i, zone in enumerate("ab", start=1)
    ]
    entries = "".join(
        f"  - name: {name}\n    region: {REGION}\n    vpc_id: {vpc_id}\n"
        f"    subnet_ids: [{', '.join(subnets)}]\n    app_cidr: 10.30.0.0/16\n"
        for name in ("dev", "staging", "prod")
    )
    path = stack.data_dir / "environments.yaml"
    path.write_text(f"environments:\n{entries}")
    stack.manage("load_environments", str(path))


def start_stack(data_dir: Path | None = None, timeout: float = 240) -> Stack:
    """Start the whole portal on free ports; the caller must call `stop()` on the result."""
    data_dir = Path(data_dir or tempfile.mkdtemp(prefix="idp-e2e-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    web, moto = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(
        DEBUG="true",
        IDP_DATA_DIR=str(data_dir),
        PORTAL_ADDR=web,
        MOTO_ADDR=moto,
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
        AWS_DEFAULT_REGION=REGION,
    )
    backend = _stack_backends(env)
    stack = Stack(url=f"http://{web}", data_dir=data_dir, env=env, backend=backend)
    stack.manage("migrate", "--noinput")
    stack.manage("seed_demo")
    secret = re.search(r"TOTP-SECRET (\S+)", stack.shell(ENROL_ADMIN))
    stack.admin_totp_secret = secret.group(1) if secret else ""
    stack.vault = _start_vault(env)
    stack.log_path = data_dir / "dev.log"
    with open(stack.log_path, "w") as log:
        stack.process = subprocess.Popen(
            [sys.executable, "manage.py", "dev", "--addr", web, "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        _wait_until_ready(stack, timeout)
        stack.children = _children_of(stack.process.pid)
        _place_environments(stack, f"http://{moto}")
    except BaseException:
        stack.stop()
        raise
    return stack
