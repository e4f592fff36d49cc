"""Models of the feedback app's tickets part: imported tickets, how they are classified, saved
export formats, and the portal's own help requests."""

from django.conf import settings
from django.db import models

from feedback.tickets.types import TYPE_CHOICES

__all__ = ["Ticket", "ClassificationRule", "ColumnMapping", "HelpRequest"]


class Ticket(models.Model):
    """One ticket imported from a tracker export (e.g. Jira), classified into a request type."""

    source = models.CharField(max_length=40, default="jira", help_text="Where it came from")
    key = models.CharField(max_length=100, help_text="The tracker's key, e.g. PLAT-123")
    created = models.DateTimeField()
    resolved = models.DateTimeField(null=True, blank=True)
    summary = models.CharField(max_length=500)
    labels = models.JSONField(default=list, blank=True)
    type = models.CharField(
        max_length=40, blank=True, help_text="Classified type slug; empty when no rule matched"
    )
    team = models.CharField(max_length=100, blank=True, help_text="Catalog team, if mappable")
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="one_ticket_per_source_key")
        ]
        indexes = [models.Index(fields=["created"], name="ticket_created")]

    def __str__(self) -> str:
        return f"{self.key} {self.summary[:60]}"

    @property
    def resolution_hours(self) -> float | None:
        if self.resolved is None:
            return None
        return (self.resolved - self.created).total_seconds() / 3600


class ClassificationRule(models.Model):
    """A keyword (in the summary/description) or a label that marks a ticket as a type; the
    highest priority matching rule wins."""

    class Field(models.TextChoices):
        KEYWORD = "keyword", "Keyword in summary or description"
        LABEL = "label", "Label"

    match = models.CharField(
        max_length=10, choices=Field.choices, default=Field.KEYWORD, help_text="What to look at"
    )
    pattern = models.CharField(
        max_length=100,
        help_text="A word or phrase (case does not matter), e.g. bucket; or a label, e.g. s3",
    )
    type = models.CharField(max_length=40, choices=TYPE_CHOICES, help_text="The type it marks")
    priority = models.PositiveSmallIntegerField(
        default=100, help_text="Higher wins when several rules match"
    )

    class Meta:
        ordering = ["-priority", "pattern"]
        constraints = [
            models.UniqueConstraint(fields=["match", "pattern"], name="one_rule_per_pattern")
        ]

    def __str__(self) -> str:
        return f"{self.get_match_display()} '{self.pattern}' → {self.type}"


class ColumnMapping(models.Model):
    """A named export format: which column of the CSV holds each field."""

    name = models.CharField(max_length=60, unique=True, help_text="e.g. Jira, ServiceNow")
    key_column = models.CharField(max_length=100, default="Issue key")
    created_column = models.CharField(max_length=100, default="Created")
    summary_column = models.CharField(max_length=100, default="Summary")
    labels_column = models.CharField(max_length=100, default="Labels")
    resolved_column = models.CharField(max_length=100, default="Resolved")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HelpRequest(models.Model):
    """A question or request sent to the platform team from the portal ("Ask the platform
    team"): the portal's own support tickets."""

    class Category(models.TextChoices):
        PROVISIONING = "provisioning", "Provisioning: something the catalog does not offer"
        ACCESS = "access", "Access or permissions"
        BROKEN = "broken", "Something is broken"
        HOW_TO = "how-to", "How do I…"
        FEEDBACK = "feedback", "An idea or feedback"

    class Status(models.TextChoices):
        NEW = "new", "New"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20, choices=Category.choices)
    description = models.TextField()
    service_name = models.CharField(max_length=63, blank=True)
    team = models.CharField(max_length=100, blank=True, help_text="The service's owner team")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_category_display()} from {self.user}"
