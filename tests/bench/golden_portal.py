"""The portal as `make dev` runs it, in a data folder of the golden-path benchmark's own.

`make dev` is `manage.py migrate --noinput`, `manage.py seed_demo`, then `manage.py dev` (web
server, Celery worker, beat and a moto server). `Portal` does exactly that, with DEBUG=true and
none of the settings' environment variables set, so every default applies (SQLite, the
filesystem broker, the local-memory cache, local git repositories, Kubernetes and Vault not
connected). Two differences: the loopback ports, free ones through dev.py's `--addr` and
MOTO_ADDR, so a developer's own `make dev` on :8000/:5000 is left alone; and, unless asked for,
no autoreloader (dev.py's `--noreload`): in a checkout others edit while it runs, runserver
restarts on every saved file, and a restart between a request's commit and its enqueue leaves
the request queued until the reconciler re-sends it ten minutes later.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Variables idp_portal/settings.py (and dev.py) read: unset, so the benchmark measures the
# defaults whatever the shell it runs in exports.
SETTINGS_VARIABLES = {
    "ALLOWED_HOSTS", "CACHE_URL", "CELERY_BROKER_URL", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL",
    "DRIFT_CHECK_SECONDS", "GIT_HOST", "KUBECONFIG", "KUBERNETES_IN_CLUSTER",
    "LOG_LEVEL", "OBSERVABILITY_REFRESH_SECONDS", "OTEL_EXPORTER_OTLP_ENDPOINT", "PORTAL_ADDR",
    "PROMETHEUS_URL", "SECRET_KEY",
}  # fmt: skip
SETTINGS_PREFIXES = (
    "AWS_", "VAULT_", "CELERY_", "PROVISIONING_", "SECURE_", "OIDC_", "GITHUB_", "EMAIL_",
    "GRAFANA_", "LOKI_", "TEMPO_", "ACCOUNT_", "SOCIALACCOUNT_",
)  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dev_environment(data_dir: Path, moto_port: int) -> dict[str, str]:
    """This shell's environment without the portal's settings, plus what `make dev` sets."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SETTINGS_VARIABLES and not k.startswith(SETTINGS_PREFIXES)
    }
    env.update(
        DEBUG="true",  # the Makefile's `export DEBUG ?= true`
        DJANGO_SETTINGS_MODULE="idp_portal.settings",
        IDP_DATA_DIR=str(data_dir),
        MOTO_ADDR=f"127.0.0.1:{moto_port}",
    )
    return env


class Portal:
    """Web server, worker, beat and moto under one `manage.py dev`; stopped on exit, always."""

    def __init__(self, data_dir: Path, log, autoreload: bool = False) -> None:
        self.data_dir, self.log, self.autoreload = data_dir, log, autoreload
        self.port, self.moto_port = free_port(), free_port()
        self.env = dev_environment(data_dir, self.moto_port)
        self.proc: subprocess.Popen | None = None
        self.stopped_cleanly: bool | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "dev.log"

    def prepare(self) -> dict[str, float]:
        """A fresh data folder (so a fresh SQLite database), migrated and seeded; seconds each."""
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)
        return {
            "migrate": self._manage("migrate", "--noinput"),
            "seed_demo": self._manage("seed_demo"),
        }

    def _manage(self, *args: str) -> float:
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return time.monotonic() - started

    def __enter__(self) -> "Portal":
        """Start `manage.py dev` and wait until the web server answers and the worker is ready."""
        log = open(self.log_path, "w")  # noqa: SIM115 - closed in __exit__
        args = [sys.executable, "manage.py", "dev", "--addr", f"127.0.0.1:{self.port}"]
        args += [] if self.autoreload else ["--noreload"]
        self.proc = subprocess.Popen(  # noqa: S603 - our own command line
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.proc.log = log  # type: ignore[attr-defined]
        started = time.monotonic()
        try:
            self._wait(lambda: _answers(f"{self.url}/healthz"), "the web server")
            self._wait(lambda: "ready." in self.log_text(), "the Celery worker")
        except BaseException:
            self.__exit__()
            raise
        self.log(f"portal up at {self.url} in {time.monotonic() - started:.1f} s")
        return self

    def __exit__(self, *exc: object) -> None:
        """SIGTERM, as Ctrl-C would: dev.py stops its children (up to 15 s), then itself."""
        if self.proc is None:
            return
        exited_alone = self.proc.poll() is not None
        if not exited_alone:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc.log.close()  # type: ignore[attr-defined]
        said_stopped = "Stopped the web server, worker and beat." in self.log_text()
        ports_free = not (_listening(self.port) or _listening(self.moto_port))
        self.stopped_cleanly = not exited_alone and said_stopped and ports_free
        how = "cleanly" if self.stopped_cleanly else "NOT cleanly"
        if exited_alone:
            how = f"by itself, status {self.proc.returncode}; see {self.log_path}"
        self.log(f"portal stopped ({how})")
        self.proc = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def reloads(self) -> int:
        """How often runserver's autoreloader restarted the web server (a file in the checkout
        changed): requests in flight then are retried by the client."""
        return self.log_text().count("changed, reloading")

    def _wait(self, ready, what: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"manage.py dev exited early:\n{self.log_text()[-3000:]}")
            time.sleep(0.2)
        raise RuntimeError(f"{what} was not ready within {timeout:.0f} s; see {self.log_path}")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
            return True
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
