"""A newcomer answers the survey in a real browser, by the questions' visible labels alone."""

import re

from playwright.sync_api import expect

from feedback.survey.defaults import DEFAULT_QUESTIONS
from feedback.survey.models import Answer, Participation
from tests.e2e.accounts import sign_in
from tests.factories import make_user
from tests.feedback.survey_factories import make_cycle


def test_a_newcomer_follows_the_banner_answers_everything_and_finishes(
    page, live_server, transactional_db
):
    make_cycle("2026-Q4")
    newcomer = make_user("nina")
    sign_in(page, live_server.url, "nina")

    banner = page.get_by_role("complementary", name="Developer-experience survey")
    expect(banner).to_contain_text("The Q4 developer-experience survey is open")
    banner.get_by_role("link", name="Answer it").click()
    page.wait_for_url("**/feedback/survey/")

    total = len(DEFAULT_QUESTIONS)
    for n, (text, kind, _, why, choices) in enumerate(DEFAULT_QUESTIONS, 1):
        group = page.get_by_role("group", name=re.compile(re.escape(text)))
        if kind == "likert":
            group.get_by_label("4 · Agree").check()
        elif kind == "nps":
            group.get_by_label("9", exact=True).check()
        elif kind == "multiple":
            group.get_by_label(choices[0]).check()
        else:
            group.get_by_label("Your answer").fill("Preview environments, please.")
            group.get_by_label("Your answer").press("Tab")
        expect(group.get_by_role("status")).to_have_text("Saved")
        expect(page.locator("#survey-progress")).to_contain_text(f"{n} of {total} answered")
        if why:
            box = group.get_by_label("Why? (optional)")
            box.fill("It mostly just works.")
            # The status already says Saved from the answer: wait for the why's own save.
            with page.expect_response(re.compile(r"/feedback/survey/answer/")):
                box.press("Tab")
            expect(group.get_by_role("status")).to_have_text("Saved")

    page.get_by_role("button", name="Finish", exact=True).click()
    page.wait_for_url("**/feedback/survey/thanks/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for answering")
    expect(page.get_by_role("link", name="roadmap")).to_have_attribute("href", "/feedback/roadmap/")
    expect(page.get_by_role("complementary", name="Developer-experience survey")).to_have_count(0)
    assert Answer.objects.filter(response__user=newcomer).count() == total
    assert Participation.objects.filter(user=newcomer).exists()


def test_not_today_removes_the_banner_in_place_and_it_stays_away(
    page, live_server, transactional_db
):
    make_cycle("2026-Q4")
    make_user("omar")
    sign_in(page, live_server.url, "omar")
    banner = page.get_by_role("complementary", name="Developer-experience survey")
    banner.get_by_role("button", name="Not today").click()
    expect(banner).to_have_count(0)
    assert page.url == f"{live_server.url}/"  # removed in place, no navigation
    page.reload()
    expect(banner).to_have_count(0)


def test_a_slow_save_cannot_overwrite_the_progress_of_a_later_one(
    page, live_server, transactional_db
):
    """Saves go out one at a time, in order: a late answer never shows a stale count."""
    make_cycle("2026-Q4")
    make_user("pia")
    sign_in(page, live_server.url, "pia")
    page.goto(f"{live_server.url}/feedback/survey/")

    held, sent = [], []
    page.on("request", lambda r: sent.append(r.url) if "/survey/answer/" in r.url else None)
    page.route(
        "**/feedback/survey/answer/**",
        lambda route: route.continue_() if held else held.append(route),
    )
    first, second = (
        page.get_by_role("group", name=re.compile(re.escape(text)))
        for text, *_ in DEFAULT_QUESTIONS[:2]
    )
    first.get_by_label("4 · Agree").check()
    second.get_by_label("4 · Agree").check()
    page.wait_for_timeout(300)
    # The second save waits for the first: only one request is out.
    assert len(held) == 1 and len(sent) == 1
    held[0].continue_()
    expect(page.locator("#survey-progress")).to_contain_text("2 of")
    expect(second.get_by_role("status")).to_have_text("Saved")
    assert len(sent) == 2
