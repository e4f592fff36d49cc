"""The results page and CSV: statistics, anonymity thresholds, permissions, query budget."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from feedback.survey import results, services
from feedback.survey.choices import CycleStatus
from feedback.survey.models import Response
from tests.factories import make_user
from tests.feedback.survey_factories import free_text, likert, make_cycle, nps, respondents

URL = "/feedback/survey/results/"
EXPORT = "/feedback/survey/results/export.csv"


def test_nps_and_its_interval_on_hand_made_numbers():
    # 5 promoters, 2 passives, 3 detractors of 10: p = .5, d = .3, NPS = 20;
    # SE = sqrt((.5 + .3 - .2²) / 10) = sqrt(.076) = .27568; margin = 1.96 × 27.568 = 54.03.
    score = results.nps([10, 10, 9, 8, 7, 6, 0, 3, 10, 9])
    assert (score.promoters, score.passives, score.detractors) == (5, 2, 3)
    assert score.score == pytest.approx(20.0)
    assert score.low == pytest.approx(-34.03, abs=0.01)
    assert score.high == pytest.approx(74.03, abs=0.01)


def test_nps_interval_is_clipped_and_absent_without_answers():
    assert results.nps([]) is None
    everyone = results.nps([10, 9])
    assert (everyone.score, everyone.low, everyone.high) == (100.0, 100.0, 100.0)


def test_distribution_lists_every_option_with_zeros():
    assert results.distribution("nps", [], [10, 10, 3])[3] == ("3", 1)
    assert results.distribution("multiple", ["a", "b", "c"], [["a", "c"], ["c"]]) == [
        ("a", 1), ("b", 0), ("c", 2)
    ]  # fmt: skip


def _answer(users, cycle, likert_value="4", nps_value="9", text=None):
    for user in users:
        services.save_answer(user, likert(cycle), likert_value)
        services.save_answer(user, nps(cycle), nps_value)
        if text:
            services.save_answer(user, free_text(cycle), f"{text} from {user.username}")


def _closed_cycle(shown_team: int, small_team: int, texts: int = 0, quarter="2026-Q3"):
    cycle = make_cycle(quarter, days_ago=40)
    _answer(respondents(f"big-{quarter.lower()}", shown_team), cycle)
    _answer(respondents(f"small-{quarter.lower()}", small_team), cycle, "2", "3")
    _answer(respondents(f"writers-{quarter.lower()}", texts, prefix=f"w{quarter}"), cycle,
            text="More docs")  # fmt: skip
    services.close_cycle(cycle)
    return cycle


def test_a_team_of_four_is_hidden_and_a_team_of_five_is_shown(owner_client):
    _closed_cycle(shown_team=5, small_team=4)
    html = owner_client.get(URL).content.decode()
    big, small = html.split("<h3>Big 2026 Q3</h3>")[1], html.split("<h3>Small 2026 Q3</h3>")[1]
    assert small.split("</article>")[0].count("Hidden: fewer than 5 answers.") == 1
    assert "5 respondents; NPS 100" in big.split("</article>")[0]
    assert "9 respondents of" in html


def test_free_text_is_shown_without_names_only_from_five_answers(owner_client):
    cycle = _closed_cycle(shown_team=5, small_team=0, texts=4)
    html = owner_client.get(URL).content.decode()
    assert "More docs" not in html and "Hidden: fewer than 5 answers (4 so far)." in html
    Response.objects.filter(cycle=cycle).delete()
    cycle.delete()
    _closed_cycle(shown_team=0, small_team=0, texts=5, quarter="2026-Q2")
    html = owner_client.get(URL).content.decode()
    assert html.count("More docs from w2026-Q2-") == 5  # the text as written, no account shown
    assert "Writers 2026 Q2</h3>" in html


def test_free_text_order_is_random_but_stable(owner_client):
    _closed_cycle(shown_team=0, small_team=0, texts=6)
    first = owner_client.get(URL).content.decode().split('class="survey-texts"')[1]
    again = owner_client.get(URL).content.decode().split('class="survey-texts"')[1]
    assert first == again


def test_a_cycle_with_fewer_than_five_respondents_shows_no_answers(owner_client):
    _closed_cycle(shown_team=0, small_team=4)
    html = owner_client.get(URL).content.decode()
    assert "Hidden: fewer than 5 people answered this survey" in html
    assert "<svg" not in html


def test_during_an_open_cycle_only_closed_cycles_are_shown(owner_client, personas):
    _closed_cycle(shown_team=5, small_team=0)
    current = make_cycle("2026-Q4")
    services.save_answer(personas.teammate, likert(current), "1")
    html = owner_client.get(URL).content.decode()
    assert '<option value="2026-Q3" selected>' in html and "2026-Q4</option>" not in html
    assert owner_client.get(URL + "?cycle=2026-Q4").content.decode().count("2026-Q3") > 1


def test_the_trend_shows_each_closed_cycle(owner_client):
    _closed_cycle(shown_team=5, small_team=0, quarter="2026-Q2")
    _closed_cycle(shown_team=6, small_team=0, quarter="2026-Q3")
    html = owner_client.get(URL).content.decode()
    assert "Mean agreement per question (1–5)" in html
    assert '<th scope="row">2026-Q2</th><td>100</td>' in html


def test_nothing_closed_yet_says_so(owner_client):
    make_cycle()
    assert "No results yet" in owner_client.get(URL).content.decode()


def test_the_page_reads_a_constant_number_of_queries(owner_client, django_assert_num_queries):
    """Uncached loads (the cache cleared before each): the same queries whatever the size."""
    _closed_cycle(shown_team=5, small_team=1, texts=5)
    owner_client.get(URL)
    cache.clear()
    with django_assert_num_queries(12) as few:  # with the approvals count (a lead) and the themes
        owner_client.get(URL)
    _closed_cycle(shown_team=12, small_team=3, texts=7, quarter="2026-Q2")
    cache.clear()
    with django_assert_num_queries(len(few.captured_queries)):
        owner_client.get(URL + "?cycle=2026-Q2")


def _results_part(html: str) -> str:
    return html.split("<hgroup>")[1]  # what follows the per-request CSRF token


def test_a_repeat_load_reads_a_closed_cycles_figures_from_the_cache(
    owner_client, django_assert_num_queries
):
    _closed_cycle(shown_team=5, small_team=1, texts=5)
    cache.clear()
    first = owner_client.get(URL).content.decode()
    with django_assert_num_queries(
        8
    ):  # session, user, cycles, questions, accounts, teams, badge, themes
        again = owner_client.get(URL).content.decode()
    assert _results_part(again) == _results_part(first)
    assert "Big 2026 Q3" in again and "More docs from" in again


def test_an_edited_question_and_a_newly_closed_cycle_show_on_the_next_load(owner_client):
    cycle = _closed_cycle(shown_team=5, small_team=0, quarter="2026-Q2")
    assert "Renamed in the admin" not in owner_client.get(URL).content.decode()
    renamed = likert(cycle)
    renamed.text = "Renamed in the admin"
    renamed.save()
    assert "Renamed in the admin" in owner_client.get(URL).content.decode()
    _closed_cycle(shown_team=6, small_team=0, quarter="2026-Q3")
    html = owner_client.get(URL + "?cycle=2026-Q2").content.decode()
    assert '<th scope="row">2026-Q3</th><td>100</td>' in html  # the new cycle in the trend


def test_active_accounts_are_counted_on_every_load(owner_client):
    _closed_cycle(shown_team=5, small_team=0)
    owner_client.get(URL)
    make_user("newcomer")
    active = get_user_model().objects.filter(is_active=True).count()
    assert f"5 respondents of {active} active accounts" in owner_client.get(URL).content.decode()


def test_a_member_may_not_export(owner_client):
    _closed_cycle(shown_team=5, small_team=0)
    assert owner_client.get(EXPORT).status_code == 403
    assert "Download the" not in owner_client.get(URL).content.decode()


def test_an_admin_exports_aggregates_with_formula_cells_escaped(platform_client):
    cycle = _closed_cycle(shown_team=5, small_team=2)
    cycle.questions.filter(pk=likert(cycle).pk).update(text="=HYPERLINK(1)")
    response = platform_client.get(EXPORT + "?cycle=2026-Q3")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["cycle", "group", "question", "statistic", "value"]
    assert ["2026-Q3", "all", "", "respondents", "7"] in rows
    assert any(r[2].startswith("1. =HYPERLINK") for r in rows)  # prefixed by its position
    team = [r for r in rows if r[1] == "Small 2026 Q3"]
    assert team == [["2026-Q3", "Small 2026 Q3", "", "respondents", "hidden: fewer than 5"]]
    assert "More docs" not in response.content.decode()


def test_export_cells_that_start_like_formulas_are_escaped(platform_client):
    cycle = _closed_cycle(shown_team=5, small_team=0)
    from catalog.models import Team

    Team.objects.filter(name="big-2026-q3").update(title="=cmd")
    Response.objects.filter(cycle=cycle).update(team_name="=cmd")
    rows = list(csv.reader(io.StringIO(platform_client.get(EXPORT).content.decode())))
    assert any(r[1] == "'=cmd" for r in rows)
    assert not any(r[1] == "=cmd" for r in rows)


def test_results_need_a_signed_in_user(client, db):
    make_user()
    make_cycle(status=CycleStatus.CLOSED)
    assert client.get(URL).status_code == 302


def test_a_question_fewer_than_five_answered_shows_no_figures(owner_client):
    """Every default question is optional: a team of five may still hold one answer."""
    cycle = make_cycle("2026-Q3", days_ago=40)
    people = respondents("optional-2026-q3", 5)
    for user in people:
        services.save_answer(user, nps(cycle), "9")
    services.save_answer(people[0], likert(cycle), "1")  # one person answered this one
    services.close_cycle(cycle)
    html = owner_client.get(URL).content.decode()
    likert_part = html.split(likert(cycle).text)[1].split("</article>")[0]
    assert "mean" not in likert_part and "Hidden: fewer than 5 answers (1 so far)" in likert_part
    team = html.split("<h3>Optional 2026 Q3</h3>")[1].split("</article>")[0]
    assert "hidden: fewer than 5 answers" in team and "1.00" not in team


def test_the_themes_read_in_the_answers_link_to_the_roadmap(owner_client):
    from feedback.roadmap.models import SurveyTheme
    from tests.factories import make_roadmap_item

    cycle = _closed_cycle(shown_team=5, small_team=1)
    item = make_roadmap_item("Self-service DNS records", status="now")
    SurveyTheme.objects.create(
        cycle=cycle, title="DNS needs a ticket", mentions=12, roadmap_item=item
    )
    SurveyTheme.objects.create(cycle=cycle, title="Owners are hard to find", mentions=2)
    body = owner_client.get(URL).content.decode()
    section = body[body.index('id="survey-themes"') :]
    assert "DNS needs a ticket" in section and "12 answers" in section
    assert f'href="{item.get_absolute_url()}">Self-service DNS records</a> (now)' in section
    assert "Owners are hard to find" in section and "fewer than 5 answers" in section
    assert "not planned yet" in section


def test_without_themes_the_page_says_they_come_later(owner_client):
    _closed_cycle(shown_team=5, small_team=1)
    assert "has not summarised this cycle's themes yet" in owner_client.get(URL).content.decode()
