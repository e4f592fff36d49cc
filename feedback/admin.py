"""The feedback app's admin: each part registers its own models."""

from feedback.metrics import admin as metrics_admin  # noqa: F401
from feedback.roadmap import admin as roadmap_admin  # noqa: F401
from feedback.survey import admin as survey_admin  # noqa: F401
from feedback.tickets import admin as tickets_admin  # noqa: F401
