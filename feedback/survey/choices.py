"""Choices of the developer-experience survey."""

from django.db import models


class CycleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class QuestionKind(models.TextChoices):
    LIKERT = "likert", "Agreement, 1–5"
    NPS = "nps", "Likelihood, 0–10 (NPS)"
    SINGLE = "single", "One choice"
    MULTIPLE = "multiple", "Several choices"
    TEXT = "text", "Free text"


class Dimension(models.TextChoices):
    """The four dimensions of the DX Core 4 framework."""

    SPEED = "speed", "Speed"
    EFFECTIVENESS = "effectiveness", "Effectiveness"
    QUALITY = "quality", "Quality"
    IMPACT = "impact", "Impact"


LIKERT_LABELS = {
    1: "Strongly disagree",
    2: "Disagree",
    3: "Neither",
    4: "Agree",
    5: "Strongly agree",
}
FREE_TEXT_LIMIT = 2000
