"""pip-audit of both lock files (production and development), never passing silently when nothing
was checked.

pip-audit exits 0 with "No known vulnerabilities found" when the advisory service cannot be
reached: every dependency is then skipped ("not found on PyPI"). This reads its JSON report:
1. a dependency with a known vulnerability fails the run (exit 1), naming it and the advisory;
2. no dependency audited at all means the service was unreachable: say so plainly, exit 0;
3. otherwise report how many were checked (and how many skipped), exit 0.
pip-audit failing without a report fails the run too, unless its error is a network one.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE = "pip-audit: advisory service unreachable, NOT checked"
NETWORK_ERRORS = (
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Connection refused",
)


def verdict(report: dict) -> tuple[int, str]:
    """(exit code, message) for pip-audit's JSON report."""
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    if vulnerable:
        lines = [
            f"  {d['name']} {d.get('version', '?')}: {v['id']}"
            + (f" (fixed in {', '.join(v['fix_versions'])})" if v.get("fix_versions") else "")
            for d in vulnerable
            for v in d["vulns"]
        ]
        return 1, "pip-audit: known vulnerabilities in the lock files:\n" + "\n".join(lines)
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        return 0, UNREACHABLE
    skipped = len(dependencies) - len(audited)
    note = f" ({skipped} skipped: not found on the advisory service)" if skipped else ""
    return 0, f"pip-audit: {len(audited)} dependencies checked, no known vulnerabilities{note}"


def run_pip_audit() -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        process = subprocess.run(  # noqa: S603 - fixed argument list, our own virtualenv
            [
                str(Path(sys.executable).parent / "pip-audit"),
                "--requirement", str(ROOT / "requirements.lock"),
                "--requirement", str(ROOT / "requirements-dev.lock"),
                "--require-hashes", "--disable-pip", "--progress-spinner", "off",
                "--format", "json", "--output", str(out),
            ],
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        if out.exists() and out.stat().st_size:
            return verdict(json.loads(out.read_text()))
    if any(error in process.stderr for error in NETWORK_ERRORS):
        return 0, f"{UNREACHABLE}\n{process.stderr.strip()[-500:]}"
    return process.returncode or 1, f"pip-audit failed:\n{process.stderr.strip()[-2000:]}"


if __name__ == "__main__":
    code, message = run_pip_audit()
    print(message)
    sys.exit(code)
