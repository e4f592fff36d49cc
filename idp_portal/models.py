"""The portal's own records: the append-only audit trail."""

from django.conf import settings
from django.db import models


class AuditImmutable(Exception):
    """An audit event was about to be changed or deleted: the trail is append-only."""


class AuditEventQuerySet(models.QuerySet):
    """Reads only: bulk update and delete are refused, so no code path can rewrite history."""

    def update(self, **kwargs):
        raise AuditImmutable("audit events cannot be changed")

    def delete(self):
        raise AuditImmutable("audit events cannot be deleted; retention purges old ones")

    def purge_older_than(self, cutoff) -> int:
        """The one way rows leave: the retention task drops whole days past AUDIT_RETENTION_DAYS."""
        return models.QuerySet.delete(self.filter(at__lt=cutoff))[0]


class AuditEvent(models.Model):
    """One write (or refused attempt) in the portal: who, what, to which object, from where.

    Names and references are copied as text, so an event still reads right after the user,
    team or object it names is gone.
    """

    class Via(models.TextChoices):
        WEB = "web", "web"
        API = "api", "API"
        ADMIN = "admin", "admin"
        CLI = "cli", "command line"
        WORKER = "worker", "worker"

    class Outcome(models.TextChoices):
        OK = "ok", "done"
        DENIED = "denied", "refused"
        FAILED = "failed", "failed"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.OK)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    team = models.CharField(max_length=200, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    detail = models.TextField(blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    via = models.CharField(max_length=8, choices=Via.choices, default=Via.WEB)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["actor_name", "-at"], name="audit_actor_at")]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name or '-'} {self.action} {self.object_repr}"
        )

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AuditImmutable("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("audit events cannot be deleted")
