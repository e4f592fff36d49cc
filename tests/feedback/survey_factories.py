"""Small makers for the survey tests (kept beside them so the four feedback parts do not all
edit tests/factories.py at once; the integrator may move them there)."""

from datetime import timedelta

from django.utils import timezone

from feedback.survey import services
from feedback.survey.choices import CycleStatus, QuestionKind
from feedback.survey.models import Question, SurveyCycle
from tests.factories import add_member, make_team, make_user


def make_cycle(quarter: str = "2026-Q4", status: str = CycleStatus.OPEN, days_ago: int = 1):
    """A cycle with the default questions, opened `days_ago` days ago for 14 days."""
    opens = timezone.now() - timedelta(days=days_ago)
    cycle = services.create_cycle(quarter, opens, opens + timedelta(days=14))
    SurveyCycle.objects.filter(pk=cycle.pk).update(status=status)
    cycle.refresh_from_db()
    return cycle


def question(cycle, kind: str) -> Question:
    return cycle.questions.filter(kind=kind).first()


def likert(cycle) -> Question:
    return question(cycle, QuestionKind.LIKERT)


def nps(cycle) -> Question:
    return question(cycle, QuestionKind.NPS)


def free_text(cycle) -> Question:
    return question(cycle, QuestionKind.TEXT)


def respondents(team_name: str, count: int, prefix: str | None = None) -> list:
    """`count` new users in a team called `team_name`."""
    team = make_team(team_name)
    users = []
    for n in range(count):
        user = make_user(f"{prefix or team_name}-{n}")
        add_member(team, user)
        users.append(user)
    return users
