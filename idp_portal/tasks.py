"""Periodic housekeeping tasks of the portal itself."""

import datetime

from celery import shared_task
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from idp_portal import audit
from idp_portal.models import AuditEvent


@shared_task
def clear_expired_sessions() -> int:
    """Delete expired login sessions so the session table does not grow without bound."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task
def purge_audit_events() -> int:
    """Drop audit events older than AUDIT_RETENTION_DAYS; the purge itself is one event.

    Nothing to drop records nothing, so a daily run on a young trail leaves no noise.
    """
    days = settings.AUDIT_RETENTION_DAYS
    cutoff = timezone.now() - datetime.timedelta(days=days)
    purged = AuditEvent.objects.purge_older_than(cutoff)
    if purged:
        audit.record(
            None,
            "audit.purge",
            actor_name="retention",
            after={"purged": purged, "before": cutoff.isoformat(), "retention_days": days},
            detail=f"purged {purged} audit events older than {days} days",
        )
    return purged
