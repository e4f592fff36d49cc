"""Demo data for the feedback app's survey part (seed_demo): two closed quarters answered by
30 demo engineers, so the results page has a team shown and a team hidden (fewer than five),
and the current quarter open and unanswered for alice, bob, carol and admin."""

import random
from datetime import datetime, timedelta

from django.utils import timezone

from catalog.models import Team
from catalog.services import ensure_membership
from feedback.survey import services
from feedback.survey.choices import CycleStatus, QuestionKind
from feedback.survey.models import SurveyCycle
from idp_portal.demo import _ensure_user

# team (from the demo catalog), how many engineers, mood on a 1–5 scale
ENGINEER_TEAMS = [("payments", 12, 3.9), ("search", 8, 3.4), ("checkout", 4, 2.8),
                  ("platform", 3, 4.2), ("data", 3, 3.1)]  # fmt: skip
SUGGESTIONS = [
    "Preview environments per pull request.",
    "Faster CI: the test stage takes 20 minutes.",
    "Docs for the golden paths are out of date.",
    "One dashboard per service with its alerts.",
    "Let us provision a queue without a ticket.",
    "Searching logs across services is slow.",
    "Clearer errors when a deployment fails.",
    "Make it obvious who owns a service.",
]
WHYS = ["Waiting on reviews.", "The templates just work.", "Flaky integration tests.",
        "Hard to find the right dashboard.", "Good docs this quarter."]  # fmt: skip


def _quarter(moment: datetime, back: int) -> tuple[str, datetime]:
    """The label and first day of the quarter `back` quarters before `moment`'s."""
    index = moment.year * 4 + (moment.month - 1) // 3 - back
    year, q = divmod(index, 4)
    start = moment.replace(year=year, month=q * 3 + 1, day=1, hour=9, minute=0, second=0,
                           microsecond=0)  # fmt: skip
    return f"{year}-Q{q + 1}", start


def _engineers() -> list[tuple[object, str, float]]:
    teams = {t.name: t for t in Team.objects.filter(name__in=[n for n, _, _ in ENGINEER_TEAMS])}
    people, number = [], 0
    for name, count, mood in ENGINEER_TEAMS:
        for _ in range(count):
            number += 1
            user = _ensure_user(f"engineer{number:02d}", f"Engineer {number:02d}", False)
            if name in teams:
                ensure_membership(teams[name], user)
            people.append((user, name, mood))
    return people


def _answer(user, cycle, mood: float, rng: random.Random) -> None:
    for q in cycle.questions.all():
        raw = None
        if q.kind == QuestionKind.LIKERT:
            raw = str(min(5, max(1, round(rng.gauss(mood, 0.9)))))
        elif q.kind == QuestionKind.NPS:
            raw = str(min(10, max(0, round(rng.gauss(mood * 2, 1.8)))))
        elif q.kind == QuestionKind.MULTIPLE:
            raw = rng.sample(q.choices, rng.randint(1, len(q.choices)))
        elif rng.random() < 0.6:
            raw = rng.choice(SUGGESTIONS)
        why = rng.choice(WHYS) if q.why_follow_up and rng.random() < 0.3 else ""
        if raw is not None:
            services.save_answer(user, q, raw, why)
    services.finish(user, cycle)


def seed() -> list[str]:
    """Create the part's demo data where absent; one line per thing made, for seed_demo."""
    now = timezone.now()
    lines = []
    people = None
    for back, lift in ((2, -0.3), (1, 0.0)):
        quarter, opens = _quarter(now, back)
        if SurveyCycle.objects.filter(quarter=quarter).exists():
            continue
        people = people or _engineers()
        cycle = services.create_cycle(quarter, opens, opens + timedelta(days=14))
        SurveyCycle.objects.filter(pk=cycle.pk).update(status=CycleStatus.OPEN)
        cycle.status = CycleStatus.OPEN
        rng = random.Random(quarter)  # the same answers on every fresh seed
        answering = [p for p in people if rng.random() < 0.9]
        for user, _, mood in answering:
            _answer(user, cycle, mood + lift, rng)
        services.close_cycle(cycle)
        lines.append(f"  survey {quarter}: closed, {len(answering)} demo engineers answered")
    quarter, opens = _quarter(now, 0)
    if not SurveyCycle.objects.filter(quarter=quarter).exists():
        cycle = services.create_cycle(quarter, now - timedelta(days=1), now + timedelta(days=14))
        SurveyCycle.objects.filter(pk=cycle.pk).update(status=CycleStatus.OPEN)
        lines.append(f"  survey {quarter}: open until {cycle.closes_at:%Y-%m-%d}, unanswered")
    return lines
