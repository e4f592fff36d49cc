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


class ApiTokenQuerySet(models.QuerySet):
    def for_user(self, user) -> "ApiTokenQuerySet":
        """A user's own tokens: nobody, platform admins included, sees another's."""
        return self.filter(user=user) if getattr(user, "is_authenticated", False) else self.none()


class ApiToken(models.Model):
    """A personal access token for the JSON API, sent as `Authorization: Bearer <token>`.

    Only the token's SHA-256 is stored: the token itself is shown once, at creation. `prefix`
    is its first characters, not secret, so a person can tell their tokens apart.
    """

    class Scope(models.TextChoices):
        READ = "read", "read: GET requests only"
        WRITE = "write", "write: read, and submit provisioning requests"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # When a read use was last written to the audit trail (reads are audited hourly per token).
    use_audited_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_active(self, now) -> bool:
        return self.revoked_at is None and self.expires_at > now

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE
