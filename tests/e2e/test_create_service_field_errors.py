"""Create a service in a real browser: an answer the server refuses is marked beside its field
after "Show the plan" (the plan region alone holds no fields), with what to type instead."""

import re

from playwright.sync_api import expect

from catalog.choices import TeamRole
from provisioning.demo import seed_golden_paths
from tests.e2e.accounts import sign_in
from tests.factories import add_member, make_team, make_user
from tests.provisioning.conftest import default_environment


def test_a_refused_description_is_marked_beside_its_field(
    page, live_server, transactional_db, settings, tmp_path
):
    settings.GIT_DIR, settings.GIT_HOST = tmp_path / "git", "local"
    add_member(make_team("payments", title="Payments"), make_user("dana"), TeamRole.MEMBER)
    for name in ("dev", "staging", "prod"):
        default_environment(name)
    seed_golden_paths()
    sign_in(page, live_server.url, "dana")

    page.goto(f"{live_server.url}/provisioning/create-service/")
    page.get_by_role("button", name="Use Python HTTP service").click()
    page.get_by_label("Service name").fill("checkout")
    description = page.get_by_role("textbox", name="What it does")
    expect(description).to_have_accessible_description(re.compile("One sentence for the catalog"))
    description.fill("   ")  # the browser accepts it; the server sees an empty answer
    page.get_by_role("button", name="Show the plan").click()

    expect(description).to_have_attribute("aria-invalid", "true")
    expect(description).to_have_accessible_description(
        re.compile("say in one sentence what the service does")
    )
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name="What it does")).to_have_attribute(
        "href", "#id_description"
    )

    description.fill("Takes card payments")
    page.get_by_role("button", name="Show the plan").click()
    expect(page.get_by_role("heading", name="The plan")).to_be_visible()
