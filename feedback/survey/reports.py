"""The results of closed cycles, aggregated in SQL in a fixed number of queries (whatever the
number of respondents) and turned into charts and tables by the pure functions in results.py.

Anonymity holds in the queries as well as on the page: a team's figures are computed only for
teams of MIN_GROUP or more respondents (a HAVING in a subquery), and every per-question figure
(of the cycle, a team, or the trend) only from MIN_GROUP or more answers.

The page reads through `page_results`, which caches a closed cycle's figures and the trend
under a digest of what can still change about them (see its docstring).
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce, NullIf
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from feedback.charts import Chart, bar_chart, line_chart
from feedback.survey import results
from feedback.survey.choices import CycleStatus, QuestionKind
from feedback.survey.models import Answer, Question, Response, SurveyCycle

NO_TEAM = "No team"
SCORED = (QuestionKind.LIKERT, QuestionKind.NPS)
TEXT = QuestionKind.TEXT
CACHE_VERSION = 1  # raise it when what is cached changes shape or meaning
CACHE_SECONDS = 24 * 60 * 60  # an edit outside the portal (a shell, SQL) shows within a day


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

    @property
    def rows(self) -> list[tuple[str, str]]:
        """Its table: each Likert question and its mean to two places, or why it is hidden."""
        return [(q.text, _HIDDEN if v is None else results.fixed(v, 2)) for q, v in self.means]


_HIDDEN = f"hidden: fewer than {results.MIN_GROUP} answers"


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


@dataclass
class Survey:
    """What the page reads once for every closed cycle: respondents per team, questions, and
    how many gave each value to each (not free-text) question of the cycles shown."""

    respondents: dict[int, dict[str, int]]
    questions: dict[int, list[Question]]
    counts: dict[int, list[tuple]]

    def size(self, cycle: SurveyCycle) -> int:
        return sum(self.respondents.get(cycle.pk, {}).values())


def read(cycles: list[SurveyCycle], questions: list[Question] | None = None) -> Survey:
    """Three queries whatever the number of cycles and respondents (two when the cycles'
    `questions` are given). The page's respondent count and the trend's both come from the
    first, so they agree."""
    respondents = respondents_by_team(cycles)
    by_cycle: dict[int, list[Question]] = defaultdict(list)
    for q in Question.objects.filter(cycle__in=cycles) if questions is None else questions:
        by_cycle[q.cycle_id].append(q)
    shown = [c for c in cycles if results.shown(sum(respondents.get(c.pk, {}).values()))]
    return Survey(respondents, by_cycle, _value_counts([q for c in shown for q in by_cycle[c.pk]]))


def page_results(
    cycles: list[SurveyCycle], cycle: SurveyCycle | None
) -> tuple[CycleResults | None, tuple]:
    """The chosen closed cycle's results and the trend across `cycles`, cached.

    Closed cycles take no answers (`services` refuse them; nobody edits answers in the admin),
    so these figures change only when a cycle closes or is deleted, or a question
    is edited or deleted: the cache key is a digest of exactly those rows, so any such
    change reads afresh and nothing is invalidated by hand. The count of active accounts is
    today's, so it is read on every load, never cached."""
    questions = list(Question.objects.filter(cycle__in=cycles))
    key = _cache_key(cycles, cycle, questions)
    cached = cache.get(key)
    if cached is not None:
        report, trend_ = cached
        if report is not None:
            report.active_users = _active_users()
        return report, trend_
    survey = read(cycles, questions)
    fresh = (cycle_results(cycle, survey) if cycle else None, trend(cycles, survey))
    cache.set(key, fresh, CACHE_SECONDS)
    return fresh


def _cache_key(cycles: list[SurveyCycle], cycle: SurveyCycle | None, questions) -> str:
    rows = [
        (CACHE_VERSION, results.MIN_GROUP, cycle.pk if cycle else None),
        *((c.pk, c.quarter, c.status, c.opens_at.isoformat()) for c in cycles),
        *(
            (q.pk, q.cycle_id, q.position, q.text, q.kind, q.choices, q.why_follow_up)
            for q in sorted(questions, key=lambda q: q.pk)
        ),
    ]
    digest = hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()
    return f"survey-results:{digest}"


def _active_users() -> int:
    return get_user_model().objects.filter(is_active=True).count()


def _team(path: str = "") -> Coalesce:
    """A respondent's team as the page names it: "No team" when they had none."""
    return Coalesce(NullIf(f"{path}team_name", Value("")), Value(NO_TEAM))


def _answered() -> Exists:
    """The response holds at least one answer: its person counts as a respondent."""
    return Exists(Answer.objects.filter(response=OuterRef("pk")))


