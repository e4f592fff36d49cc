"""The shipped skeletons are real services: rendered, their own tests pass."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from provisioning.golden_paths.planning import render_repository
from provisioning.golden_paths.services import new_service
from provisioning.models import Environment


def render_to(tmp_path: Path, gp, team) -> Path:
    values = {s["name"]: s["default"] for s in gp.parameters}
    staging = Environment.objects.get(name="staging")
    svc = new_service(gp, "checkout-api", team, 'Takes "card" payments', values, staging)
    for path, text in render_repository(svc).items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return tmp_path


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_python_service_passes_its_own_tests_and_lint(tmp_path, python_http, personas):
    repo = render_to(tmp_path, python_http, personas.team)
    tests = run([sys.executable, "-m", "unittest", "discover", "-s", "tests", "-t", "."], repo)
    assert tests.returncode == 0, tests.stderr
    assert "Ran 8 tests" in tests.stderr
    ruff = Path(sys.executable).with_name("ruff")
    lint = run([str(ruff), "check", "--no-cache", "."], repo)
    assert lint.returncode == 0, lint.stdout
    fmt = run([str(ruff), "format", "--check", "--no-cache", "."], repo)
    assert fmt.returncode == 0, fmt.stdout


def test_the_python_service_has_what_a_production_service_needs(tmp_path, python_http, personas):
    repo = render_to(tmp_path, python_http, personas.team)
    assert 'CMD ["python", "-m", "app"]' in (repo / "Dockerfile").read_text()
    assert "USER 10001" in (repo / "Dockerfile").read_text()
    assert "checkout-api" in (repo / "README.md").read_text()
    assert (repo / "catalog-info.yaml").exists()


@pytest.mark.skipif(not shutil.which("node"), reason="Node.js is not installed")
def test_the_node_service_passes_its_own_tests(tmp_path, node_http, personas):
    repo = render_to(tmp_path, node_http, personas.team)
    tests = run(["node", "--test"], repo)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "# pass 6" in tests.stdout
    for source in sorted((repo / "src").glob("*.js")):
        assert run(["node", "--check", str(source)], repo).returncode == 0, source
