"""The load benchmark's web server and its sampler of every process's CPU and memory.

`start_gunicorn` runs gunicorn under tests/bench/provisioning_servers.Processes (so it is
stopped with the rest, error or not). `Sampler` reads, once a second, the CPU time and RSS of
the processes that serve the load: gunicorn's master and workers, the Celery workers (main
process and pool child), PostgreSQL's backends, Redis, moto and locust itself, so the report
says which of them used the CPUs rather than guessing.
"""

import sys
import threading
import time
from collections import defaultdict

import psutil

from tests.bench.provisioning_servers import Processes, _answers

WEB_WORKERS = 4


def start_gunicorn(processes: Processes, env: dict[str, str], port: int) -> psutil.Process:
    """gunicorn with WEB_WORKERS sync workers on loopback; returns its master once every
    worker answers."""
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "idp_portal.wsgi:application",
        "--workers",
        str(WEB_WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "120",
    ]
    proc = processes.start("gunicorn", args, env)
    master = psutil.Process(proc.pid)
    processes._wait(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), proc, "gunicorn", 90)
    processes._wait(lambda: len(master.children()) == WEB_WORKERS, proc, "gunicorn", 30)
    return master


class Sampler:
    """CPU seconds per process group during a level, and peak RSS per named process.

    Groups: web (gunicorn), celery, PostgreSQL (the backends of `database`), Redis, moto,
    locust, and "other": what the machine's CPUs did besides (other programs, the kernel)."""

    def __init__(self, gunicorn: psutil.Process, celery: list[int], moto: int, database: str):
        self.gunicorn, self.celery_pids, self.moto = gunicorn, celery, moto
        self.database = database
        self.locust: int | None = None
        self.interval = 1.0
        self.names: dict[int, str] = {}
        self.peaks: dict[str, float] = {}
        self.last_cpu: dict[int, float] = {}
        self.level_cpu: dict[str, float] = defaultdict(float)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.level_started = 0.0
        self.machine_started = psutil.cpu_times()

    # --- the processes ---------------------------------------------------------------------

    def _named(self) -> list[tuple[str, str, psutil.Process]]:
        """(group, name, process) of every process to read now."""
        found = [("web", "gunicorn master", self.gunicorn)]
        for child in sorted(self.gunicorn.children(), key=lambda p: p.pid):
            if child.pid not in self.names:  # a worker restarted by gunicorn gets a new number
                workers = sum(1 for n in self.names.values() if n.startswith("gunicorn worker"))
                self.names[child.pid] = f"gunicorn worker {workers + 1}"
            found.append(("web", self.names[child.pid], child))
        for n, pid in enumerate(self.celery_pids, start=1):
            main = psutil.Process(pid)
            found.append(("celery", f"celery worker {n} (main)", main))
            found += [("celery", f"celery worker {n} (pool)", c) for c in main.children()]
        found.append(("moto", "moto server", psutil.Process(self.moto)))
        if self.locust:
            found.append(("locust", "locust", psutil.Process(self.locust)))
        return found

    def _servers(self) -> list[tuple[str, psutil.Process]]:
        """PostgreSQL's backends serving the bench database, and Redis (one server, shared
        with whatever else runs on the machine)."""
        found = []
        for proc in psutil.process_iter(["name", "cmdline"]):
            command = " ".join(proc.info["cmdline"] or ())
            if proc.info["name"] == "postgres" and f" {self.database} " in command:
                found.append(("PostgreSQL", proc))
            elif proc.info["name"] == "redis-server":
                found.append(("Redis", proc))
        return found

    # --- sampling --------------------------------------------------------------------------

    def sample(self) -> None:
        named = [(g, n, p) for g, n, p in self._safe(self._named)]
        every = [(g, None, p) for g, p in self._safe(self._servers)] + named
        with self.lock:
            for group, name, proc in every:
                try:
                    times = proc.cpu_times()
                    rss = proc.memory_info().rss / 1024**2 if name else 0.0
                except psutil.Error:
                    continue  # it ended between listing and reading
                cpu = times.user + times.system
                previous = self.last_cpu.get(proc.pid)
                self.last_cpu[proc.pid] = cpu
                if previous is not None and cpu >= previous:
                    self.level_cpu[group] += cpu - previous
                if name:
                    self.peaks[name] = max(self.peaks.get(name, 0.0), rss)

    @staticmethod
    def _safe(read) -> list:
        try:
            return read()
        except psutil.Error:
            return []

    def _loop(self) -> None:
        while not self.stopping.wait(self.interval):
            self.sample()

    def __enter__(self) -> "Sampler":
        self.sample()
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)

    # --- per level -------------------------------------------------------------------------

    def start_level(self, locust_pid: int) -> None:
        self.locust = locust_pid
        self.sample()
        with self.lock:
            self.level_cpu.clear()
            self.level_started = time.monotonic()
            self.machine_started = psutil.cpu_times()

    def end_level(self) -> tuple[dict[str, float], float]:
        """CPUs busy per group since start_level (1.0 = one CPU), and the machine's share."""
        self.sample()
        with self.lock:
            wall = max(1e-6, time.monotonic() - self.level_started)
            per_group = {group: seconds / wall for group, seconds in self.level_cpu.items()}
            machine = busy_share(self.machine_started, psutil.cpu_times())
        cpus = psutil.cpu_count() or 1
        per_group["other"] = max(0.0, machine * cpus - sum(per_group.values()))
        self.locust = None
        return per_group, machine


def busy_share(before, after) -> float:
    """Share (0..1) of all CPUs busy between two psutil.cpu_times() readings."""
    idle = (after.idle - before.idle) + (
        getattr(after, "iowait", 0.0) - getattr(before, "iowait", 0.0)
    )
    total = sum(after) - sum(before)
    return 0.0 if total <= 0 else max(0.0, min(1.0, 1 - idle / total))
