"""Create a service in a real browser: cards, live name check, plan, create, live request."""

import os

from playwright.sync_api import expect

from catalog.choices import TeamRole
from catalog.models import Component
from provisioning import engine
from provisioning.demo import seed_golden_paths
from provisioning.models import ProvisioningRequest
from tests.e2e.accounts import sign_in
from tests.factories import add_member, make_team, make_user
from tests.provisioning.conftest import default_environment

SCREENSHOTS = os.environ.get("SCREENSHOTS_DIR")


def shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def test_create_a_service_from_the_home_page(
    page, live_server, transactional_db, settings, tmp_path
):
    settings.GIT_DIR, settings.GIT_HOST = tmp_path / "git", "local"
    team = make_team("payments", title="Payments")
    add_member(team, make_user("dana"), TeamRole.MEMBER)
    for name in ("dev", "staging", "prod"):
        default_environment(name)
    seed_golden_paths()

    sign_in(page, live_server.url, "dana")

    page.locator("article", has_text="Create a service").get_by_role("button").click()
    shot(page, "1-cards")
    page.get_by_role("button", name="Use Python HTTP service").click()
    page.get_by_label("Service name").fill("Check_Out")
    page.wait_for_selector("#name-check .errorlist")
    assert "lowercase" in page.locator("#name-check").inner_text()
    page.get_by_label("Service name").fill("checkout")
    page.wait_for_selector("#name-check .name-ok")
    page.get_by_label("What it does").fill("Takes card payments")
    shot(page, "2-form")
    page.get_by_role("button", name="Show the plan").click()
    page.wait_for_selector("#plan h2")
    assert "Deploy the first build to staging" in page.locator("#plan").inner_text()
    shot(page, "3-plan")
    page.get_by_role("button", name="Create checkout").click()
    page.wait_for_url("**/provisioning/requests/**")

    engine.apply(ProvisioningRequest.objects.get().pk, "e2e-worker")
    # expect(), not wait_for_function(): the CSP forbids the eval a string predicate needs.
    expect(page.locator("#request-state")).to_contain_text("Succeeded", timeout=10_000)
    shot(page, "4-request")
    assert Component.objects.filter(name="checkout").exists()
    # Said in words, with where to go next: not just a "Succeeded" badge.
    expect(page.get_by_role("heading", name="checkout is deployed to staging")).to_be_visible()
    expect(page.get_by_role("link", name="Its repository")).to_be_visible()
    expect(page.get_by_role("link", name="Request a PostgreSQL database")).to_be_visible()
    expect(page.get_by_role("link", name="Promote it to production")).to_be_visible()
    page.get_by_role("link", name="Open checkout's page").click()
    page.wait_for_url("**/catalog/services/default/checkout/")
    assert "Promote to Production" in page.content()
    # The service's own plumbing is not ten "Decommission" buttons labelled "Staging".
    expect(page.get_by_role("button", name="Decommission")).to_have_count(0)
    page.get_by_text("checkout's own wiring").click()
    overlay = page.get_by_role("row", name="gitops:apps/checkout/overlays/prod")
    expect(overlay.get_by_role("cell").nth(2)).to_have_text("Production")
    shot(page, "5-service")
