"""Planner settings last for the statement they are for, not for the caller's transaction."""

import pytest
from django.db import connection, transaction

from catalog.planner import planner_settings

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL planner settings"),
]


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return cursor.fetchone()[0]


def test_inside_the_block_the_settings_apply_and_after_it_the_callers_are_back():
    with transaction.atomic():  # as a caller's transaction (and every test's) is
        assert _setting("enable_sort") == "on"
        with planner_settings("default", {"enable_sort": "off", "parallel_tuple_cost": "0"}):
            assert (_setting("enable_sort"), _setting("parallel_tuple_cost")) == ("off", "0")
        assert (_setting("enable_sort"), _setting("parallel_tuple_cost")) == ("on", "0.1")


def test_no_settings_runs_the_block_as_it_is():
    with planner_settings("default", {}):
        assert _setting("enable_sort") == "on"
