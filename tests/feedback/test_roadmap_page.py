"""The roadmap page, its vote toggle and an item's comments."""

import pytest
from django.urls import reverse

from feedback.roadmap.models import RoadmapComment, RoadmapVote
from idp_portal.models import AuditEvent
from tests.factories import make_roadmap_item, make_user

pytestmark = pytest.mark.django_db
ROADMAP = reverse("feedback:roadmap")


def vote_url(item) -> str:
    return reverse("feedback:roadmap_vote", args=[item.pk])


def test_the_roadmap_url_is_kept():
    assert ROADMAP == "/feedback/roadmap/"


def test_it_shows_items_under_their_status_with_vote_counts(owner_client, personas):
    now = make_roadmap_item("Self-service DNS records", status="now", target_quarter="2027-Q1")
    shipped = make_roadmap_item(
        "Observability by default", status="shipped", what_changed_url="https://docs.example/o11y"
    )
    RoadmapVote.objects.create(item=now, user=personas.teammate)
    RoadmapVote.objects.create(item=now, user=personas.outsider)
    response = owner_client.get(ROADMAP)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("Self-service DNS records") < body.index('id="col-next"')
    assert body.index(shipped.title) > body.index('id="col-shipped"')
    assert "2 votes" in body and "target 2027-Q1" in body
    assert 'href="https://docs.example/o11y"' in body


def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(ROADMAP)
    assert response.status_code == 302 and "login" in response.url


def test_upvoting_twice_is_a_no_op_and_audited_once(owner_client, personas):
    item = make_roadmap_item()
    owner_client.post(vote_url(item), {"vote": "1"})
    response = owner_client.post(vote_url(item), {"vote": "1"})
    assert response.status_code == 302 and response.url == ROADMAP
    assert RoadmapVote.objects.filter(item=item, user=personas.owner).count() == 1
    assert AuditEvent.objects.filter(action="roadmap.vote", object_id=str(item.pk)).count() == 1


def test_removing_a_vote_removes_only_mine_and_a_repeat_does_nothing(owner_client, personas):
    item = make_roadmap_item()
    RoadmapVote.objects.create(item=item, user=personas.owner)
    RoadmapVote.objects.create(item=item, user=personas.teammate)
    owner_client.post(vote_url(item), {"vote": "0"})
    owner_client.post(vote_url(item), {"vote": "0"})
    assert list(RoadmapVote.objects.values_list("user__username", flat=True)) == ["teammate"]
    assert AuditEvent.objects.filter(action="roadmap.vote").count() == 1


def test_htmx_vote_returns_just_that_items_partial_with_the_new_count(owner_client):
    item = make_roadmap_item("Preview environments per pull request")
    response = owner_client.post(vote_url(item), {"vote": "1"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith(f'<article class="roadmap-item" id="roadmap-item-{item.pk}"')
    assert "1 vote" in body and "Remove vote" in body and "<html" not in body
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_voting_needs_post(owner_client):
    item = make_roadmap_item()
    assert owner_client.get(vote_url(item)).status_code == 405


def test_query_budget_is_constant_in_items(owner_client, personas, django_assert_num_queries):
    def add_items(n):
        for _ in range(n):
            item = make_roadmap_item(status="next")
            RoadmapVote.objects.create(item=item, user=personas.teammate)
            RoadmapComment.objects.create(item=item, user=personas.teammate, text="yes")

    add_items(2)
    owner_client.get(ROADMAP)  # warm the session
    # session, user, the user's memberships (navigation), the header's approvals count (the
    # owner is a lead), the items with their counts
    with django_assert_num_queries(6):  # with the survey banner
        owner_client.get(ROADMAP)
    add_items(10)
    with django_assert_num_queries(6):  # with the survey banner
        response = owner_client.get(ROADMAP)
    assert response.content.decode().count('class="roadmap-item"') == 12


def test_a_comment_is_posted_and_audited(owner_client):
    item = make_roadmap_item()
    url = reverse("feedback:roadmap_item", args=[item.pk])
    response = owner_client.post(url, {"text": "  We need this for checkout.  "})
    assert response.status_code == 302 and response.url == url
    assert RoadmapComment.objects.get(item=item).text == "We need this for checkout."
    assert AuditEvent.objects.filter(action="roadmap.comment").count() == 1
    assert "We need this for checkout." in owner_client.get(url).content.decode()


@pytest.mark.parametrize(
    ("text", "error"),
    [("   ", "Write a comment before posting it."), ("x" * 2001, "Shorten the comment to 2,000")],
)
def test_an_invalid_comment_is_refused_with_the_error_beside_the_field(owner_client, text, error):
    item = make_roadmap_item()
    response = owner_client.post(reverse("feedback:roadmap_item", args=[item.pk]), {"text": text})
    body = response.content.decode()
    assert response.status_code == 200 and not RoadmapComment.objects.exists()
    assert 'id="id_text_error"' in body and error in body


def test_the_detail_page_labels_the_comment_field(owner_client):
    item = make_roadmap_item()
    body = owner_client.get(reverse("feedback:roadmap_item", args=[item.pk])).content.decode()
    assert '<label for="id_text">Your comment</label>' in body and 'id="id_text_helptext"' in body


def test_an_unknown_item_is_404(owner_client):
    assert owner_client.get(reverse("feedback:roadmap_item", args=[999])).status_code == 404


def test_an_inactive_user_cannot_vote(client):
    user = make_user("gone", is_active=False)
    client.force_login(user)
    item = make_roadmap_item()
    client.post(vote_url(item), {"vote": "1"})
    assert not RoadmapVote.objects.exists()


def test_an_item_shows_the_survey_themes_it_addresses_with_gated_counts(owner_client):
    from feedback.roadmap.models import SurveyTheme
    from feedback.survey.choices import CycleStatus
    from tests.feedback.survey_factories import make_cycle

    item = make_roadmap_item("Self-service DNS records", status="now")
    cycle = make_cycle("2026-Q3", status=CycleStatus.CLOSED, days_ago=90)
    SurveyTheme.objects.create(
        cycle=cycle, title="DNS needs a ticket", mentions=23, roadmap_item=item
    )
    SurveyTheme.objects.create(cycle=cycle, title="DNS for tests", mentions=4, roadmap_item=item)
    SurveyTheme.objects.create(cycle=cycle, title="Elsewhere", mentions=9)
    body = owner_client.get(item.get_absolute_url()).content.decode()
    assert "Raised in the developer survey" in body
    assert "<strong>DNS needs a ticket</strong> (23 answers)" in body
    assert "<strong>DNS for tests</strong> (fewer than 5 answers)" in body  # never a small count
    assert "Elsewhere" not in body
    assert "/feedback/survey/results/?cycle=2026-Q3#survey-themes" in body


def test_an_item_without_themes_has_no_survey_section(owner_client):
    item = make_roadmap_item("Cost per service")
    assert (
        "Raised in the developer survey"
        not in owner_client.get(item.get_absolute_url()).content.decode()
    )
