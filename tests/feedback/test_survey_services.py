"""The survey's writes: validation, idempotence, progress, opening/closing and anonymity."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from feedback.survey import services
from feedback.survey.choices import CycleStatus, QuestionKind
from feedback.survey.defaults import DEFAULT_QUESTIONS
from feedback.survey.models import Answer, Participation, Question, Response, SurveyCycle
from feedback.survey.tasks import open_and_close_cycles
from idp_portal.models import AuditEvent
from tests.factories import make_user
from tests.feedback.survey_factories import free_text, likert, make_cycle, nps, question

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        (QuestionKind.LIKERT, "6", "6 is outside the scale: pick 1 to 5"),
        (QuestionKind.LIKERT, "0", "0 is outside the scale: pick 1 to 5"),
        (QuestionKind.LIKERT, "a lot", "Pick a whole number from 1 to 5"),
        (QuestionKind.NPS, "11", "11 is outside the scale: pick 0 to 10"),
        (QuestionKind.NPS, ["3", "4"], "Pick exactly one option"),
        (QuestionKind.MULTIPLE, ["Service catalog", "Jenkins"], "“Jenkins” is not one of"),
        (QuestionKind.TEXT, "x" * 2001, "2,001 characters; shorten it to 2,000 or fewer"),
    ],
)
def test_it_refuses_a_value_that_does_not_fit_the_question_and_saves_nothing(kind, raw, message):
    cycle, user = make_cycle(), make_user()
    with pytest.raises(ValidationError) as error:
        services.save_answer(user, question(cycle, kind), raw)
    assert message in error.value.messages[0]
    assert not Answer.objects.exists()
    assert not Response.objects.exists()


def test_a_single_choice_outside_its_options_is_refused():
    cycle, user = make_cycle(), make_user()
    q = Question.objects.create(cycle=cycle, position=99, text="Editor?", kind="single",
                                choices=["vim", "emacs"])  # fmt: skip
    with pytest.raises(ValidationError, match="not one of the options"):
        services.save_answer(user, q, "notepad")
    assert services.save_answer(user, q, "vim").value == "vim"


def test_a_closed_cycle_refuses_answers_with_a_clear_message():
    cycle, user = make_cycle(status=CycleStatus.CLOSED), make_user()
    with pytest.raises(ValidationError, match="2026-Q4 survey is closed: answers can no longer"):
        services.save_answer(user, likert(cycle), "4")
    assert not Answer.objects.exists()


def test_answering_twice_updates_the_one_answer_of_the_one_response():
    cycle, user = make_cycle(), make_user()
    services.save_answer(user, likert(cycle), "2", "slow builds")
    services.save_answer(user, likert(cycle), "4", "faster now")
    services.save_answer(user, nps(cycle), "9")
    assert Response.objects.filter(cycle=cycle).count() == 1
    answer = Answer.objects.get(question=likert(cycle))
    assert (answer.value, answer.why) == (4, "faster now")


def test_a_why_is_dropped_for_a_question_that_does_not_ask_why():
    cycle, user = make_cycle(), make_user()
    q = cycle.questions.filter(kind="likert", why_follow_up=False).first()
    assert services.save_answer(user, q, "3", "ignored").why == ""


def test_an_emptied_answer_is_removed():
    cycle, user = make_cycle(), make_user()
    services.save_answer(user, free_text(cycle), "More docs")
    services.save_answer(user, free_text(cycle), "  ")
    assert not Answer.objects.exists()


def test_progress_counts_the_users_answers_out_of_the_cycles_questions():
    cycle, user, other = make_cycle(), make_user(), make_user()
    assert services.progress(user, cycle) == (0, len(DEFAULT_QUESTIONS))
    services.save_answer(user, likert(cycle), "3")
    services.save_answer(user, nps(cycle), "7")
    services.save_answer(user, nps(cycle), "8")
    services.save_answer(other, free_text(cycle), "Faster CI")
    assert services.progress(user, cycle) == (2, len(DEFAULT_QUESTIONS))


def test_finishing_needs_every_required_question_then_records_participation():
    cycle, user = make_cycle(), make_user()
    Question.objects.filter(pk=nps(cycle).pk).update(required=True)
    assert services.finish(user, cycle) == [nps(cycle)]
    assert not Participation.objects.exists()
    services.save_answer(user, nps(cycle), "10")
    assert services.finish(user, cycle) == []
    assert services.finish(user, cycle) == []  # again: nothing new
    assert Participation.objects.filter(cycle=cycle, user=user).count() == 1
    events = AuditEvent.objects.filter(action="survey.answer")
    assert [e.detail for e in events] == ["finished the survey"]  # never which answers


def test_closing_detaches_every_response_and_keeps_only_participation():
    cycle = make_cycle()
    finished, unfinished, idle = make_user(), make_user(), make_user()
    services.save_answer(finished, likert(cycle), "5")
    services.finish(finished, cycle)
    services.save_answer(unfinished, nps(cycle), "3")
    assert services.close_cycle(cycle) is True
    assert Response.objects.filter(cycle=cycle).count() == 2
    assert not Response.objects.filter(user__isnull=False).exists()
    assert set(Participation.objects.values_list("user", flat=True)) == {
        finished.pk, unfinished.pk
    }  # fmt: skip
    assert idle.pk not in Participation.objects.values_list("user", flat=True)
    stamps = Response.objects.values_list("started_at", "updated_at")
    assert all(t.hour == t.minute == t.second == 0 for pair in stamps for t in pair)
    assert services.close_cycle(cycle) is False  # a second close does nothing


def test_the_task_opens_due_drafts_and_closes_past_cycles():
    now = timezone.now()
    due = services.create_cycle("2026-Q4", now - timedelta(hours=1), now + timedelta(days=9))
    later = services.create_cycle("2027-Q1", now + timedelta(days=60), now + timedelta(days=70))
    past = make_cycle("2026-Q3", days_ago=30)  # open, closed 16 days ago
    user = make_user()
    Response.objects.create(cycle=past, user=user)
    assert open_and_close_cycles() == "opened 1, closed 1"
    statuses = dict(SurveyCycle.objects.values_list("quarter", "status"))
    assert statuses == {"2026-Q4": "open", "2027-Q1": "draft", "2026-Q3": "closed"}
    assert not Response.objects.filter(user=user).exists()
    assert open_and_close_cycles() == "opened 0, closed 0"
    assert later.status == "draft"
    assert due.quarter == "2026-Q4"


def test_a_new_cycle_copies_the_previous_cycles_questions():
    first = make_cycle("2026-Q3", status=CycleStatus.CLOSED, days_ago=90)
    assert first.questions.count() == len(DEFAULT_QUESTIONS)
    first.questions.filter(kind="text").update(text="What one thing should we fix?")
    Question.objects.create(cycle=first, position=50, text="Do you use the CLI?", kind="likert")
    second = make_cycle("2026-Q4")
    texts = lambda c: list(c.questions.values_list("position", "text", "kind"))  # noqa: E731
    assert texts(second) == texts(first)
    assert second.questions.filter(text="What one thing should we fix?").exists()


def test_a_draft_cycle_refuses_answers_saying_when_it_opens():
    cycle, user = make_cycle("2027-Q1", status=CycleStatus.DRAFT, days_ago=-30), make_user()
    with pytest.raises(ValidationError, match="2027-Q1 survey is not open yet: it opens on"):
        services.save_answer(user, likert(cycle), "4")
    assert not Answer.objects.exists()


def test_the_admin_cannot_edit_a_cycles_status_and_its_close_action_detaches_answers(
    platform_client,
):
    from feedback.survey.models import Response
    from tests.feedback.survey_factories import likert, make_cycle

    cycle = make_cycle("2026-Q4")
    services.save_answer(make_user("answerer"), likert(cycle), "4")
    page = platform_client.get(f"/admin/feedback/surveycycle/{cycle.pk}/change/").content.decode()
    assert "2026-Q4" in page and 'name="status"' not in page
    platform_client.post(
        "/admin/feedback/surveycycle/",
        {"action": "close_now", "_selected_action": [cycle.pk], "index": "0"},
    )
    cycle.refresh_from_db()
    assert cycle.status == "closed" and not Response.objects.filter(user__isnull=False).exists()
