"""Schemathesis against the live portal: every operation in /api/schema, called with
generated input, never answers 500 and always answers what the description says.

A member of a team that owns a service calls with a write token, so writes get past sign-in
and reach validation (a provisioning request it manages to submit is only queued: no worker
runs here). Bounded and reproducible: a few derandomized examples per operation.

The operations are run from one test with Hypothesis directly: schemathesis' pytest loader
(`from_fixture`) reads `Node._nodeid`, which pytest 9.2 no longer has.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.factories import make_component, make_token
from tests.provisioning.conftest import default_environment

BOUNDED = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# No 500, and every answer as described: status, content type, body, headers; and no
# operation answers without credentials. Not "every schema-valid input is accepted": a
# filter or cursor can match the schema's types and still be refused with a 400 that says why.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.ignored_auth,
]


@pytest.fixture
def write_token(transactional_db, personas) -> str:
    make_component("petstore", owner=personas.team)
    default_environment("dev")
    return make_token(personas.teammate, scope="write", days=1)[1]


def problems_of(operation, auth: dict) -> str:
    """ "" when every generated call to `operation` passed every check, else the report."""

    @BOUNDED
    @given(case=operation.as_strategy())
    def call(case):
        case.call_and_validate(headers=auth, checks=CHECKS)

    try:
        call()
    except (AssertionError, BaseExceptionGroup) as exc:  # every operation reports, then fail
        return f"{type(exc).__name__}: {exc}"
    return ""


def test_every_operation_answers_as_described(live_server, write_token):
    auth = {"Authorization": f"Bearer {write_token}"}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema", headers=auth)
    operations = [result.ok() for result in schema.get_all_operations()]
    # Every operation but GET /api/schema, which schemathesis leaves out as the schema's own URL.
    assert len(operations) >= 10
    problems = {op.label: problems_of(op, auth) for op in operations}
    failed = {label: text for label, text in problems.items() if text}
    assert not failed, "\n\n".join(f"{label}\n{text}" for label, text in failed.items())
