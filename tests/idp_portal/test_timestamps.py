"""Timestamps from GitHub and Argo CD answers: read when they are timestamps, None otherwise."""

from datetime import UTC, datetime, timedelta

import pytest

from idp_portal.timestamps import api_time


def test_z_is_utc_and_an_offset_is_kept():
    assert api_time("2026-12-07T10:00:00Z") == datetime(2026, 12, 7, 10, tzinfo=UTC)
    plus_two = api_time("2026-12-07T12:00:00+02:00")
    assert plus_two.utcoffset() == timedelta(hours=2)
    assert plus_two == datetime(2026, 12, 7, 10, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, "", 1733565600, "yesterday", "2026-13-01T00:00:00Z"])
def test_anything_else_is_none(value):
    assert api_time(value) is None
