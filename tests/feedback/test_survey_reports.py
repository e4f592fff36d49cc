"""The results' SQL aggregation (reports.py) on hand-made answers: exact figures, the group gate
applied inside the queries, and the trend counting respondents as the page does."""

import pytest
from django.template.defaultfilters import floatformat

from feedback.survey import reports, results, services
from feedback.survey.choices import QuestionKind
from feedback.templatetags.feedback_tables import list_items, table_rows
from tests.factories import make_user
from tests.feedback.survey_factories import (
    free_text,
    likert,
    make_cycle,
    nps,
    question,
    respondents,
)

pytestmark = pytest.mark.django_db
URL = "/feedback/survey/results/"


def _answer(people, q, values) -> None:
    for user, value in zip(people, values, strict=True):
        services.save_answer(user, q, value)


def _closed(cycle):
    services.close_cycle(cycle)
    cycle.refresh_from_db()
    return cycle


def test_nps_and_mean_from_sql_are_exact_on_a_small_set():
    # The NPS numbers of test_nps_and_its_interval_on_hand_made_numbers, through the queries:
    # 5 promoters, 2 passives, 3 detractors of 10 → NPS 20, interval −34.03 to 74.03.
    cycle = make_cycle("2026-Q3", days_ago=40)
    people = respondents("exact", 10)
    _answer(people, nps(cycle), ["10", "10", "9", "8", "7", "6", "0", "3", "10", "9"])
    _answer(people[:5], likert(cycle), ["1", "2", "2", "5", "4"])  # mean 14 / 5 = 2.8
    report = reports.cycle_results(_closed(cycle))
    by_kind = {r.question.pk: r for r in report.questions}
    score = by_kind[nps(cycle).pk].nps
    assert (score.n, score.promoters, score.passives, score.detractors) == (10, 5, 2, 3)
    assert score.low == pytest.approx(-34.03, abs=0.01)
    assert score.high == pytest.approx(74.03, abs=0.01)
    assert by_kind[likert(cycle).pk].mean == pytest.approx(2.8)
    [team] = report.teams
    assert team.nps == score  # the team's figures come from the other (grouped) query
    assert team.means[0] == (likert(cycle), pytest.approx(2.8))
    assert team.rows[0] == (likert(cycle).text, "2.80")


def test_a_team_of_four_is_never_aggregated_and_a_team_of_five_is():
    cycle = make_cycle("2026-Q3", days_ago=40)
    five, four = respondents("five", 5), respondents("four", 4)
    _answer(five + four, likert(cycle), ["4"] * 9)
    cycle = _closed(cycle)
    assert set(reports._team_scores(cycle, list(cycle.questions.all()))) == {
        ("Five", likert(cycle).pk)
    }
    teams = {t.name: t for t in reports.cycle_results(cycle).teams}
    assert (teams["Four"].respondents, teams["Four"].shown, teams["Four"].means) == (4, False, [])
    assert teams["Five"].means[0] == (likert(cycle), 4.0)


def test_a_respondent_counts_for_their_team_whatever_they_answered():
    """Four answered the Likert question and a fifth only the free text: the team has five
    respondents (so it is shown) but the question only four answers (so no mean)."""
    cycle = make_cycle("2026-Q3", days_ago=40)
    people = respondents("mixed", 5)
    _answer(people[:4], likert(cycle), ["5"] * 4)
    _answer(people[4:], free_text(cycle), ["Faster CI"])
    cycle = _closed(cycle)
    [team] = reports.cycle_results(cycle).teams
    assert (team.respondents, team.shown) == (5, True)
    assert team.means[0] == (likert(cycle), None)
    assert team.rows[0] == (likert(cycle).text, "hidden: fewer than 5 answers")
    assert reports._team_scores(cycle, list(cycle.questions.all())) == {}


def test_people_without_a_team_are_grouped_as_no_team():
    cycle = make_cycle("2026-Q3", days_ago=40)
    people = [make_user(f"loner-{n}") for n in range(5)]
    _answer(people, nps(cycle), ["9"] * 5)
    [team] = reports.cycle_results(_closed(cycle)).teams
    assert (team.name, team.respondents, team.nps.score) == (reports.NO_TEAM, 5, 100.0)


