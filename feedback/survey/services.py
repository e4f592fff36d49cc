"""Every write of the survey part: cycles opening and closing, answers, finishing.

Anonymity rules enforced here: answers are audited only as "finished the survey" (never per
question, which would tell which optional questions a person answered), and closing a cycle
cuts every response from its user (`close_cycle`).
"""

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import TruncDay
from django.utils import timezone

from catalog import access
from feedback.survey.choices import FREE_TEXT_LIMIT, CycleStatus, QuestionKind
from feedback.survey.defaults import DEFAULT_QUESTIONS
from feedback.survey.models import Answer, Participation, Question, Response, SurveyCycle
from idp_portal import audit

Raw = str | Sequence[str] | None


# --- validation (pure) ------------------------------------------------------------------------
def _integer_in(raw: str, low: int, high: int, what: str) -> int:
    try:
        number = int(str(raw).strip())
    except ValueError:
        raise ValidationError(f"Pick a whole number from {low} to {high} {what}.") from None
    if not low <= number <= high:
        raise ValidationError(f"{number} is outside the scale: pick {low} to {high} {what}.")
    return number


def _single(raw) -> str:
    if not isinstance(raw, str):
        raise ValidationError("Pick exactly one option.")
    return raw.strip()


def clean_value(question: Question, raw: Raw):
    """The value to store for `raw`, None when it is empty (no answer); ValidationError with a
    message saying what to do when it does not fit the question."""
    if raw is None or raw == "" or (isinstance(raw, list | tuple) and not raw):
        return None
    kind = question.kind
    if kind == QuestionKind.LIKERT:
        return _integer_in(_single(raw), 1, 5, "(1 = strongly disagree, 5 = strongly agree)")
    if kind == QuestionKind.NPS:
        return _integer_in(_single(raw), 0, 10, "(0 = not at all likely, 10 = extremely likely)")
    if kind == QuestionKind.SINGLE:
        value = _single(raw)
        if value not in question.choices:
            raise ValidationError(f"“{value[:80]}” is not one of the options: pick one listed.")
        return value
    if kind == QuestionKind.MULTIPLE:
        values = [raw] if isinstance(raw, str) else list(raw)
        unknown = [v for v in values if v not in question.choices]
        if unknown:
            raise ValidationError(
                f"“{unknown[0][:80]}” is not one of the options: tick listed ones."
            )
        return [c for c in question.choices if c in values]  # in the question's order, no repeats
    return clean_text(_single(raw), "Your answer") or None


def clean_text(text: str, what: str) -> str:
    text = (text or "").strip()
    if len(text) > FREE_TEXT_LIMIT:
        raise ValidationError(
            f"{what} is {len(text):,} characters; shorten it to {FREE_TEXT_LIMIT:,} or fewer."
        )
    return text


# --- cycles -----------------------------------------------------------------------------------
def open_cycle() -> SurveyCycle | None:
    return SurveyCycle.objects.filter(status=CycleStatus.OPEN).order_by("-opens_at").first()


def next_cycle() -> SurveyCycle | None:
    """The next draft cycle to open, for "the next survey opens on …"."""
    return (
        SurveyCycle.objects.filter(status=CycleStatus.DRAFT, opens_at__gt=timezone.now())
        .order_by("opens_at")
        .first()
    )


@transaction.atomic
def create_cycle(quarter: str, opens_at: datetime, closes_at: datetime) -> SurveyCycle:
    """A draft cycle with the previous cycle's questions (the defaults for the first one)."""
    previous = previous_cycle(opens_at)
    cycle = SurveyCycle.objects.create(quarter=quarter, opens_at=opens_at, closes_at=closes_at)
    copy_questions(previous, cycle)
    audit.record(None, "survey.cycle.create", cycle, detail=f"opens {opens_at:%Y-%m-%d}")
    return cycle


def previous_cycle(opens_at: datetime) -> SurveyCycle | None:
    """The cycle before one opening at `opens_at`, whose questions a new cycle copies."""
    return SurveyCycle.objects.filter(opens_at__lt=opens_at).order_by("-opens_at").first()


def copy_questions(source: SurveyCycle | None, target: SurveyCycle) -> int:
    """Give `target` the questions of `source` (or the defaults); returns how many."""
    if source is not None and source.questions.exists():
        rows = [
            Question(
                cycle=target,
                **{f: getattr(q, f) for f in ("position", "text", "kind", "choices", "required")},
                why_follow_up=q.why_follow_up,
                why_prompt=q.why_prompt,
                dimension=q.dimension,
            )
            for q in source.questions.all()
        ]
    else:
        rows = [
            Question(
                cycle=target,
                position=n,
                text=text,
                kind=kind,
                dimension=dimension,
                why_follow_up=why,
                choices=choices,
            )
            for n, (text, kind, dimension, why, choices) in enumerate(DEFAULT_QUESTIONS, 1)
        ]
    Question.objects.bulk_create(rows)
    return len(rows)


