"""Compile the two hashed lock files from pyproject.toml (`make lock`).

requirements.lock holds what production runs (the image installs only it); requirements-dev.lock
holds the test and development tools on top of it, never a package the first one pins, so
`pip install --require-hashes -r requirements.lock -r requirements-dev.lock` installs both.
1. Resolve runtime and dev dependencies together, preferring the versions both locks pin now (a
   new package does not upgrade the others), so a dev tool can never need another version of a
   runtime package than production runs.
2. Resolve the runtime dependencies alone, constrained to that joint resolution: requirements.lock.
3. The joint resolution less every package of requirements.lock: requirements-dev.lock.
Usage: python .ci/lock.py [path to uv]
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
JOINT_LOCK = ROOT / "var" / "joint.lock"  # var/ is ignored by git
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==")
DEV_HEADER = (
    "# The test and development tools, on top of requirements.lock (never in the image).\n"
    "# Install both: pip install --require-hashes -r requirements.lock -r requirements-dev.lock\n"
    "# Regenerate both with `make lock` (.ci/lock.py) after editing pyproject.toml.\n"
)


def canonical(name: str) -> str:
    """A package name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def blocks(text: str) -> list[tuple[str, str]]:
    """(canonical name, its lines) for each pinned package of a uv lock file, in order."""
    found: list[tuple[str, list[str]]] = []
    for line in text.splitlines(keepends=True):
        match = PIN.match(line)
        if match:
            found.append((canonical(match.group(1)), [line]))
        elif found and line.startswith((" ", "\t")):
            found[-1][1].append(line)
    return [(name, "".join(lines)) for name, lines in found]


def pinned_names(path: Path) -> set[str]:
    """The canonical names a lock file pins (empty when it does not exist)."""
    return {name for name, _ in blocks(path.read_text())} if path.exists() else set()


def dev_only(joint: str, runtime: set[str]) -> str:
    """The joint lock's packages that requirements.lock does not pin, under the dev header."""
    kept = [lines for name, lines in blocks(joint) if name not in runtime]
    return DEV_HEADER + "".join(kept)


def compile_lock(uv: str, output: Path, *options: str) -> None:
    subprocess.run(  # noqa: S603 - fixed argument list
        [uv, "pip", "compile", str(ROOT / "pyproject.toml"), "--python-version", "3.11",
         "--generate-hashes", "--custom-compile-command", "make lock", "--quiet",
         "-o", str(output), *options],
        check=True, cwd=ROOT,
    )  # fmt: skip


def main(uv: str) -> None:
    # A fixed relative path: uv names the constraint file in requirements.lock's annotations,
    # so a temporary name would change the lock at every run.
    joint = JOINT_LOCK
    joint.parent.mkdir(parents=True, exist_ok=True)
    # uv prefers the versions already pinned in its output file: seed it with both locks.
    joint.write_text(
        "".join(path.read_text() for path in (RUNTIME_LOCK, DEV_LOCK) if path.exists())
    )
    try:
        compile_lock(uv, joint.relative_to(ROOT), "--extra", "dev")
        compile_lock(uv, RUNTIME_LOCK, "-c", str(joint.relative_to(ROOT)))
        DEV_LOCK.write_text(dev_only(joint.read_text(), pinned_names(RUNTIME_LOCK)))
    finally:
        joint.unlink(missing_ok=True)
    print(
        f"requirements.lock: {len(pinned_names(RUNTIME_LOCK))} packages; "
        f"requirements-dev.lock: {len(pinned_names(DEV_LOCK))} more"
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "uv")
