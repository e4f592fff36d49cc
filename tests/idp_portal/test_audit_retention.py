"""Retention: events older than AUDIT_RETENTION_DAYS are purged daily, and the purge is audited."""

import datetime

from django.conf import settings as django_settings
from django.utils import timezone

from idp_portal import audit
from idp_portal.models import AuditEvent
from idp_portal.tasks import purge_audit_events
from tests.helpers import run_portal


def event_aged(days: int, monkeypatch) -> AuditEvent:
    stamp = timezone.now() - datetime.timedelta(days=days)
    with monkeypatch.context() as m:
        m.setattr(timezone, "now", lambda: stamp)
        return audit.record(None, f"test.aged-{days}")


def test_events_past_retention_are_purged_and_the_purge_is_recorded(db, settings, monkeypatch):
    settings.AUDIT_RETENTION_DAYS = 30
    old, older = event_aged(31, monkeypatch), event_aged(400, monkeypatch)
    recent = event_aged(29, monkeypatch)
    assert purge_audit_events() == 2
    remaining = set(AuditEvent.objects.values_list("pk", flat=True))
    assert recent.pk in remaining and not {old.pk, older.pk} & remaining
    purge = AuditEvent.objects.get(action="audit.purge")
    assert purge.after["purged"] == 2 and purge.after["retention_days"] == 30
    assert purge.detail == "purged 2 audit events older than 30 days"
    assert purge.via == "worker" and purge.actor is None


def test_a_purge_with_nothing_to_drop_records_nothing(db, settings, monkeypatch):
    settings.AUDIT_RETENTION_DAYS = 400
    event_aged(399, monkeypatch)
    assert purge_audit_events() == 0
    assert not AuditEvent.objects.filter(action="audit.purge").exists()


def test_the_purge_runs_daily_from_beat():
    entry = django_settings.CELERY_BEAT_SCHEDULE["purge-audit-events"]
    assert entry == {"task": "idp_portal.tasks.purge_audit_events", "schedule": 86400.0}


def test_retention_defaults_to_400_days():
    assert django_settings.AUDIT_RETENTION_DAYS == 400


def test_a_retention_under_30_days_stops_start_up_with_the_variables_name(tmp_path):
    env = {"IDP_DATA_DIR": str(tmp_path), "DEBUG": "true", "AUDIT_RETENTION_DAYS": "7"}
    result = run_portal(["check"], env)
    assert result.returncode == 2
    assert "AUDIT_RETENTION_DAYS=7 is too small: use 30 or more" in result.stderr
