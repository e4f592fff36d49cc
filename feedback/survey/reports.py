"""The results of closed cycles, aggregated in SQL in a fixed number of queries (whatever the
number of respondents) and turned into charts and tables by the pure functions in results.py.

Anonymity holds in the queries as well as on the page: a team's figures are computed only for
teams of MIN_GROUP or more respondents (a HAVING in a subquery), and every per-question figure
(of the cycle, a team, or the trend) only from MIN_GROUP or more answers.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, IntegerField, Min, OuterRef, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce, NullIf
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from feedback.charts import Chart, bar_chart, line_chart
from feedback.survey import results
from feedback.survey.choices import CycleStatus, QuestionKind
from feedback.survey.models import Answer, Question, Response, SurveyCycle

NO_TEAM = "No team"
SCORED = (QuestionKind.LIKERT, QuestionKind.NPS)


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


def _team(path: str = "") -> Coalesce:
    """A respondent's team as the page names it: "No team" when they had none."""
    return Coalesce(NullIf(f"{path}team_name", Value("")), Value(NO_TEAM))


def _answered() -> Exists:
    """The response holds at least one answer: its person counts as a respondent."""
    return Exists(Answer.objects.filter(response=OuterRef("pk")))


def _scores() -> dict:
    """How many answers, their sum, and how many promoters and detractors among them (for
    Likert and NPS answers, whose values are JSON integers)."""
    number = Cast("value", IntegerField())
    return {
        "n": Count("pk"),
        "total": Sum(number),
        "promoters": Count("pk", filter=GreaterThanOrEqual(number, 9)),
        "detractors": Count("pk", filter=LessThanOrEqual(number, 6)),
    }


def respondents_by_team(cycles: list[SurveyCycle]) -> dict[int, dict[str, int]]:
    """Per cycle id, per team: how many people answered at least one question. One query;
    the page's respondent count and the trend's both come from it, so they agree."""
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


def cycle_results(cycle: SurveyCycle, teams: dict[str, int] | None = None) -> CycleResults:
    """The cycle's aggregates in six queries, each grouped in SQL (five when `teams`, the
    respondents per team from `respondents_by_team`, is given)."""
    if teams is None:
        teams = respondents_by_team([cycle]).get(cycle.pk, {})
    questions = list(cycle.questions.all())
    counts = _value_counts(cycle)
    texts, whys = _texts_and_whys(cycle)
    per_question = [_question_result(q, counts[q.pk], texts[q.pk], whys[q.pk]) for q in questions]
    active_users = get_user_model().objects.filter(is_active=True).count()
    respondents = sum(teams.values())
    return CycleResults(
        cycle, respondents, active_users, per_question, _team_results(cycle, questions, teams)
    )


def _value_counts(cycle: SurveyCycle) -> dict[int, list[tuple]]:
    """Per question: (value, how many gave it); free text is read by `_texts_and_whys`."""
    rows = (
        Answer.objects.filter(question__cycle=cycle)
        .exclude(question__kind=QuestionKind.TEXT)
        .values_list("question_id", "value")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[int, list[tuple]] = defaultdict(list)
    for question_id, value, n in rows:
        counts[question_id].append((value, n))
    return counts


def _texts_and_whys(cycle: SurveyCycle) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Per question, the free-text answers and the reasons given, in a random but stable
    order (response ids are random UUIDs); shown only past the group gate."""
    rows = (
        Answer.objects.filter(question__cycle=cycle)
        .filter(Q(question__kind=QuestionKind.TEXT) | ~Q(why=""))
        .order_by("response_id", "pk")
        .values_list("question_id", "question__kind", "value", "why")
    )
    texts: dict[int, list[str]] = defaultdict(list)
    whys: dict[int, list[str]] = defaultdict(list)
    for question_id, kind, value, why in rows:
        if kind == QuestionKind.TEXT:
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
        result.mean = results.mean_of_sum(sum(v * count for v, count in counts), n)
    if kind == QuestionKind.NPS:
        promoters = sum(count for v, count in counts if v >= 9)
        detractors = sum(count for v, count in counts if v <= 6)
        result.nps = results.nps_of_counts(n, promoters, detractors)
    return result


def _team_scores(cycle: SurveyCycle) -> dict[tuple[str, int], dict]:
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
    rows = (
        Answer.objects.filter(question__cycle=cycle, question__kind__in=SCORED)
        .annotate(team=_team("response__"))
        .filter(team__in=shown_teams)
        .values("team", "question_id")
        .annotate(**_scores())
        .filter(n__gte=results.MIN_GROUP)
        .order_by()
    )
    return {(row["team"], row["question_id"]): row for row in rows}


def _team_results(cycle, questions: list[Question], sizes: dict[str, int]) -> list[TeamResult]:
    scores = _team_scores(cycle)
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
    cycles: list[SurveyCycle], respondents: dict[int, dict[str, int]] | None = None
) -> tuple[Chart | None, Chart | None, list, list]:
    """Across closed cycles (oldest first): each Likert question's mean, and the NPS (its
    promoter and detractor shares as lines, and per cycle a row of its respondents and
    score), for cycles with enough respondents. Lines are named "Q1", "Q2"… (a key gives the
    texts). One grouped query, after `respondents_by_team` (given, or read here)."""
    empty: tuple = (None, None, [], [])
    if respondents is None:
        respondents = respondents_by_team(cycles)
    size = {c.pk: sum(respondents.get(c.pk, {}).values()) for c in cycles}
    visible = sorted((c for c in cycles if results.shown(size[c.pk])), key=lambda c: c.opens_at)
    if not visible:
        return empty
    likert, nps_rows, position = _trend_rows(visible)
    labels = [c.quarter for c in visible]
    key = sorted((n, text) for text, n in position.items())
    series = {f"Q{n}": [_mean(likert.get((c.pk, text))) for c in visible] for n, text in key}
    likert_chart = (
        line_chart("Mean agreement per question (1–5)", labels, series) if series else None
    )
    scores = [(c.quarter, size[c.pk], _nps(nps_rows.get(c.pk))) for c in visible]
    shares = {
        "Promoters %": [round(100 * s.promoters / s.n, 1) if s else None for _, _, s in scores],
        "Detractors %": [round(100 * s.detractors / s.n, 1) if s else None for _, _, s in scores],
    }
    nps_chart = line_chart("Promoters and detractors", labels, shares, "%")
    return likert_chart, nps_chart, scores, [(f"Q{n}", text) for n, text in key]


def _trend_rows(visible: list[SurveyCycle]) -> tuple[dict, dict, dict]:
    """Per (cycle, Likert question text) and per cycle's first NPS question: the aggregates
    of MIN_GROUP or more answers; and each Likert text's position in the newest cycle."""
    order = {c.pk: n for n, c in enumerate(visible)}
    rows = (
        Answer.objects.filter(question__cycle__in=visible, question__kind__in=SCORED)
        .values(
            cycle_id=F("question__cycle_id"), text=F("question__text"), kind=F("question__kind")
        )
        .annotate(position=Min("question__position"), **_scores())
        .order_by()
    )
    likert: dict[tuple[int, str], dict] = {}
    nps_rows: dict[int, dict] = {}
    position: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: (order[r["cycle_id"]], r["position"])):
        gated = row if results.shown(row["n"]) else None
        if row["kind"] == QuestionKind.LIKERT:
            likert[(row["cycle_id"], row["text"])] = gated
            position[row["text"]] = row["position"]
        else:
            nps_rows.setdefault(row["cycle_id"], gated)
    return likert, nps_rows, position
