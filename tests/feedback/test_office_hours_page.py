"""Office hours: sign-up with a topic, your sign-ups, past notes, and monthly scheduling."""

from datetime import date, datetime, time

import pytest
from django.urls import reverse

from feedback.roadmap import planning, services
from feedback.roadmap.models import OfficeHoursSession, OfficeHoursSignup
from idp_portal.models import AuditEvent
from tests.factories import make_office_hours

pytestmark = pytest.mark.django_db
PAGE = reverse("feedback:office_hours")


def sign_up_url(session) -> str:
    return reverse("feedback:office_hours_sign_up", args=[session.pk])


def test_signing_up_records_the_topic_once(owner_client, personas):
    session = make_office_hours(7)
    response = owner_client.post(sign_up_url(session), {"topic": "Preview environments"})
    assert response.status_code == 302 and response.url == PAGE
    owner_client.post(sign_up_url(session), {"topic": "Something else"})
    signup = OfficeHoursSignup.objects.get()
    assert (signup.user, signup.topic) == (personas.owner, "Preview environments")
    assert AuditEvent.objects.filter(action="office_hours.sign_up").count() == 1
    body = owner_client.get(PAGE).content.decode()
    assert "“Preview environments”" in body and "Cancel my sign-up" in body


@pytest.mark.parametrize(
    ("topic", "error"),
    [("", "Say in a line what you would like to talk about."), ("x" * 301, "Shorten the topic")],
)
def test_an_invalid_topic_is_refused_beside_the_field(owner_client, topic, error):
    session = make_office_hours(7)
    response = owner_client.post(sign_up_url(session), {"topic": topic})
    assert response.status_code == 400 and error in response.content.decode()
    assert not OfficeHoursSignup.objects.exists()


def test_a_past_session_cannot_be_signed_up_for(owner_client):
    session = make_office_hours(-3)
    assert owner_client.post(sign_up_url(session), {"topic": "late"}).status_code == 404


def test_cancelling_removes_the_sign_up(owner_client, personas):
    session = make_office_hours(7)
    services.sign_up(personas.owner, session, "DNS")
    owner_client.post(reverse("feedback:office_hours_cancel", args=[session.pk]))
    assert not OfficeHoursSignup.objects.exists()


def test_past_sessions_show_their_notes_to_everyone(outsider_client):
    make_office_hours(-10, notes="We agreed to document DNS.")
    make_office_hours(10, notes="secret agenda")
    body = outsider_client.get(PAGE).content.decode()
    assert "We agreed to document DNS." in body and "secret agenda" not in body


def test_the_page_labels_the_topic_field(owner_client):
    session = make_office_hours(7)
    body = owner_client.get(PAGE).content.decode()
    assert f'<label for="topic-{session.pk}">What would you like to talk about?</label>' in body
    assert f'id="topic-help-{session.pk}"' in body


def test_query_budget_is_constant_in_sessions(owner_client, personas, django_assert_num_queries):
    def add(n):
        for i in range(n):
            s = make_office_hours(i + 1, host=personas.teammate)
            services.sign_up(personas.teammate, s, "topic")
            make_office_hours(-i - 1, notes="n")

    add(1)
    # session, user, memberships, the header's approvals count (the owner is a lead), your
    # sign-ups, upcoming, past
    with django_assert_num_queries(8):  # with the survey banner
        owner_client.get(PAGE)
    add(5)
    with django_assert_num_queries(8):  # with the survey banner
        owner_client.get(PAGE)


def test_nth_weekday_and_the_last_one():
    assert planning.nth_weekday(2027, 3, 1, 2) == date(2027, 3, 9)  # 2nd Tuesday
    assert planning.nth_weekday(2027, 3, 2, planning.LAST) == date(2027, 3, 31)


def test_monthly_occurrences_skip_a_day_already_past_and_cross_the_year():
    starts = planning.monthly_occurrences(1, 2, time(15), date(2026, 11, 20), months=3)
    assert starts == [datetime(2026, 12, 8, 15), datetime(2027, 1, 12, 15)]


def test_scheduling_twice_creates_each_session_once(platform_admin):
    kwargs = {"weekday": 3, "week": planning.LAST, "at": time(15), "duration_minutes": 60}
    first = services.schedule_monthly_sessions(platform_admin, where="Room 4", **kwargs)
    again = services.schedule_monthly_sessions(platform_admin, where="Room 4", **kwargs)
    assert again == [] and OfficeHoursSession.objects.count() == len(first) >= 2
    assert all(s.starts_at.weekday() == 3 for s in first)


def test_the_admin_schedule_form_creates_sessions(platform_client):
    url = reverse("admin:feedback_officehourssession_schedule")
    assert platform_client.get(url).status_code == 200
    data = {"weekday": 1, "week": 5, "at": "15:00", "duration_minutes": 45, "where": "Room 4"}
    response = platform_client.post(url, data)
    assert response.status_code == 302
    assert OfficeHoursSession.objects.filter(duration_minutes=45, where="Room 4").count() >= 2


def test_the_admin_list_offers_monthly_scheduling(platform_client):
    body = platform_client.get(reverse("admin:feedback_officehourssession_changelist"))
    assert reverse("admin:feedback_officehourssession_schedule") in body.content.decode()


def test_a_member_cannot_open_the_schedule_form(owner_client):
    url = reverse("admin:feedback_officehourssession_schedule")
    assert owner_client.post(url, {"weekday": 1}).status_code in (302, 403)
    assert not OfficeHoursSession.objects.exists()
