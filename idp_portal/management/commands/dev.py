import contextlib
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from idp_portal.demo import DEMO_PASSWORD, DEMO_USERS

MOTO_ADDR = os.environ.get("MOTO_ADDR", "127.0.0.1:5000")


class Command(BaseCommand):
    help = (
        "Run the portal locally: web server, Celery worker, Celery beat and a moto server (local "
        "AWS) in one foreground command. Ctrl-C stops them all."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--addr", default=os.environ.get("PORTAL_ADDR", "127.0.0.1:8000"))
        parser.add_argument(
            "--noreload",
            action="store_true",
            help="Do not restart the web server when a source file changes (benchmarks: a "
            "restart between a request's commit and its enqueue leaves it for the reconciler).",
        )

    def processes(self, addr: str, noreload: bool = False) -> dict[str, list[str]]:
        python = sys.executable
        moto = {}
        if not os.environ.get("AWS_ENDPOINT_URL"):
            # Local AWS: a moto server on loopback; web and worker inherit the endpoint below.
            os.environ.update(
                AWS_ENDPOINT_URL=f"http://{MOTO_ADDR}",
                AWS_ACCESS_KEY_ID="testing",
                AWS_SECRET_ACCESS_KEY="testing",  # noqa: S105 - moto accepts any key
                AWS_DEFAULT_REGION=os.environ.get("AWS_DEFAULT_REGION", "eu-west-1"),
            )
            host, port = MOTO_ADDR.split(":")
            moto = {"moto": [python, "-m", "moto.server", "-H", host, "-p", port]}
        return {
            **moto,
            "web": [python, "manage.py", "runserver", addr, *(["--noreload"] if noreload else [])],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "idp_portal",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "idp_portal",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
        }

    def handle(self, *args, addr: str, noreload: bool = False, **options) -> None:
        """1. Start each process in its own session; 2. wait; 3. on a signal or exit, stop all."""
        children = {
            name: subprocess.Popen(argv, start_new_session=True)  # noqa: S603
            for name, argv in self.processes(addr, noreload).items()
        }
        self.print_banner(addr)
        stopping = False

        def stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exited = None
        while not stopping and exited is None:
            time.sleep(0.5)
            exited = next((n for n, p in children.items() if p.poll() is not None), None)
        self.stop_all(children)
        if exited:
            self.stderr.write(
                f"'{exited}' exited with status {children[exited].returncode}; "
                "stopped the others. Its output above says why."
            )
            raise SystemExit(1)

    def stop_all(self, children: dict[str, subprocess.Popen]) -> None:
        """Ask each process to stop, then kill what is left of its process group."""
        for proc in children.values():
            if proc.poll() is None:
                proc.terminate()  # Celery finishes (or hands back) its task on SIGTERM
        deadline = time.monotonic() + 15
        for proc in children.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            # runserver's autoreloader serves from a child process that outlives its parent.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        self.stdout.write("Stopped the web server, worker and beat.")

    def print_banner(self, addr: str) -> None:
        users = ", ".join(username for username, *_ in DEMO_USERS)
        self.stdout.write(self.style.SUCCESS(f"\n  Platform portal: http://{addr}/"))
        self.stdout.write(f"  Demo logins: {users} — password: {DEMO_PASSWORD}")
        self.stdout.write(
            "  (admin is the platform admin, alice leads payments, bob is in payments,"
            " carol in search)"
        )
        self.stdout.write(f"  Local AWS (moto): {os.environ.get('AWS_ENDPOINT_URL')}")
        self.stdout.write(f"  Local data: {settings.DATA_DIR}   Stop: Ctrl-C\n")
