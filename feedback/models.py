"""Models of the feedback app, one module per part: survey, metrics, tickets, roadmap."""

from feedback.metrics.models import *  # noqa: F403
from feedback.roadmap.models import *  # noqa: F403
from feedback.survey.models import *  # noqa: F403
from feedback.tickets.models import *  # noqa: F403
