"""Models of the feedback app's roadmap part: the public roadmap with votes and comments,
friction reports and office hours."""

from django.conf import settings
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.urls import reverse

from feedback.roadmap.choices import FrictionStatus, RoadmapStatus
from feedback.roadmap.querysets import OfficeHoursSessionQuerySet, RoadmapItemQuerySet

__all__ = [
    "FrictionReport",
    "OfficeHoursSession",
    "OfficeHoursSignup",
    "RoadmapComment",
    "RoadmapItem",
    "RoadmapVote",
    "SurveyTheme",
]

COMMENT_MAX = 2000
TOPIC_MAX = 300
QUARTER = RegexValidator(r"^\d{4}-Q[1-4]$", "Write the quarter as YYYY-Qn, e.g. 2027-Q1.")


class RoadmapItem(models.Model):
    """A piece of platform work on the public roadmap, edited by platform admins in the admin."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=RoadmapStatus.choices, default=RoadmapStatus.LATER
    )
    target_quarter = models.CharField(
        max_length=7, blank=True, validators=[QUARTER], help_text="e.g. 2027-Q1; blank if unknown."
    )
    shipped_at = models.DateField(null=True, blank=True)
    what_changed_url = models.URLField(
        "what changed link",
        blank=True,
        help_text="Release notes or docs that say what changed, for shipped items.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RoadmapItemQuerySet.as_manager()

    class Meta:
        ordering = ["status", "target_quarter", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("feedback:roadmap_item", args=[self.pk])


class RoadmapVote(models.Model):
    """One person's upvote of a roadmap item (at most one each)."""

    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "user"], name="roadmap_vote_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} votes for {self.item}"


class RoadmapComment(models.Model):
    """A comment under a roadmap item."""

    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="comments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    text = models.TextField(validators=[MaxLengthValidator(COMMENT_MAX)])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.user} on {self.item}"


class SurveyTheme(models.Model):
    """A theme the platform team read in a survey cycle's free-text answers, in its own words
    (never a quotation, so nobody is identified), with how many answers raised it, linked to
    the roadmap item that addresses it. Edited by platform admins in the admin."""

    cycle = models.ForeignKey(
        "feedback.SurveyCycle", on_delete=models.CASCADE, related_name="themes"
    )
    title = models.CharField(
        max_length=200, help_text="The theme in a few words, e.g. 'Database requests are slow'."
    )
    summary = models.TextField(
        blank=True,
        validators=[MaxLengthValidator(1000)],
        help_text="What people asked for, summarised in your words: never quote an answer.",
    )
    mentions = models.PositiveIntegerField(
        help_text="How many answers raise it. Shown as 'fewer than 5' below five, like every "
        "other survey figure."
    )
    roadmap_item = models.ForeignKey(
        RoadmapItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_themes",
        help_text="The roadmap item that addresses it, if any: shown on both pages.",
    )

    class Meta:
        ordering = ["cycle", "-mentions", "title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.cycle})"

    @property
    def mentions_label(self) -> str:
        """The count as the results page shows counts: hidden below the minimum group."""
        from feedback.survey.results import MIN_GROUP

        if self.mentions < MIN_GROUP:
            return f"fewer than {MIN_GROUP} answers"
        return f"{self.mentions} answers"


class FrictionReport(models.Model):
    """Something confusing a user met on a page, for the platform team to triage."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="friction_reports"
    )
    page = models.CharField(max_length=500, blank=True, help_text="The local path reported from.")
    trying_to = models.TextField(validators=[MaxLengthValidator(2000)])
    what_happened = models.TextField(validators=[MaxLengthValidator(2000)])
    status = models.CharField(
        max_length=10, choices=FrictionStatus.choices, default=FrictionStatus.NEW
    )
    roadmap_item = models.ForeignKey(
        RoadmapItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="friction_reports",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Friction #{self.pk} on {self.page or 'an unknown page'}"


class OfficeHoursSession(models.Model):
    """A platform-team office hours slot; its notes are shown to everyone once it is over."""

    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    where = models.CharField(max_length=300, help_text="A video-call link or a room.")
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    notes = models.TextField(
        blank=True, help_text="Plain text (markdown is shown as written), shown after the session."
    )

    objects = OfficeHoursSessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"Office hours {self.starts_at:%Y-%m-%d %H:%M} UTC"

    @property
    def where_is_link(self) -> bool:
        return self.where.startswith(("https://", "http://"))


class OfficeHoursSignup(models.Model):
    """One person's place at an office hours session, with what they want to talk about."""

    session = models.ForeignKey(
        OfficeHoursSession, on_delete=models.CASCADE, related_name="signups"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    topic = models.CharField(max_length=TOPIC_MAX)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session__starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"], name="office_hours_signup_once_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.session}"
