"""The roadmap part's demo seed: realistic, uses the existing demo users, idempotent."""

import pytest

from feedback.roadmap import demo
from feedback.roadmap.models import (
    FrictionReport,
    OfficeHoursSession,
    RoadmapComment,
    RoadmapItem,
    RoadmapVote,
)
from idp_portal.demo import _seed_accounts

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    models = (RoadmapItem, RoadmapVote, RoadmapComment, FrictionReport, OfficeHoursSession)
    return tuple(m.objects.count() for m in models)


def test_seed_creates_items_in_every_status_and_is_idempotent():
    _seed_accounts()
    demo.seed()
    first = counts()
    demo.seed()
    assert counts() == first
    assert set(RoadmapItem.objects.values_list("status", flat=True)) == {
        "now",
        "next",
        "later",
        "shipped",
    }
    assert FrictionReport.objects.filter(roadmap_item__isnull=False).count() == 1
    assert OfficeHoursSession.objects.exclude(notes="").exists()
    assert first[1] > 0 and first[2] > 0


def test_seed_creates_no_users_when_the_demo_accounts_are_missing():
    assert "skipped" in demo.seed()[0]
    assert counts() == (0, 0, 0, 0, 0)


def test_seed_reads_themes_from_the_last_closed_cycle_linked_to_items():
    from feedback.roadmap.models import SurveyTheme
    from feedback.survey.choices import CycleStatus
    from tests.feedback.survey_factories import make_cycle

    _seed_accounts()
    make_cycle("2026-Q2", status=CycleStatus.CLOSED, days_ago=180)
    latest = make_cycle("2026-Q3", status=CycleStatus.CLOSED, days_ago=90)
    demo.seed()
    demo.seed()
    themes = SurveyTheme.objects.all()
    assert themes.count() == len(demo.THEMES) and {t.cycle for t in themes} == {latest}
    assert themes.get(title="DNS records still need a ticket").roadmap_item.title == (
        "Self-service DNS records"
    )
