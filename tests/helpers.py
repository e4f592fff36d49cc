"""Run the portal's own commands in a child process with a chosen environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# Variables the child gets only when a test passes them: its configuration is the test's alone.
PORTAL_VARIABLES = {
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "SECRET_KEY",
    "DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def run_portal(code_or_args: list[str], env: dict[str, str], timeout: int = 60):
    """Run `python manage.py ARGS` (or `python -c CODE` when the list starts with -c) in ROOT."""
    base = {k: v for k, v in os.environ.items() if k not in PORTAL_VARIABLES}
    argv = (
        [sys.executable, *code_or_args]
        if code_or_args[0] == "-c"
        else [sys.executable, "manage.py", *code_or_args]
    )
    return subprocess.run(
        argv, cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=timeout
    )
