"""Demo data for the feedback app: every part seeds its own (survey cycles, 12 months of
deployments and requests, a ticket export, roadmap items)."""

from feedback.metrics import demo as metrics
from feedback.roadmap import demo as roadmap
from feedback.survey import demo as survey
from feedback.tickets import demo as tickets


def seed_feedback() -> list[str]:
    lines: list[str] = []
    for part in (metrics, tickets, survey, roadmap):
        lines += part.seed()
    return lines
