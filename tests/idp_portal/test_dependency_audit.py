"""`make audit` fails on a known vulnerability and never passes when nothing was checked."""

import importlib.util

from tests.helpers import ROOT

spec = importlib.util.spec_from_file_location(
    "audit_dependencies", ROOT / ".ci/audit_dependencies.py"
)
audit_dependencies = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit_dependencies)
verdict = audit_dependencies.verdict

# pip-audit's JSON report (`--format json`): audited dependencies carry "vulns", skipped ones a
# "skip_reason" instead.
CLEAN = {"name": "django", "version": "5.2.8", "vulns": []}
SKIPPED = {
    "name": "celery",
    "skip_reason": "Dependency not found on PyPI and could not be audited: celery (5.5.3)",
}
VULNERABLE = {
    "name": "requests",
    "version": "2.31.0",
    "vulns": [
        {
            "id": "GHSA-9wx4-h78v-vm56",
            "fix_versions": ["2.32.0"],
            "aliases": ["CVE-2024-35195"],
            "description": "...",
        }
    ],
}


def test_a_known_vulnerability_fails_the_run_and_names_it():
    code, message = verdict({"dependencies": [CLEAN, VULNERABLE, SKIPPED]})
    assert code == 1
    assert "requests 2.31.0: GHSA-9wx4-h78v-vm56 (fixed in 2.32.0)" in message


def test_nothing_audited_means_the_service_was_unreachable_and_says_not_checked():
    code, message = verdict({"dependencies": [SKIPPED, SKIPPED]})
    assert (code, message) == (0, "pip-audit: advisory service unreachable, NOT checked")


def test_a_clean_audit_says_how_many_were_checked_and_skipped():
    code, message = verdict({"dependencies": [CLEAN, CLEAN, SKIPPED]})
    assert code == 0
    assert message == (
        "pip-audit: 2 dependencies checked, no known vulnerabilities "
        "(1 skipped: not found on the advisory service)"
    )


def test_security_runs_in_ci_after_the_tests():
    run = (ROOT / ".ci/run").read_text()
    assert run.index("make test") < run.index("make security")
    makefile = (ROOT / "Makefile").read_text()
    assert "security: deploy-check bandit audit" in makefile
