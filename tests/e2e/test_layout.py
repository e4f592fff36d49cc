"""The portal's frame in a real browser: a phone never scrolls sideways, the menu folds and
opens, the catalog puts search first, the lead sees waiting approvals, the dependency graph's
boxes are links a screen reader reaches, and Help is one click from anywhere."""

import re

import pytest
from playwright.sync_api import expect

from catalog.choices import TeamRole
from provisioning import services
from tests.e2e.accounts import sign_in
from tests.factories import add_member, depends_on, make_component, make_team, make_user
from tests.feedback.survey_factories import make_cycle
from tests.provisioning.conftest import default_environment
from tests.provisioning.test_engine import BUCKET

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world(transactional_db):
    payments = make_team("payments", title="Payments")
    lead, member = make_user("lena"), make_user("milo")
    add_member(payments, lead, TeamRole.LEAD)
    add_member(payments, member)
    checkout = make_component(
        "checkout-service",
        owner=payments,
        description="Takes card payments from the web shop and the mobile apps, then books them",
        repository_url="https://git.example.com/payments/checkout-service-with-a-long-name.git",
        tags=("payments", "python", "tier-one"),
    )
    ledger = make_component("ledger", owner=payments)
    depends_on(checkout, ledger)
    depends_on(make_component("web-shop", owner=payments), checkout)
    for n in range(12):
        make_component(f"service-with-a-long-name-{n:02}", owner=make_team(f"team-{n:02}"))
    held = services.submit_request(
        member, "s3-bucket", checkout, default_environment("prod"), BUCKET
    )
    make_cycle("2026-Q4")
    return {"checkout": checkout, "held": held}


def _page_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def test_no_page_of_the_journey_scrolls_sideways_on_a_phone(page, live_server, world):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "lena")
    for path in [
        "/",
        "/catalog/?view=all",
        world["checkout"].get_absolute_url(),
        "/provisioning/",
        "/provisioning/create-service/",
        "/provisioning/request/s3-bucket/",
        world["held"].get_absolute_url(),
        "/provisioning/approvals/",
        "/feedback/survey/",
        "/help/",
    ]:
        page.goto(f"{live_server.url}{path}")
        assert _page_width(page) <= PHONE["width"], f"{path} is wider than a phone"


def test_on_a_phone_the_menu_opens_and_leads_to_each_section(page, live_server, world):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "milo")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Catalog")).to_be_hidden()  # folded away
    expect(page.get_by_role("contentinfo").get_by_role("link", name="Help")).to_be_visible()
    nav.get_by_text("Menu").click()
    nav.get_by_role("link", name="Catalog").click()
    page.wait_for_url("**/catalog/")
    nav.get_by_text("Menu").click()
    expect(nav.get_by_role("link", name="Catalog")).to_have_attribute("aria-current", "page")
    nav.get_by_role("link", name="Help").click()
    expect(page.get_by_role("heading", name="Help", level=1)).to_be_visible()
    page.get_by_role("link", name="Ask the platform team").click()
    expect(page.get_by_role("button", name="Send to the platform team")).to_be_visible()


def test_on_a_wide_screen_the_sections_are_a_row_without_a_menu(page, live_server, world):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server.url, "milo")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_text("Menu")).to_be_hidden()
    for label in ["Catalog", "Create a service", "Provision", "Observability", "Feedback", "Help"]:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name=re.compile("^Approvals"))).to_have_count(0)  # a member


def test_the_lead_sees_how_many_approvals_wait_and_reaches_them(page, live_server, world):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server.url, "lena")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Approvals (1)").click()
    page.wait_for_url("**/provisioning/approvals/")
    expect(page.get_by_role("link", name=f"#{world['held'].pk}")).to_be_visible()

    page.set_viewport_size(PHONE)
    expect(nav.get_by_text("Menu 1 to approve")).to_be_visible()  # seen before opening it


def test_on_a_phone_the_catalog_search_comes_first_and_filters_fold(page, live_server, world):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "lena")
    page.goto(f"{live_server.url}/catalog/?view=all")
    search = page.get_by_role("searchbox", name="Search services")
    filters = page.get_by_text("Filters", exact=True)
    assert search.bounding_box()["y"] + 50 < PHONE["height"]  # on the first screen
    assert search.bounding_box()["y"] < filters.bounding_box()["y"]
    expect(page.get_by_role("checkbox", name=re.compile("^Payments"))).to_be_hidden()
    filters.click()
    page.get_by_role("checkbox", name=re.compile("^Payments")).check()
    page.wait_for_url(re.compile(r"[?&]owner="))
    expect(page.locator("#results")).to_contain_text("3 services")
    search.fill("ledger")
    page.wait_for_url("**q=ledger**")
    expect(page.locator("#results")).to_contain_text("1 service")


def test_the_dependency_graph_boxes_are_links_a_screen_reader_reaches(page, live_server, world):
    sign_in(page, live_server.url, "milo")
    page.goto(f"{live_server.url}{world['checkout'].get_absolute_url()}")
    # Inside role="img" nothing is exposed, so neither the group nor its links would be found.
    graph = page.get_by_role("group", name=re.compile("^Dependency graph"))
    expect(graph.get_by_role("link")).to_have_count(2)  # what depends on it, what it needs
    expect(graph.get_by_role("link", name="web-shop")).to_be_visible()
    graph.get_by_role("link", name="ledger").click()
    expect(page.get_by_role("heading", name="ledger", level=1)).to_be_visible()
