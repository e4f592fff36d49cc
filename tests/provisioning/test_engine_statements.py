"""The engine's writes are compiled once per shape and kept; what it sends must stay exactly
what Django's compiler makes of the same update, whatever values come later."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from provisioning import batched_writes
from provisioning.models import ProvisionedResource, ProvisioningRequest, RequestStep


def compiled_by_django(model, where: Q, **values) -> tuple:
    query = UpdateQuery(model)
    query.add_q(where)
    query.add_update_values(values)
    return comparable(query.get_compiler(connection=connection).as_sql())


def comparable(statement: tuple[str, tuple]) -> tuple:
    """psycopg's JSON wrappers have no equality of their own: compare type and content."""
    sql, params = statement
    return sql, [(type(p), getattr(p, "obj", p)) for p in params]


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
