"""Models of the feedback app's metrics part: lead-time baselines and pilot programmes."""

from django.core.exceptions import ValidationError
from django.db import models

__all__ = ["LeadTimeBaseline", "PilotProgramme"]


class LeadTimeBaseline(models.Model):
    """How long one resource type took before the portal ("before" figures the platform team
    measured from its ticket history), to compare the provisioning lead time against."""

    resource_type = models.CharField(
        max_length=40,
        unique=True,
        help_text="The request type as the portal names it, e.g. s3-bucket or postgres-database",
    )
    hours_p50 = models.DecimalField(
        "hours, median (p50)",
        max_digits=8,
        decimal_places=1,
        help_text="Median hours from asking to having the resource, before the portal",
    )
    hours_p90 = models.DecimalField(
        "hours, p90",
        max_digits=8,
        decimal_places=1,
        help_text="Hours within which 90% of such requests were done, before the portal",
    )
    source = models.CharField(
        max_length=300,
        help_text="Where the figures come from, e.g. 'Jira PLAT tickets, Jan–Jun 2025, n=84'",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["resource_type"]

    def __str__(self) -> str:
        return f"{self.resource_type}: p50 {self.hours_p50} h, p90 {self.hours_p90} h before"

    def clean(self) -> None:
        if (
            self.hours_p50 is not None
            and self.hours_p90 is not None
            and self.hours_p90 < self.hours_p50
        ):
            raise ValidationError({"hours_p90": "p90 cannot be below p50: check the two figures"})


class PilotProgramme(models.Model):
    """A few teams (3 to 5) that adopt the portal first, from a start date, so their figures
    before and after can be compared."""

    MIN_TEAMS, MAX_TEAMS = 3, 5

    name = models.CharField(max_length=100, unique=True, help_text="e.g. Spring pilot")
    teams = models.ManyToManyField(
        "catalog.Team",
        related_name="+",
        help_text="The 3 to 5 teams in the pilot",
    )
    start_date = models.DateField(help_text="The day the pilot teams started using the portal")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "name"]

    def __str__(self) -> str:
        return f"{self.name} (from {self.start_date})"
