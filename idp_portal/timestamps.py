"""Timestamps as the APIs the portal reads send them (GitHub, Argo CD): RFC 3339 text."""

from datetime import datetime


def api_time(value: object) -> datetime | None:
    """The moment `value` names ("2026-12-07T10:00:00Z", or with an offset); None when it is
    absent, not text or not a timestamp, so one odd field never fails a whole answer."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
