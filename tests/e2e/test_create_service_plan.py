"""The plan step of "Create a service", as a newcomer meets it: Create sits right under the
plan, Enter shows the plan and moves to Create, and a plan never outlives the answers it was
made from."""

import pytest
from playwright.sync_api import expect

from catalog.choices import TeamRole
from provisioning.demo import seed_golden_paths
from provisioning.models import ProvisioningRequest, ServiceOrigin
from tests.e2e.accounts import sign_in
from tests.factories import add_member, make_team, make_user
from tests.provisioning.conftest import default_environment


@pytest.fixture
def wizard(page, live_server, transactional_db, settings, tmp_path):
    """Signed in as a member of payments, on the Python golden path's form."""
    settings.GIT_DIR, settings.GIT_HOST = tmp_path / "git", "local"
    team = make_team("payments", title="Payments")
    add_member(team, make_user("dana"), TeamRole.MEMBER)
    for name in ("dev", "staging", "prod"):
        default_environment(name)
    seed_golden_paths()
    sign_in(page, live_server.url, "dana", next_path="/provisioning/create-service/python-http/")
    expect(page.get_by_role("heading", name="Create a Python HTTP service")).to_be_visible()
    return page


def test_create_is_right_under_the_plan_summary_and_takes_the_focus(wizard):
    page = wizard
    page.get_by_label("Service name").fill("checkout")
    page.get_by_label("What it does").fill("Takes card payments")
    page.get_by_role("button", name="Show the plan").click()
    heading = page.get_by_role("heading", name="The plan")
    create = page.get_by_role("button", name="Create checkout")
    expect(create).to_be_focused()
    expect(create).to_be_in_viewport()
    # Under the summary, not under 50 file listings (which were 3,400 px of page before).
    assert create.bounding_box()["y"] - heading.bounding_box()["y"] < 300
    files = page.get_by_text("Every file it writes")
    assert files.bounding_box()["y"] > create.bounding_box()["y"]


def test_enter_in_a_field_shows_the_plan_and_enter_again_creates(wizard):
    page = wizard
    page.get_by_label("Service name").fill("checkout")
    page.get_by_label("What it does").fill("Takes card payments")
    page.get_by_label("What it does").press("Enter")
    expect(page.get_by_role("button", name="Create checkout")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/provisioning/requests/**")
    assert ProvisioningRequest.objects.get().service_name == "checkout"


def test_changing_an_answer_discards_the_plan_and_the_old_values_are_never_created(wizard):
    page = wizard
    page.get_by_label("Service name").fill("stale-first")
    page.get_by_label("What it does").fill("Takes card payments")
    page.get_by_role("button", name="Show the plan").click()
    expect(page.get_by_role("button", name="Create stale-first")).to_be_visible()

    page.get_by_label("Service name").fill("stale-second")
    page.get_by_label("Python version").select_option("3.11")
    expect(page.get_by_role("button", name="Create stale-first")).to_have_count(0)
    expect(page.get_by_text("no longer matches them")).to_be_visible()

    page.get_by_role("button", name="Show the plan").click()
    page.get_by_role("button", name="Create stale-second").click()
    page.wait_for_url("**/provisioning/requests/**")
    assert list(ProvisioningRequest.objects.values_list("service_name", flat=True)) == [
        "stale-second"
    ]
    assert ServiceOrigin.objects.get().values["python_version"] == "3.11"
