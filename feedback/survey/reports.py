"""The results of closed cycles, read in a fixed number of queries (whatever the number of
respondents) and turned into charts and tables by the pure functions in results.py."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from feedback.charts import Chart, bar_chart, line_chart
from feedback.survey import results
from feedback.survey.choices import CycleStatus, QuestionKind
from feedback.survey.models import Answer, Question, SurveyCycle

NO_TEAM = "No team"


@dataclass
class QuestionResult:
    """One question's aggregates; free text only when enough people wrote some."""

    question: Question
    answers: int = 0
    chart: Chart | None = None
    mean: float | None = None
    nps: results.Nps | None = None
    texts: list[str] = field(default_factory=list)
    text_count: int = 0
    whys: list[str] = field(default_factory=list)
    why_count: int = 0

    @property
    def texts_shown(self) -> bool:
        return results.shown(self.text_count)

    @property
    def whys_shown(self) -> bool:
        return results.shown(self.why_count)


@dataclass
class TeamResult:
    """A team's Likert means and NPS, or only its size when it is too small to show."""

    name: str
    respondents: int
    means: list[tuple[Question, float | None]] = field(default_factory=list)
    nps: results.Nps | None = None

    @property
    def shown(self) -> bool:
        return results.shown(self.respondents)


@dataclass
class CycleResults:
    cycle: SurveyCycle
    respondents: int
    active_users: int
    questions: list[QuestionResult]
    teams: list[TeamResult]

    @property
    def shown(self) -> bool:
        return results.shown(self.respondents)

    @property
    def response_rate(self) -> float | None:
        return self.respondents / self.active_users if self.active_users else None


def closed_cycles() -> list[SurveyCycle]:
    """Closed cycles, newest first: the only ones whose results anyone sees."""
    return list(SurveyCycle.objects.filter(status=CycleStatus.CLOSED).order_by("-opens_at"))


def cycle_results(cycle: SurveyCycle) -> CycleResults:
    """Four queries: questions, answers, active users (and nothing per respondent)."""
    questions = list(cycle.questions.all())
    rows = list(
        Answer.objects.filter(response__cycle=cycle)
        .order_by("response_id", "pk")  # response ids are random UUIDs: a stable shuffle
        .values_list("question_id", "value", "why", "response_id", "response__team_name")
    )
    active_users = get_user_model().objects.filter(is_active=True).count()
    by_question: dict[int, list] = defaultdict(list)
    team_of: dict = {}
    for question_id, value, why, response_id, team in rows:
        by_question[question_id].append((value, why, response_id))
        team_of[response_id] = team or NO_TEAM
    per_question = [_question_result(q, by_question[q.pk]) for q in questions]
    teams = _team_results(questions, by_question, team_of)
    return CycleResults(cycle, len(team_of), active_users, per_question, teams)


def _question_result(question: Question, answers: list) -> QuestionResult:
    values = [value for value, _, _ in answers]
    result = QuestionResult(question, answers=len(values))
    whys = [why for _, why, _ in answers if why]
    result.why_count = len(whys)
    if result.whys_shown:
        result.whys = whys
    result.text_count = len(values)
    if question.kind == QuestionKind.TEXT:
        if result.texts_shown:
            result.texts = [str(v) for v in values]
        return result
    if not results.shown(len(values)):
        return result  # optional questions: fewer answers than the group gate, so no figures
    items = results.distribution(question.kind, question.choices, values)
    result.chart = bar_chart(f"{question.text}: people per answer ({len(values)} answers)", items)
    if question.kind == QuestionKind.LIKERT:
        result.mean = results.mean(values)
    if question.kind == QuestionKind.NPS:
        result.nps = results.nps(values)
    return result


def _team_results(questions, by_question, team_of) -> list[TeamResult]:
    sizes: dict[str, int] = defaultdict(int)
    for team in team_of.values():
        sizes[team] += 1
    teams = {name: TeamResult(name, size) for name, size in sorted(sizes.items())}
    for q in questions:
        if q.kind not in (QuestionKind.LIKERT, QuestionKind.NPS):
            continue
        values: dict[str, list[int]] = defaultdict(list)
        for value, _, response_id in by_question[q.pk]:
            values[team_of[response_id]].append(value)
        for name, team in teams.items():
            if not team.shown:
                continue  # never computed, so never leaked by a template mistake
            # The team passed the gate, but an optional question may have fewer answers.
            answered = values[name] if results.shown(len(values[name])) else []
            if q.kind == QuestionKind.LIKERT:
                team.means.append((q, results.mean(answered)))
            else:
                team.nps = results.nps(answered)
    return list(teams.values())


def trend(cycles: list[SurveyCycle]) -> tuple[Chart | None, Chart | None, list, list]:
    """Across closed cycles (oldest first): each Likert question's mean, and the NPS (its
    promoter and detractor shares as lines, the score per cycle as rows), for cycles with
    enough respondents. Lines are named "Q1", "Q2"… (a key gives the texts). One query."""
    empty: tuple = (None, None, [], [])
    if not cycles:
        return empty
    ordered = sorted(cycles, key=lambda c: c.opens_at)
    values: dict[tuple[int, str, str], list[int]] = defaultdict(list)
    position: dict[str, int] = {}
    seen = set()
    for cycle_id, number, text, kind, value, response_id in Answer.objects.filter(
        response__cycle__in=ordered, question__kind__in=[QuestionKind.LIKERT, QuestionKind.NPS]
    ).values_list(
        "response__cycle_id",
        "question__position",
        "question__text",
        "question__kind",
        "value",
        "response_id",
    ):
        values[(cycle_id, text, kind)].append(value)
        seen.add((cycle_id, response_id))
        if kind == QuestionKind.LIKERT:
            position[text] = number
    respondents: dict[int, int] = defaultdict(int)
    for cycle_id, _ in seen:
        respondents[cycle_id] += 1
    visible = [c for c in ordered if results.shown(respondents[c.pk])]
    if not visible:
        return empty
    labels = [c.quarter for c in visible]
    key = sorted((n, text) for text, n in position.items())
    series = {
        f"Q{n}": [
            results.mean(_gated(values.get((c.pk, text, QuestionKind.LIKERT), []))) for c in visible
        ]
        for n, text in key
    }
    likert = line_chart("Mean agreement per question (1–5)", labels, series) if series else None
    scores = [(c.quarter, results.nps(_gated(_nps_values(values, c.pk)))) for c in visible]
    shares = {
        "Promoters %": [round(100 * s.promoters / s.n, 1) if s else None for _, s in scores],
        "Detractors %": [round(100 * s.detractors / s.n, 1) if s else None for _, s in scores],
    }
    nps_chart = line_chart("Promoters and detractors", labels, shares, "%")
    return likert, nps_chart, scores, [(f"Q{n}", text) for n, text in key]


def _gated(values: list[int]) -> list[int]:
    """The values when enough people gave them to show a figure, else none."""
    return values if results.shown(len(values)) else []


def _nps_values(values: dict, cycle_id: int) -> list[int]:
    return next((v for (c, _, k), v in values.items() if c == cycle_id and k == "nps"), [])
