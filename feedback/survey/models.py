"""Models of the feedback app's survey part: quarterly cycles, their questions, and anonymous
responses.

Anonymity: while a cycle is open a Response points at its user (so the user can edit it);
when the cycle closes the link is cut (`services.close_cycle`) and only `Participation`
("this user answered", nothing more) remains. Response ids are random UUIDs and their times
are truncated to the day on close, so neither order nor time ties a response to a person;
answers have random ids for the same reason.
"""

import uuid

from django.conf import settings
from django.db import models

from feedback.survey.choices import CycleStatus, Dimension, QuestionKind

__all__ = ["SurveyCycle", "Question", "Response", "Answer", "Participation"]


class SurveyCycle(models.Model):
    """One quarter's survey: open between `opens_at` and `closes_at`."""

    quarter = models.CharField(
        max_length=7, unique=True, help_text='The quarter it asks about, e.g. "2026-Q4".'
    )
    opens_at = models.DateTimeField(help_text="When the survey opens (the task opens it).")
    closes_at = models.DateTimeField(help_text="When it closes; answers are anonymised then.")
    status = models.CharField(max_length=8, choices=CycleStatus, default=CycleStatus.DRAFT)

    class Meta:
        ordering = ["-opens_at"]

    def __str__(self) -> str:
        return f"{self.quarter} survey"

    @property
    def short_label(self) -> str:
        """ "Q4" from "2026-Q4"."""
        return self.quarter.rpartition("-")[2] or self.quarter

    @property
    def is_open(self) -> bool:
        return self.status == CycleStatus.OPEN


class Question(models.Model):
    """One question of a cycle, asked in `position` order."""

    cycle = models.ForeignKey(SurveyCycle, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    kind = models.CharField(max_length=8, choices=QuestionKind, default=QuestionKind.LIKERT)
    choices = models.JSONField(
        default=list, blank=True, help_text="For one/several choices: a list of option texts."
    )
    required = models.BooleanField(default=False)
    why_follow_up = models.BooleanField(
        default=False, help_text='Ask an optional "why?" under the answer.'
    )
    why_prompt = models.CharField(max_length=200, blank=True, default="Why? (optional)")
    dimension = models.CharField(
        max_length=16, choices=Dimension, blank=True, help_text="DX Core 4 dimension, if any."
    )

    class Meta:
        ordering = ["cycle", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "position"], name="survey_question_position")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"

    @property
    def field_name(self) -> str:
        return f"q{self.pk}"

    @property
    def why_field_name(self) -> str:
        return f"q{self.pk}-why"


class Response(models.Model):
    """One person's answers to one cycle; `user` is cut when the cycle closes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cycle = models.ForeignKey(SurveyCycle, on_delete=models.CASCADE, related_name="responses")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team_name = models.CharField(
        max_length=200, blank=True, help_text="The respondent's team when they first answered."
    )
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # NULLs are distinct, so detached responses never collide.
            models.UniqueConstraint(fields=["cycle", "user"], name="survey_one_response_per_user")
        ]

    def __str__(self) -> str:
        return f"response to {self.cycle.quarter}"


class Answer(models.Model):
    """The value given to one question (an int, a choice, a list of choices or text)."""

    # Random, like Response's: sequential ids would order answers in time, and so line them
    # up with the audit trail's "finished the survey" events.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    value = models.JSONField()
    why = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="survey_one_answer")
        ]

    def __str__(self) -> str:
        return f"answer to {self.question_id}"


class Participation(models.Model):
    """That a user answered a cycle, and nothing about what they answered."""

    cycle = models.ForeignKey(SurveyCycle, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cycle", "user"], name="survey_one_participation")
        ]

    def __str__(self) -> str:
        return f"participation in {self.cycle.quarter}"
