"""Pages of the survey part: the survey (HTMX per answer, or one plain POST), thanks, the
"Not today" dismissal, and the results (in views_results.py)."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog import access
from feedback.survey import services
from feedback.survey.choices import LIKERT_LABELS, QuestionKind
from feedback.survey.context_processors import DISMISSED_KEY
from feedback.survey.models import Answer, Question, SurveyCycle
from idp_portal.htmx import is_partial, vary_on_htmx

ROADMAP_URL = "/feedback/roadmap/"  # feedback:roadmap, built in its own part


@dataclass
class QuestionRow:
    """A question as the form shows it: the current value, the "why", an error, saved or not."""

    question: Question
    value: object = None
    why: str = ""
    errors: list[str] = field(default_factory=list)
    saved: bool = False

    @property
    def options(self) -> list[tuple[str, str]]:
        """(value, visible label) of each radio or checkbox."""
        kind = self.question.kind
        if kind == QuestionKind.LIKERT:
            return [(str(n), f"{n} · {label}") for n, label in LIKERT_LABELS.items()]
        if kind == QuestionKind.NPS:
            return [(str(n), str(n)) for n in range(11)]
        return [(c, c) for c in self.question.choices]

    @property
    def selected(self) -> set[str]:
        if self.value is None:
            return set()
        values = self.value if isinstance(self.value, list) else [self.value]
        return {str(v) for v in values}


def _raw(data, question: Question):
    if question.kind == QuestionKind.MULTIPLE:
        return data.getlist(question.field_name)
    return data.get(question.field_name)


def _rows(user, cycle: SurveyCycle) -> list[QuestionRow]:
    answers = {
        a.question_id: a for a in Answer.objects.filter(response__cycle=cycle, response__user=user)
    }
    rows = []
    for q in cycle.questions.all():
        a = answers.get(q.pk)
        rows.append(QuestionRow(q, a.value if a else None, a.why if a else ""))
    return rows


def _save_all(user, rows: list[QuestionRow], data) -> bool:
    """Save every question from a whole-form POST; False when any answer was refused."""
    ok = True
    for row in rows:
        raw, why = _raw(data, row.question), data.get(row.question.why_field_name, "")
        row.value, row.why = raw or None, why
        try:
            services.save_answer(user, row.question, raw, why)
        except ValidationError as error:
            row.errors, ok = error.messages, False
    return ok


def _survey_page(request, cycle, rows, status=200) -> HttpResponse:
    answered, total = services.progress(request.user, cycle)
    context = {"cycle": cycle, "rows": rows, "answered": answered, "total": total}
    return render(request, "feedback/survey/survey.html", context, status=status)


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "survey.answer", None, "answer the survey")
    cycle = services.open_cycle()
    if cycle is None:
        context = {"next_cycle": services.next_cycle()}
        return render(request, "feedback/survey/closed.html", context)
    rows = _rows(request.user, cycle)
    if request.method == "GET":
        return _survey_page(request, cycle, rows)
    if not _save_all(request.user, rows, request.POST):
        return _survey_page(request, cycle, rows, status=400)
    if "finish" not in request.POST:
        messages.success(request, "Your answers are saved. You can change them until it closes.")
        return redirect("feedback:survey")
    missing = {q.pk for q in services.finish(request.user, cycle)}
    if missing:
        for row in rows:
            if row.question.pk in missing:
                row.errors = ["This question needs an answer before you finish."]
        return _survey_page(request, cycle, rows, status=400)
    return redirect("feedback:survey_thanks")


@require_POST
def survey_answer(request: HttpRequest, question_id: int) -> HttpResponse:
    """Save one question (HTMX, on change): its fieldset back, with the progress out of band."""
    access.require(request.user, "survey.answer", None, "answer the survey")
    question = get_object_or_404(Question.objects.select_related("cycle"), pk=question_id)
    raw, why = _raw(request.POST, question), request.POST.get(question.why_field_name, "")
    row = QuestionRow(question, raw or None, why)
    try:
        services.save_answer(request.user, question, raw, why)
        row.saved = True
    except ValidationError as error:
        row.errors = error.messages
    if not is_partial(request):
        for message in row.errors:
            messages.error(request, f"Question {question.position}: {message}")
        return redirect("feedback:survey")
    answered, total = services.progress(request.user, question.cycle)
    context = {"row": row, "answered": answered, "total": total, "oob": True}
    html = render_to_string("feedback/survey/_question.html", context, request)
    html += render_to_string("feedback/survey/_progress.html", context, request)
    return vary_on_htmx(HttpResponse(html, status=200))


@require_GET
def survey_thanks(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "survey.answer", None, "see the survey's thanks page")
    cycle = services.open_cycle()
    context = {"cycle": cycle, "roadmap_url": ROADMAP_URL}
    return render(request, "feedback/survey/thanks.html", context)


@require_POST
def survey_dismiss(request: HttpRequest) -> HttpResponse:
    """ "Not today": hide the banner for the rest of the day (kept in the session)."""
    access.require(request.user, "survey.answer", None, "dismiss the survey banner")
    request.session[DISMISSED_KEY] = timezone.localdate().isoformat()
    if is_partial(request):
        return vary_on_htmx(HttpResponse(""))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    messages.info(request, "The survey banner is hidden until tomorrow.")
    return redirect(target)
