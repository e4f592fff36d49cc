"""The survey banner on every page: who sees it, its query budget, and "Not today"."""

from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from feedback.survey import services
from feedback.survey.choices import CycleStatus
from feedback.survey.context_processors import banner_cycle, survey_banner
from tests.feedback.survey_factories import make_cycle, nps

BANNER = "The Q4 developer-experience survey is open: 2 minutes, anonymous."


def _request(user, path="/catalog/"):
    request = RequestFactory().get(path)
    request.user = user
    request.session = SessionStore()
    return request


def test_a_signed_in_user_who_has_not_finished_sees_it_on_any_page(owner_client):
    make_cycle()
    html = owner_client.get("/catalog/").content.decode()
    assert BANNER in html
    assert 'href="/feedback/survey/"' in html and "Not today" in html


def test_the_banner_costs_one_query_however_often_a_page_asks(personas, django_assert_num_queries):
    cycle = make_cycle()
    request = _request(personas.owner)
    with django_assert_num_queries(1):
        for _ in range(3):  # a page and its fragments each run the context processors
            assert survey_banner(request)["survey_banner"]() == cycle
            assert banner_cycle(request) == cycle


def _queries_of(client, url: str) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        html = client.get(url).content.decode()
    return html, [q["sql"] for q in captured.captured_queries]


def test_a_page_with_the_banner_costs_one_query_more_than_without(owner_client):
    make_cycle()
    owner_client.get("/catalog/")
    html, shown = _queries_of(owner_client, "/catalog/")
    assert BANNER in html
    owner_client.post("/feedback/survey/dismiss/")
    owner_client.get("/catalog/")  # the "hidden until tomorrow" message, consumed
    html, hidden = _queries_of(owner_client, "/catalog/")
    assert BANNER not in html
    assert len(shown) == len(hidden) + 1
    assert len([q for q in shown if "feedback_" in q]) == 1
    assert not [q for q in hidden if "feedback_" in q]


def test_a_fragment_without_the_banner_costs_no_query(personas, django_assert_num_queries):
    make_cycle()
    with django_assert_num_queries(0):
        survey_banner(_request(personas.owner))  # never resolved by the template


def test_the_banner_costs_no_query_for_anonymous_users(db, django_assert_num_queries):
    make_cycle()
    with django_assert_num_queries(0):
        assert survey_banner(_request(AnonymousUser()))["survey_banner"]() is None


def test_no_banner_once_finished_or_with_no_open_cycle(personas):
    cycle = make_cycle()
    services.save_answer(personas.owner, nps(cycle), "8")
    services.finish(personas.owner, cycle)
    assert survey_banner(_request(personas.owner))["survey_banner"]() is None
    assert survey_banner(_request(personas.teammate))["survey_banner"]() == cycle
    cycle.status = CycleStatus.CLOSED
    cycle.save()
    assert survey_banner(_request(personas.teammate))["survey_banner"]() is None


def test_not_today_hides_it_for_the_day_without_javascript(owner_client):
    make_cycle()
    response = owner_client.post("/feedback/survey/dismiss/", {"next": "/catalog/"})
    assert response.status_code == 302 and response.url == "/catalog/"
    assert BANNER not in owner_client.get("/catalog/").content.decode()


def test_not_today_with_htmx_answers_an_empty_fragment(owner_client):
    make_cycle()
    response = owner_client.post("/feedback/survey/dismiss/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""
    assert BANNER not in owner_client.get("/catalog/").content.decode()


def test_not_today_never_redirects_off_site(owner_client):
    make_cycle()
    response = owner_client.post("/feedback/survey/dismiss/", {"next": "https://evil.test/"})
    assert response.url == "/"


def test_a_dismissal_from_yesterday_no_longer_hides_it(personas):
    cycle = make_cycle()
    request = _request(personas.owner)
    request.session["survey_banner_dismissed_on"] = "2000-01-01"
    assert survey_banner(request)["survey_banner"]() == cycle


def test_not_today_refuses_get(owner_client):
    assert owner_client.get("/feedback/survey/dismiss/").status_code == 405
