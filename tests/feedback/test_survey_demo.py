"""The survey's demo seed: two closed quarters with a team shown and one hidden, the current
quarter open, and idempotent."""

from feedback.survey import demo, reports
from feedback.survey.choices import CycleStatus
from feedback.survey.models import Answer, Participation, Response, SurveyCycle
from tests.factories import make_team, make_user


def test_the_seed_gives_results_with_a_team_shown_and_one_hidden_and_an_open_cycle(db):
    for name, _, _ in demo.ENGINEER_TEAMS:
        make_team(name)
    alice = make_user("alice")
    lines = demo.seed()
    assert len(lines) == 3
    statuses = list(SurveyCycle.objects.order_by("opens_at").values_list("status", flat=True))
    assert statuses == [CycleStatus.CLOSED, CycleStatus.CLOSED, CycleStatus.OPEN]
    latest = reports.closed_cycles()[0]
    report = reports.cycle_results(latest)
    shown = {t.name for t in report.teams if t.shown}
    hidden = {t.name for t in report.teams if not t.shown}
    assert "Payments" in shown and "Checkout" in hidden
    assert not Response.objects.filter(user__isnull=False).exists()
    current = SurveyCycle.objects.get(status=CycleStatus.OPEN)
    assert not Participation.objects.filter(cycle=current).exists()
    assert not Participation.objects.filter(user=alice).exists()

    answers = Answer.objects.count()
    assert demo.seed() == []
    assert Answer.objects.count() == answers and SurveyCycle.objects.count() == 3
