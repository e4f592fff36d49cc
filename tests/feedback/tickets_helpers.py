"""Builders for the tickets part's tests: CSV exports and tickets, one line each."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from feedback.tickets.models import Ticket
from provisioning.models import ProvisioningRequest

HEADER = "Issue key,Summary,Created,Resolved,Labels\n"


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "".join(row + "\n" for row in rows)).encode(encoding)


def make_ticket(key: str, type: str = "", days_ago: int = 1, hours: float | None = None, **f):
    created = timezone.now() - timedelta(days=days_ago)
    resolved = created + timedelta(hours=hours) if hours is not None else None
    return Ticket.objects.create(
        key=key, type=type, created=created, resolved=resolved, summary=key, **f
    )


def make_request(user, team, type: str = "s3-bucket", state: str = "succeeded", days_ago=1):
    request = ProvisioningRequest.objects.create(requester=user, team=team, type=type, state=state)
    ProvisioningRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    return request


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)
