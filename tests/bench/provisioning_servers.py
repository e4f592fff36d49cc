"""The processes the provisioning benchmark runs: moto, the Vault contract server, Celery workers.

`Processes` starts each in its own session with its output in a log file, and stops every one
of them (terminate, then kill the whole group) when the `with` block ends, error or not.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.moto_server import free_port

ROOT = Path(__file__).resolve().parents[2]


class Processes:
    """Every child process of the benchmark, stopped on exit whatever happened."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[tuple[str, subprocess.Popen]] = []

    def __enter__(self) -> "Processes":
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for old in self.log_dir.glob("*.log"):
            if old.name != "bench.log":
                old.unlink()  # an earlier run's: the delivery count reads every worker log
        return self

    def __exit__(self, *exc: object) -> None:
        for name, _ in list(reversed(self.started)):
            self.stop(name)

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "w+")  # noqa: SIM115 - closed in stop()
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        proc.log = log  # type: ignore[attr-defined]
        self.started.append((name, proc))
        return proc

    def stop(self, name: str) -> None:
        for entry in [e for e in self.started if e[0] == name]:
            proc = entry[1]
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            proc.log.close()  # type: ignore[attr-defined]
            self.started.remove(entry)

    def log_text(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    # --- the three kinds ---------------------------------------------------------------------

    def start_moto(self, env: dict[str, str]) -> str:
        port = free_port()
        proc = self.start(
            "moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env
        )
        url = f"http://127.0.0.1:{port}"
        self._wait(lambda: _answers(f"{url}/moto-api/"), proc, "moto")
        return url

    def start_vault(self, env: dict[str, str], token: str) -> str:
        proc = self.start(
            "vault", [sys.executable, "-m", "tests.bench.provisioning_vault", token], env
        )
        self._wait(lambda: self.log_text("vault").strip().startswith("http"), proc, "vault")
        url = self.log_text("vault").split()[0]
        self._wait(lambda: _answers(f"{url}/v1/sys/health", accept_errors=True), proc, "vault")
        return url

    def start_proxy(self, name: str, env: dict[str, str], upstream: str, latency: float) -> str:
        """tests/fault_proxy.py as a process of its own in front of `upstream`, every request
        `latency` seconds slower; returns its URL."""
        args = [sys.executable, "-m", "tests.fault_proxy", upstream, "--latency", str(latency)]
        proc = self.start(name, args, env)
        self._wait(lambda: self.log_text(name).strip().startswith("http"), proc, name)
        return self.log_text(name).split()[0]

    def start_worker(self, name: str, env: dict[str, str], app: str, queue: str) -> None:
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            app,
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "-Q",
            queue,
            "-n",
            f"{name}-{os.getpid()}@%h",
        ]
        proc = self.start(name, args, env)
        self._wait(lambda: "ready." in self.log_text(name), proc, name, timeout=90)

    def _wait(self, ready, proc: subprocess.Popen, name: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited early:\n{self.log_text(name)[-3000:]}")
            time.sleep(0.1)
        raise RuntimeError(f"{name} was not ready within {timeout:.0f} s")


def _answers(url: str, accept_errors: bool = False) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback
            return True
    except urllib.error.HTTPError:
        return accept_errors
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
