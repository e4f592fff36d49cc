"""The resource request forms as a newcomer and a screen reader meet them, in a real browser:
help read with each field, a refused field marked where it is, checkboxes clear of their help,
no environment offered that is refused later, no name accepted that is taken, a plan in words."""

import re

import pytest
from playwright.sync_api import expect

from catalog.choices import TeamRole
from provisioning.models import Environment
from tests.e2e.accounts import sign_in
from tests.factories import add_member, make_component, make_team, make_user
from tests.provisioning.conftest import default_environment

CHECKBOXES = {
    "Object storage bucket": ("Keep old versions", "Versioning lets you restore"),
    "Message queue": ("Dead-letter queue", "Messages that keep failing move there"),
    "PostgreSQL database": ("High availability (Multi-AZ)", "A standby in another zone"),
}


@pytest.fixture
def newcomer(page, live_server, transactional_db):
    """dana, a member of Payments (which owns petstore), signed in; dev can hold databases,
    prod cannot yet."""
    team = make_team("payments", title="Payments")
    add_member(team, make_user("dana"), TeamRole.MEMBER)
    make_component("petstore", owner=team)
    dev, prod = default_environment("dev"), default_environment("prod")
    Environment.objects.filter(pk=dev.pk).update(
        display_name="Development", vpc_id="vpc-1", subnet_ids=["subnet-a"]
    )
    Environment.objects.filter(pk=prod.pk).update(display_name="Production")
    sign_in(page, live_server.url, "dana")
    return page


def open_form(page, live_server, title: str) -> None:
    page.goto(f"{live_server.url}/provisioning/")
    page.get_by_role("article").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    ).get_by_role("button", name="Request this").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title, ignore_case=True)


def test_each_field_is_read_with_its_help(newcomer, live_server):
    open_form(newcomer, live_server, "Object storage bucket")
    expect(newcomer.get_by_role("textbox", name="Purpose")).to_have_accessible_description(
        re.compile("lowercase letters, digits and single hyphens")
    )
    expect(
        newcomer.get_by_role("checkbox", name="Keep old versions")
    ).to_have_accessible_description(re.compile("Versioning lets you restore"))
    expect(newcomer.get_by_role("combobox", name="Environment")).to_have_accessible_description(
        re.compile("Where it is created")
    )


def test_a_refused_purpose_is_marked_beside_the_field(newcomer, live_server):
    open_form(newcomer, live_server, "Object storage bucket")
    purpose = newcomer.get_by_role("textbox", name="Purpose")
    purpose.fill("My_Bucket")
    newcomer.get_by_role("button", name="Show the plan").click()
    expect(purpose).to_have_attribute("aria-invalid", "true")
    expect(purpose).to_have_accessible_description(re.compile("'My_Bucket' won't do"))
    summary = newcomer.get_by_role("alert")
    expect(summary).to_contain_text("The plan can't be shown yet")
    expect(summary.get_by_role("link", name="Purpose")).to_have_attribute("href", "#id_purpose")

    purpose.fill("assets")
    newcomer.get_by_role("button", name="Show the plan").click()
    expect(newcomer.get_by_role("heading", name="The plan")).to_be_visible()
    expect(purpose).not_to_have_attribute("aria-invalid", "true")


@pytest.mark.parametrize("title", list(CHECKBOXES))
def test_a_checkbox_does_not_overlap_its_help(newcomer, live_server, title):
    label, help_start = CHECKBOXES[title]
    open_form(newcomer, live_server, title)
    box = newcomer.get_by_role("checkbox", name=label).bounding_box()
    help_box = newcomer.get_by_text(help_start).bounding_box()
    assert box["y"] + box["height"] <= help_box["y"] + 0.5, (box, help_box)


def test_a_database_is_not_offered_where_it_would_be_refused(newcomer, live_server):
    open_form(newcomer, live_server, "PostgreSQL database")
    environment = newcomer.get_by_role("combobox", name="Environment")
    expect(
        environment.get_by_role("option", name="Production (not available for this resource yet)")
    ).to_be_disabled()
    expect(environment).to_have_accessible_description(
        re.compile("Not set up for databases yet in [^:]*Production")
    )
    newcomer.get_by_role("button", name="Show the plan").click()
    expect(newcomer.get_by_role("heading", name="The plan")).to_be_visible()
    expect(newcomer.get_by_role("main")).not_to_contain_text("prod has no")


def test_a_taken_purpose_is_refused_before_create(newcomer, live_server):
    open_form(newcomer, live_server, "Object storage bucket")
    newcomer.get_by_role("textbox", name="Purpose").fill("assets")
    newcomer.get_by_role("button", name="Show the plan").click()
    newcomer.get_by_role("button", name="Create 1 resource").click()
    newcomer.wait_for_url("**/provisioning/requests/**")

    open_form(newcomer, live_server, "Object storage bucket")
    purpose = newcomer.get_by_role("textbox", name="Purpose")
    purpose.fill("assets")
    newcomer.get_by_role("button", name="Show the plan").click()
    expect(purpose).to_have_attribute("aria-invalid", "true")
    expect(purpose).to_have_accessible_description(re.compile("already taken.*pick another"))
    expect(newcomer.get_by_role("button", name="Create 1 resource")).to_have_count(0)


def test_the_plan_says_its_settings_in_words(newcomer, live_server):
    open_form(newcomer, live_server, "Message queue")
    newcomer.get_by_role("textbox", name="Purpose").fill("events")
    newcomer.get_by_role("button", name="Show the plan").click()
    plan = newcomer.get_by_role("table")
    expect(plan).to_contain_text("Message retention: 4 days")
    expect(plan).to_contain_text("Dead-letter queue: payments-petstore-dev-events-dlq")
    expect(plan).not_to_contain_text("message_retention_seconds")


def test_a_number_out_of_range_says_the_range_beside_the_field(newcomer, live_server):
    open_form(newcomer, live_server, "Message queue")
    newcomer.get_by_role("textbox", name="Purpose").fill("events")
    days = newcomer.get_by_role("spinbutton", name="Keep messages for (days)")
    days.fill("20")
    newcomer.get_by_role("button", name="Show the plan").click()
    expect(days).to_have_attribute("aria-invalid", "true")
    expect(days).to_have_accessible_description(
        re.compile(r"use a whole number from 1 to 14 \(you typed 20\)")
    )


def test_changing_an_input_drops_the_plan_on_screen(newcomer, live_server):
    open_form(newcomer, live_server, "Object storage bucket")
    purpose = newcomer.get_by_role("textbox", name="Purpose")
    purpose.fill("first")
    newcomer.get_by_role("button", name="Show the plan").click()
    expect(newcomer.get_by_role("button", name="Create 1 resource")).to_be_visible()
    purpose.fill("second")
    expect(newcomer.get_by_role("button", name="Create 1 resource")).to_have_count(0)
    expect(newcomer.get_by_text("You changed the form: show the plan again")).to_be_visible()
    newcomer.get_by_role("button", name="Show the plan").click()
    expect(newcomer.get_by_role("table")).to_contain_text("payments-petstore-dev-second")