def respondents_by_team(cycles: list[SurveyCycle]) -> dict[int, dict[str, int]]:
    """Per cycle id, per team: how many people answered at least one question."""
    rows = (
        Response.objects.filter(cycle__in=cycles)
        .filter(_answered())
        .values("cycle_id", team=_team())
        .annotate(n=Count("pk"))
        .order_by()
    )
    sizes: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        sizes[row["cycle_id"]][row["team"]] = row["n"]
    return sizes


def _value_counts(questions: list[Question]) -> dict[int, list[tuple]]:
    """Per question: (value, how many gave it); free text is read by `_texts_and_whys`."""
    rows = (
        Answer.objects.filter(question_id__in=[q.pk for q in questions if q.kind != TEXT])
        .values_list("question_id", "value")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[int, list[tuple]] = defaultdict(list)
    for question_id, value, n in rows:
        counts[question_id].append((value, n))
    return counts


def cycle_results(cycle: SurveyCycle, survey: Survey | None = None) -> CycleResults:
    """The cycle's aggregates: from `survey` (read here when not given) and three more
    queries when the cycle has enough respondents to show (free text, teams, active users)."""
    survey = survey or read([cycle])
    teams = survey.respondents.get(cycle.pk, {})
    respondents = sum(teams.values())
    active_users = _active_users()
    report = CycleResults(cycle, respondents, active_users, [], [])
    if not report.shown:  # nothing else is shown, so nothing else is computed
        report.teams = [TeamResult(name, size) for name, size in sorted(teams.items())]
        return report
    questions = survey.questions.get(cycle.pk, [])
    texts, whys = _texts_and_whys(questions)
    report.questions = [
        _question_result(q, survey.counts.get(q.pk, []), texts[q.pk], whys[q.pk]) for q in questions
    ]
    report.teams = _team_results(cycle, questions, teams)
    return report


def _texts_and_whys(questions: list[Question]) -> tuple[dict[int, list], dict[int, list]]:
    """Per question, the free-text answers and the reasons given (where the question asks
    why, as the page shows them), in a random but stable order (response ids are random
    UUIDs); shown only past the group gate. By question ids: an index scan, not a filter on
    every answer of the cycle."""
    texts_of = [q.pk for q in questions if q.kind == TEXT]
    whys_of = [q.pk for q in questions if q.why_follow_up]
    rows = (
        Answer.objects.filter(Q(question_id__in=texts_of) | Q(question_id__in=whys_of, why__gt=""))
        .order_by("response_id", "pk")
        .values_list("question_id", "value", "why")
    )
    texts: dict[int, list[str]] = defaultdict(list)
    whys: dict[int, list[str]] = defaultdict(list)
    for question_id, value, why in rows:
        if question_id in texts_of:
            texts[question_id].append(str(value))
        if why:
            whys[question_id].append(why)
    return texts, whys


def _question_result(question: Question, counts: list, texts: list, whys: list) -> QuestionResult:
    kind = question.kind
    n = len(texts) if kind == QuestionKind.TEXT else sum(count for _, count in counts)
    result = QuestionResult(question, answers=n, text_count=n, why_count=len(whys))
    if result.whys_shown:
        result.whys = whys
    if kind == QuestionKind.TEXT:
        if result.texts_shown:
            result.texts = texts
        return result
    if not results.shown(n):
        return result  # optional questions: fewer answers than the group gate, so no figures
    items = results.distribution_of_counts(kind, question.choices, counts)
    result.chart = bar_chart(f"{question.text}: people per answer ({n} answers)", items)
    if kind == QuestionKind.LIKERT:
        result.mean = _scores(counts)["total"] / n
    if kind == QuestionKind.NPS:
        result.nps = _nps(_scores(counts))
    return result


def _scores(counts: list[tuple[int, int]]) -> dict:
    """A Likert or NPS question's aggregates from its (value, how many) pairs, in the shape
    of `_team_scores`'s rows."""
    return {
        "n": sum(c for _, c in counts),
        "total": sum(v * c for v, c in counts),
        "promoters": sum(c for v, c in counts if v >= 9),
        "detractors": sum(c for v, c in counts if v <= 6),
    }


def _team_scores(cycle: SurveyCycle, questions: list[Question]) -> dict[tuple[str, int], dict]:
    """(team, question id) → its Likert/NPS aggregates, only for teams of MIN_GROUP or more
    respondents and only where MIN_GROUP or more of them answered the question: smaller
    groups are never computed, so no template or export mistake can leak them."""
    shown_teams = (
        Response.objects.filter(cycle=cycle)
        .filter(_answered())
        .values(team=_team())
        .annotate(n=Count("pk"))
        .filter(n__gte=results.MIN_GROUP)
        .values("team")
    )
    number = Cast("value", IntegerField())
    # The promoter and detractor tests read NPS answers only: the JSON → integer cast is the
    # costly part of this query, so Likert answers are cast once (for their sum), not thrice.
    nps = Q(question_id__in=[q.pk for q in questions if q.kind == QuestionKind.NPS])
    rows = (
        Answer.objects.filter(question_id__in=[q.pk for q in questions if q.kind in SCORED])
        .annotate(team=_team("response__"))
        .filter(team__in=shown_teams)
        .values("team", "question_id")
        .annotate(
            n=Count("pk"),
            total=Sum(number),
            promoters=Count("pk", filter=nps & GreaterThanOrEqual(number, 9)),
            detractors=Count("pk", filter=nps & LessThanOrEqual(number, 6)),
        )
        .filter(n__gte=results.MIN_GROUP)
        .order_by()
    )
    return {(row["team"], row["question_id"]): row for row in rows}


def _team_results(cycle, questions: list[Question], sizes: dict[str, int]) -> list[TeamResult]:
    scores = _team_scores(cycle, questions)
    teams = []
    for name, size in sorted(sizes.items()):
        team = TeamResult(name, size)
        teams.append(team)
        if not team.shown:
            continue  # only its size: the SQL above computed nothing for it either
        for q in questions:
            row = scores.get((name, q.pk))
            if q.kind == QuestionKind.LIKERT:
                team.means.append((q, _mean(row)))
            elif q.kind == QuestionKind.NPS:
                team.nps = _nps(row)
    return teams


def _mean(row: dict | None) -> float | None:
    return results.mean_of_sum(row["total"], row["n"]) if row else None


def _nps(row: dict | None) -> results.Nps | None:
    return results.nps_of_counts(row["n"], row["promoters"], row["detractors"]) if row else None


def trend(
    cycles: list[SurveyCycle], survey: Survey | None = None
) -> tuple[Chart | None, Chart | None, list, list]:
    """Across closed cycles (oldest first): each Likert question's mean, and the NPS (its
    promoter and detractor shares as lines, and per cycle a row of its score and
    respondents), for cycles with enough respondents. Lines are named "Q1", "Q2"… (a key
    gives the texts). From `survey` (read here when not given): no query of its own."""
    empty: tuple = (None, None, [], [])
    survey = survey or read(cycles)
    visible = sorted((c for c in cycles if results.shown(survey.size(c))), key=lambda c: c.opens_at)
    if not visible:
        return empty
    likert, nps_rows, position = _trend_scores(visible, survey)
    labels = [c.quarter for c in visible]
    key = sorted((n, text) for text, n in position.items())
    series = {f"Q{n}": [_mean(likert.get((c.pk, text))) for c in visible] for n, text in key}
    likert_chart = (
        line_chart("Mean agreement per question (1–5)", labels, series) if series else None
    )
    scores = [(c.quarter, survey.size(c), _nps(nps_rows.get(c.pk))) for c in visible]
    shares = {
        "Promoters %": [round(100 * s.promoters / s.n, 1) if s else None for _, _, s in scores],
        "Detractors %": [round(100 * s.detractors / s.n, 1) if s else None for _, _, s in scores],
    }
    nps_chart = line_chart("Promoters and detractors", labels, shares, "%")
    return likert_chart, nps_chart, scores, [(f"Q{n}", text) for n, text in key]


def _trend_scores(visible: list[SurveyCycle], survey: Survey) -> tuple[dict, dict, dict]:
    """Per (cycle, Likert question text) and per cycle's first NPS question: the aggregates
    when MIN_GROUP or more answered (else None); and each Likert text's position in the
    newest cycle that asks it."""
    likert: dict[tuple[int, str], dict | None] = {}
    nps_rows: dict[int, dict | None] = {}
    position: dict[str, int] = {}
    for cycle in visible:
        merged: dict[str, list] = defaultdict(list)  # the same text asked twice counts once
        for q in sorted(survey.questions.get(cycle.pk, []), key=lambda q: q.position):
            if q.kind == QuestionKind.LIKERT:
                merged[q.text] += survey.counts.get(q.pk, [])
                position[q.text] = q.position  # the newest cycle, visited last, wins
            elif q.kind == QuestionKind.NPS and cycle.pk not in nps_rows:
                nps_rows[cycle.pk] = _gated(_scores(survey.counts.get(q.pk, [])))
        for text, counts in merged.items():
            likert[(cycle.pk, text)] = _gated(_scores(counts))
    return likert, nps_rows, position


def _gated(scores: dict) -> dict | None:
    """The aggregates when enough people gave them to show a figure, else none."""
    return scores if results.shown(scores["n"]) else None
