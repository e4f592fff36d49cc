"""The engine's and submit's writes are compiled once per shape and kept; what they send must
stay exactly what Django's compiler makes of the same write, whatever values come later."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.db.models.sql import InsertQuery, UpdateQuery
from django.db.models.sql.compiler import SQLInsertCompiler
from django.utils import timezone

from idp_portal import audit
from provisioning import batched_writes, services
from provisioning.models import ProvisionedResource, ProvisioningRequest, RequestEvent, RequestStep
from tests.provisioning.test_engine import BUCKET


def compiled_by_django(model, where: Q, **values) -> tuple:
    query = UpdateQuery(model)
    query.add_q(where)
    query.add_update_values(values)
    return comparable(query.get_compiler(connection=connection).as_sql())


def comparable(statement: tuple[str, tuple]) -> tuple:
    """psycopg's JSON wrappers have no equality of their own: compare type and content (of
    each value in a column of values too)."""
    sql, params = statement
    return sql, [plain(p) for p in params]


def plain(param):
    if isinstance(param, list):
        return [plain(p) for p in param]
    return type(param), getattr(param, "obj", param)


NOW = timezone.now()


@pytest.mark.parametrize(
    ("model", "where", "values"),
    [
        (RequestStep, {"pk": 7}, {"attempts": 2, "state": "running", "started_at": NOW}),
        (RequestStep, {"pk": 8}, {"attempts": 1, "state": "running", "started_at": NOW}),
        (
            ProvisionedResource,
            {"provider": "aws", "kind": "s3-bucket", "name": "b"},
            {"state": "active", "tags": {"team": "x"}, "config": {}, "drift": []},
        ),
        (ProvisioningRequest, {"pk": 3}, {"state": "succeeded", "heartbeat_at": None}),
        (ProvisioningRequest, {"pk": 3}, {"heartbeat_at": NOW + timedelta(seconds=9)}),
        (ProvisioningRequest, {"pk": 3, "worker": None}, {"state": "queued"}),
    ],
)
def test_a_kept_update_is_what_django_compiles(db, model, where, values):
    first = comparable(batched_writes.update_statement(model, where, values))
    again = comparable(batched_writes.update_statement(model, where, values))  # kept SQL
    assert first == again == compiled_by_django(model, Q(*where.items()), **values)


def test_a_value_that_becomes_null_gets_an_update_of_its_own(db):
    stored = batched_writes.update_statement(ProvisioningRequest, {"pk": 1}, {"heartbeat_at": NOW})
    cleared = batched_writes.update_statement(
        ProvisioningRequest, {"pk": 1}, {"heartbeat_at": None}
    )
    assert comparable(cleared) == compiled_by_django(
        ProvisioningRequest, Q(pk=1), heartbeat_at=None
    )
    assert stored[0] != cleared[0] and None not in cleared[1]


def compiled_insert(objs: list) -> list[tuple]:
    """Django's INSERT: its generic compiler's rows listed in VALUES up to ROWS_LISTED rows,
    else the database's own compiler's (UNNEST on PostgreSQL)."""
    query = InsertQuery(type(objs[0]))
    query.insert_values([f for f in type(objs[0])._meta.concrete_fields if not f.primary_key], objs)
    if len(objs) <= batched_writes.ROWS_LISTED:
        compiler = SQLInsertCompiler(query, connection, connection.alias)
    else:
        compiler = query.get_compiler(connection=connection)
    return [comparable(statement) for statement in compiler.as_sql()]


@pytest.mark.parametrize("rows", [1, 2, 3, batched_writes.ROWS_LISTED + 1])
def test_a_kept_insert_is_what_django_compiles(personas, petstore, dev, monkeypatch, rows):
    monkeypatch.setattr(timezone, "now", lambda: NOW)  # the same auto_now_add time each time
    request = services.submit_request(personas.teammate, "s3-bucket", petstore, dev, BUCKET)
    step = request.steps.get()
    resource = request.resources.get()
    makers = (
        lambda n: RequestEvent(request=request, actor="w", kind="info", message=f"m{n}"),
        lambda n: RequestStep(request=request, position=n, name="s", resource=step.resource),
        lambda n: ProvisionedResource(
            team=resource.team, request=request, provider="aws", kind="k", name=f"n{n}",
            tags={"a": "b"}, config={},
        ),
        lambda n: audit.new_event(personas.teammate, "request.create", request, after={"n": n}),
    )  # fmt: skip
    for make in makers:
        objs = [make(n) for n in range(rows)]
        first = [comparable(s) for s in batched_writes.insert_statements(objs)]
        again = [comparable(s) for s in batched_writes.insert_statements(objs)]  # kept SQL
        assert first == again == compiled_insert(objs)


@pytest.mark.django_db
def test_a_request_and_a_step_carry_no_index_a_unique_index_already_starts_with():
    """Every index is written by each insert and each state change of a request: the lookups
    by requester and by a step's request use the unique indexes that start with those columns
    (migration 0009)."""
    for model, column, unique in [
        (ProvisioningRequest, "requester_id", ["requester_id", "idempotency_key"]),
        (RequestStep, "request_id", ["request_id", "position"]),
    ]:
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
        indexed = [c["columns"] for c in constraints.values() if c["index"] or c["unique"]]
        assert [column] not in indexed, model
        assert unique in indexed, model
