"""The survey page: HTMX saves per question, the plain form without JavaScript, finishing."""

from django.urls import reverse

from feedback.survey import services
from feedback.survey.choices import CycleStatus
from feedback.survey.defaults import DEFAULT_QUESTIONS
from feedback.survey.models import Answer, Participation, Question
from tests.feedback.survey_factories import free_text, likert, make_cycle, nps

URL = "/feedback/survey/"
TOTAL = len(DEFAULT_QUESTIONS)


def test_the_urls_keep_their_names_and_paths():
    assert reverse("feedback:survey") == URL
    assert reverse("feedback:survey_results") == "/feedback/survey/results/"
    assert reverse("feedback:survey_thanks") == "/feedback/survey/thanks/"


def test_every_question_is_a_labelled_group_with_visible_scales(owner_client):
    cycle = make_cycle()
    html = owner_client.get(URL).content.decode()
    assert html.count("<fieldset") == TOTAL
    q = likert(cycle)
    assert f'<label for="q{q.pk}-4">' in html and "4 · Agree" in html
    assert "0 = not at all likely" in html and "10 = extremely likely" in html
    assert f'hx-post="/feedback/survey/answer/{q.pk}/"' in html
    assert f'<label for="q{free_text(cycle).pk}">Your answer</label>' in html
    assert "Why? (optional)" in html
    assert f"0 of {TOTAL} answered" in html


def test_an_htmx_save_returns_the_question_saved_and_the_progress_out_of_band(
    owner_client, personas
):
    cycle = make_cycle()
    q = likert(cycle)
    response = owner_client.post(
        f"/feedback/survey/answer/{q.pk}/",
        {q.field_name: "4", q.why_field_name: "builds are quick"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="question-{q.pk}"' in html and "Saved" in html
    assert f'id="q{q.pk}-3" name="q{q.pk}" value="4" checked' in html
    assert 'hx-swap-oob="true"' in html and f"1 of {TOTAL} answered" in html
    answer = Answer.objects.get()
    assert (answer.value, answer.why, answer.response.user) == (
        4,
        "builds are quick",
        personas.owner,
    )


def test_an_htmx_save_of_a_wrong_value_shows_the_error_beside_the_question(owner_client):
    q = nps(make_cycle())
    response = owner_client.post(
        f"/feedback/survey/answer/{q.pk}/", {q.field_name: "12"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'role="alert"' in html and "12 is outside the scale: pick 0 to 10" in html
    assert "Saved" not in html
    assert not Answer.objects.exists()


def test_the_answer_endpoint_refuses_get(owner_client):
    q = likert(make_cycle())
    assert owner_client.get(f"/feedback/survey/answer/{q.pk}/").status_code == 405


def test_the_whole_form_saves_without_javascript_then_redirects(owner_client, personas):
    cycle = make_cycle()
    multiple = cycle.questions.get(kind="multiple")
    data = {
        likert(cycle).field_name: "2",
        nps(cycle).field_name: "9",
        multiple.field_name: ["Provisioning", "Observability"],
        free_text(cycle).field_name: "Faster preview environments",
        "save": "1",
    }
    response = owner_client.post(URL, data)
    assert response.status_code == 302 and response.url == URL
    assert services.progress(personas.owner, cycle) == (4, TOTAL)
    assert Answer.objects.get(question=multiple).value == ["Provisioning", "Observability"]
    page = owner_client.get(URL).content.decode()
    assert f"4 of {TOTAL} answered" in page and "Your answers are saved" in page


def test_a_wrong_value_in_the_whole_form_is_shown_next_to_its_question(owner_client):
    cycle = make_cycle()
    data = {likert(cycle).field_name: "9", nps(cycle).field_name: "8", "finish": "1"}
    response = owner_client.post(URL, data)
    assert response.status_code == 400
    assert "9 is outside the scale: pick 1 to 5" in response.content.decode()
    assert not Participation.objects.exists()


def test_finishing_leads_to_the_thanks_page_and_what_happens_next(owner_client, personas):
    cycle = make_cycle()
    response = owner_client.post(URL, {nps(cycle).field_name: "10", "finish": "1"})
    assert response.status_code == 302 and response.url == "/feedback/survey/thanks/"
    assert Participation.objects.filter(cycle=cycle, user=personas.owner).exists()
    html = owner_client.get(response.url).content.decode()
    assert 'href="/feedback/roadmap/"' in html and "results page" in html
    assert "detached from your account" in html


def test_finishing_without_a_required_answer_says_which(owner_client):
    cycle = make_cycle()
    Question.objects.filter(pk=nps(cycle).pk).update(required=True)
    response = owner_client.post(URL, {"finish": "1"})
    assert response.status_code == 400
    assert "This question needs an answer before you finish." in response.content.decode()


def test_answers_are_editable_until_close_and_then_refused(owner_client):
    cycle = make_cycle()
    q = likert(cycle)
    owner_client.post(f"/feedback/survey/answer/{q.pk}/", {q.field_name: "1"})
    owner_client.post(f"/feedback/survey/answer/{q.pk}/", {q.field_name: "5"})
    assert Answer.objects.get().value == 5
    services.close_cycle(cycle)
    owner_client.post(f"/feedback/survey/answer/{q.pk}/", {q.field_name: "2"})
    assert Answer.objects.get().value == 5


def test_with_no_open_cycle_the_page_says_when_the_next_opens(owner_client):
    make_cycle("2026-Q3", status=CycleStatus.CLOSED, days_ago=60)
    make_cycle("2027-Q1", status=CycleStatus.DRAFT, days_ago=-30)
    html = owner_client.get(URL).content.decode()
    assert "No survey is open right now. The next one, 2027-Q1, opens on" in html


def test_the_survey_page_has_a_query_budget(owner_client, django_assert_max_num_queries):
    cycle = make_cycle()
    owner_client.post(URL, {likert(cycle).field_name: "3"})
    with django_assert_max_num_queries(12):
        assert owner_client.get(URL).status_code == 200