def open_due_cycles(now: datetime | None = None) -> list[SurveyCycle]:
    """Open every draft cycle whose window has started and not ended."""
    now = now or timezone.now()
    opened = []
    for cycle in SurveyCycle.objects.filter(
        status=CycleStatus.DRAFT, opens_at__lte=now, closes_at__gt=now
    ):
        # Claim it: only the run that changes the row opens it.
        if SurveyCycle.objects.filter(pk=cycle.pk, status=CycleStatus.DRAFT).update(
            status=CycleStatus.OPEN
        ):
            audit.record(None, "survey.cycle.open", cycle, detail="its opening time came")
            opened.append(cycle)
    return opened


def close_due_cycles(now: datetime | None = None) -> list[SurveyCycle]:
    """Close every open cycle past its closing time (anonymising its responses)."""
    now = now or timezone.now()
    due = SurveyCycle.objects.filter(status=CycleStatus.OPEN, closes_at__lte=now)
    return [cycle for cycle in due if close_cycle(cycle)]


@transaction.atomic
def close_cycle(cycle: SurveyCycle) -> bool:
    """1. claim the cycle (open → closed); 2. record Participation for everyone who answered
    anything; 3. cut every response from its user and truncate its times to the day.
    Returns False when the cycle was not open (nothing done)."""
    if not SurveyCycle.objects.filter(
        pk=cycle.pk, status__in=[CycleStatus.OPEN, CycleStatus.DRAFT]
    ).update(status=CycleStatus.CLOSED):
        return False
    answered = (
        Response.objects.filter(cycle=cycle, user__isnull=False, answers__isnull=False)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )
    Participation.objects.bulk_create(
        [Participation(cycle=cycle, user_id=u) for u in answered], ignore_conflicts=True
    )
    detached = Response.objects.filter(cycle=cycle).update(
        user=None,
        started_at=TruncDay("started_at"),
        updated_at=TruncDay("updated_at"),
        submitted_at=TruncDay("submitted_at"),
    )
    cycle.status = CycleStatus.CLOSED
    audit.record(None, "survey.cycle.close", cycle, detail=f"{detached} responses anonymised")
    return True


# --- answers ----------------------------------------------------------------------------------
def _team_name(user) -> str:
    teams = sorted(m.team.display_name for m in access.memberships(user))
    return teams[0] if teams else ""


def response_of(user, cycle: SurveyCycle) -> Response | None:
    return Response.objects.filter(cycle=cycle, user=user).first()


def _refuse_unless_open(cycle: SurveyCycle) -> None:
    if cycle.status == CycleStatus.DRAFT:
        raise ValidationError(
            f"The {cycle.quarter} survey is not open yet: it opens on {cycle.opens_at:%d %B %Y}."
        )
    if cycle.status != CycleStatus.OPEN:
        raise ValidationError(
            f"The {cycle.quarter} survey is closed: answers can no longer be changed."
        )


@transaction.atomic
def save_answer(user, question: Question, raw_value: Raw, why: str = "") -> Answer | None:
    """Store (or update, or clear when empty) the user's answer to `question`.

    Raises ValidationError, saving nothing, when the cycle is not open or the value does not
    fit the question. One Response per user per cycle, one Answer per question: answering
    twice updates."""
    cycle = SurveyCycle.objects.select_for_update().get(pk=question.cycle_id)
    _refuse_unless_open(cycle)
    value = clean_value(question, raw_value)
    why = clean_text(why, "Your “why”") if question.why_follow_up else ""
    if value is None:  # an emptied answer: remove it, and start no response for it
        Answer.objects.filter(
            response__cycle=cycle, response__user=user, question=question
        ).delete()
        return None
    response, _ = Response.objects.get_or_create(
        cycle=cycle, user=user, defaults={"team_name": _team_name(user)}
    )
    answer, _ = Answer.objects.update_or_create(
        response=response, question=question, defaults={"value": value, "why": why}
    )
    response.save(update_fields=["updated_at"])
    return answer


def missing_required(user, cycle: SurveyCycle) -> list[Question]:
    answered = set(
        Answer.objects.filter(response__cycle=cycle, response__user=user).values_list(
            "question_id", flat=True
        )
    )
    return [q for q in cycle.questions.filter(required=True) if q.pk not in answered]


@transaction.atomic
def finish(user, cycle: SurveyCycle) -> list[Question]:
    """Mark the user's response submitted and record their participation; returns the
    required questions still unanswered instead (and does nothing) when there are any."""
    _refuse_unless_open(cycle)
    missing = missing_required(user, cycle)
    if missing:
        return missing
    response, _ = Response.objects.get_or_create(
        cycle=cycle, user=user, defaults={"team_name": _team_name(user)}
    )
    response.submitted_at = timezone.now()
    response.save(update_fields=["submitted_at", "updated_at"])
    _, created = Participation.objects.get_or_create(cycle=cycle, user=user)
    if created:
        # The trail knows that, never what or which questions, the user answered.
        audit.record(user, "survey.answer", cycle, detail="finished the survey")
    return []


def progress(user, cycle: SurveyCycle) -> tuple[int, int]:
    """(questions the user has answered, questions in the cycle)."""
    answered = Answer.objects.filter(response__cycle=cycle, response__user=user).count()
    return answered, cycle.questions.count()


def has_finished(user, cycle: SurveyCycle) -> bool:
    return Participation.objects.filter(cycle=cycle, user=user).exists()