def test_several_choices_are_counted_per_option_from_grouped_lists():
    cycle = make_cycle("2026-Q3", days_ago=40)
    q = question(cycle, QuestionKind.MULTIPLE)
    people = respondents("choosers", 5)
    chosen = [["Service catalog", "Observability"], ["Observability"], ["API tokens"],
              ["Observability", "Service catalog"], ["Observability"]]  # fmt: skip
    _answer(people, q, chosen)
    report = reports.cycle_results(_closed(cycle))
    [result] = [r for r in report.questions if r.question.pk == q.pk]
    assert result.chart.rows == [
        ("Service catalog", "2"), ("Create a service", "0"), ("Provisioning", "0"),
        ("Observability", "4"), ("API tokens", "1"),
    ]  # fmt: skip


def test_a_hidden_cycle_computes_no_figures():
    cycle = make_cycle("2026-Q3", days_ago=40)
    _answer(respondents("few", 4), likert(cycle), ["3"] * 4)
    report = reports.cycle_results(_closed(cycle))
    assert (report.respondents, report.shown, report.questions) == (4, False, [])
    assert [(t.name, t.respondents, t.means) for t in report.teams] == [("Few", 4, [])]


def test_the_trend_counts_the_respondents_the_page_counts(owner_client):
    """Five gave scores and a sixth wrote only free text: six respondents on the page and in
    the trend; the NPS still comes from its five answers."""
    cycle = make_cycle("2026-Q3", days_ago=40)
    people = respondents("trend", 6)
    _answer(people[:5], nps(cycle), ["10", "9", "9", "7", "3"])
    _answer(people[:5], likert(cycle), ["4"] * 5)
    _answer(people[5:], free_text(cycle), ["More docs"])
    cycle = _closed(cycle)
    _, _, scores, key = reports.trend([cycle])
    [(quarter, counted, score)] = scores
    assert (quarter, counted, score.n, score.score) == ("2026-Q3", 6, 5, 40.0)
    assert key[0] == ("Q1", likert(cycle).text)
    html = owner_client.get(URL).content.decode()
    assert "6 respondents of" in html
    assert '<th scope="row">2026-Q3</th><td>40</td><td>-30 to 100</td><td>5</td><td>6</td>' in html


def test_the_trend_hides_a_question_four_answered_in_a_cycle_of_five():
    cycle = make_cycle("2026-Q3", days_ago=40)
    people = respondents("gated", 5)
    _answer(people, likert(cycle), ["2"] * 5)
    _answer(people[:4], nps(cycle), ["10"] * 4)
    likert_chart, _, scores, _ = reports.trend([_closed(cycle)])
    assert scores == [("2026-Q3", 5, None)]  # four NPS answers: no score
    assert likert_chart.rows[0][1] == "2"  # five Likert answers: a mean


def test_fixed_writes_what_floatformat_writes():
    values = [k / n for n in range(1, 41) for k in range(0, 5 * n + 1)]
    values += [-33.5, -0.4, 0.5, 2.125, -2.125, 99.995, -100.0, 74.0346]
    for value in values:
        for places in (0, 2):
            assert results.fixed(value, places) == floatformat(value, places), (value, places)


def test_table_rows_and_list_items_escape_each_cell():
    assert table_rows([("<b>", 1, "a&b")]) == (
        '<tr><th scope="row">&lt;b&gt;</th><td>1</td><td>a&amp;b</td></tr>'
    )
    assert list_items(["<script>", "x"]) == "<li>&lt;script&gt;</li><li>x</li>"


def test_a_cycle_without_an_nps_question_still_has_team_means():
    cycle = make_cycle("2026-Q3", days_ago=40)
    nps(cycle).delete()
    _answer(respondents("plain", 5), likert(cycle), ["3"] * 5)
    [team] = reports.cycle_results(_closed(cycle)).teams
    assert (team.means[0], team.nps) == ((likert(cycle), 3.0), None)
