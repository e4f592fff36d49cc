"""The newcomer standard: the six journeys of a first-time user, in a real browser, on the whole
portal (web server, Celery worker and beat, moto, the local git host, Vault's contract server),
written from what a person can read: roles, labels and accessible names.

Each journey makes its own service (fresh names), so they run in any order. A step that cannot
go on fails at once, with a screenshot; an expectation the journey can go on without (words on
a page, a badge) is a `check`, reported together at the end with a screenshot each.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, MOBILE
from tests.e2e.journey import (
    Person,
    create_service,
    h1,
    state_is,
    unique,
    verdict,
    walk_to_staging,
)

pytestmark = pytest.mark.e2e

SIZES = pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "390x844"])
SIGNALS = ("Logs", "Metrics", "Traces", "Dashboard", "Alerts")
CREATE_RESOURCES = re.compile(r"^Create \d+ resources?$")
REQUEST_PAGE = re.compile(r"^Request #\d+")


def no_sideways_scrolling(person: Person) -> None:
    """At 390 px nothing may push the page wider than the screen."""
    width = person.page.evaluate("document.documentElement.scrollWidth")
    assert width <= person.page.viewport_size["width"], (
        f"the page is {width} px wide on a {person.page.viewport_size['width']} px screen"
    )


def request_resource(person: Person, service_path: str, link: str, heading: str, purpose: str):
    """From the service page: the request link, the purpose, the plan, Create."""
    person.open(service_path)
    person.click("link", link, h1(person, heading))
    expect(person.page.get_by_label("Service", exact=True)).to_have_value(
        service_path.rstrip("/").rsplit("/", 1)[1]
    )
    person.fill("Purpose", purpose)
    person.click("button", "Show the plan", person.heading("The plan"))


@SIZES
def test_journey_1_a_newcomer_creates_a_service_and_finds_it_in_the_catalog(people, viewport):
    bob = people("bob", viewport)
    name = unique("first")
    with bob.step("sign in"):
        bob.sign_in()
    walk_to_staging(bob, name, "Takes card payments for the checkout")
    with bob.check("the succeeded request links to the service page"):
        expect(bob.main().get_by_role("link", name=f"Open {name}'s page")).to_be_visible()
    with bob.step("open the service from the catalog's search"):
        bob.click("link", "Platform portal", h1(bob, "What do you want to do?"))
        bob.click("button", "Browse the catalog", h1(bob, "Service catalog"))
        bob.fill("Search services", name)
        results = bob.main().get_by_role("table")
        bob.click("link", name, h1(bob, name), within=results)
    with bob.step("the service page shows its repository"):
        expect(bob.main().get_by_role("link", name=re.compile(rf"{name}\.git"))).to_be_visible()
    with bob.step("the service page shows its pipeline"):
        expect(bob.main()).to_contain_text(re.compile(r"Pipeline:\s*github-actions"))
    with bob.step("the service page shows its environments and the staging deployment"):
        bob.heading("Environments & deployments").scroll_into_view_if_needed()
        for environment in ("Development", "Staging", "Production"):
            row = bob.main().get_by_role("row", name=re.compile(rf"^{environment}\b"))
            expect(row.first).to_be_visible()
        staging = bob.main().get_by_role("row", name=re.compile(r"^Staging\b.*\bby bob\b"))
        expect(staging).to_be_visible()
    with bob.step("the service page shows five signals configured"):
        expect(bob.heading("Observability")).to_be_visible()
        for signal in SIGNALS:
            expect(bob.main()).to_contain_text(f"{signal} ✓ configured")
    with bob.check("the service's own wiring is listed apart, with no Decommission button"):
        wiring = (
            bob.main()
            .get_by_role("group")
            .filter(has=bob.page.get_by_text(re.compile(r"own wiring")))
        )
        wiring.get_by_text(re.compile(r"own wiring")).click()
        expect(wiring.get_by_role("row", name=re.compile(r"overlays.prod"))).to_contain_text(
            "Production"
        )
        expect(wiring.get_by_role("button", name="Decommission")).to_have_count(0)
    with bob.check("each secrets path shows its own environment"):
        # (no "/" in a role-name pattern: Playwright's selector parser stops at it)
        prod_path = bob.main().get_by_role("row", name=re.compile(rf"secret.+{name}.prod"))
        expect(prod_path).to_contain_text("Production")
    if viewport == MOBILE:
        with bob.check("nothing scrolls sideways at 390 px"):
            no_sideways_scrolling(bob)
    verdict(bob)


def test_journey_2_resources_succeed_and_a_production_database_waits_for_the_lead(people):
    bob = people("bob")
    with bob.step("sign in as a member of payments"):
        bob.sign_in()
    service = create_service(bob, unique("stock"))

    with bob.step("request a queue and see it succeed"):
        request_resource(bob, service, "message queue", "New message queue", "orders")
        bob.click("button", CREATE_RESOURCES, h1(bob, REQUEST_PAGE))
        state_is(bob, "Succeeded")
    with bob.step("request a bucket and see it succeed"):
        request_resource(
            bob, service, "object storage bucket", "New object storage bucket", "assets"
        )
        bob.click("button", CREATE_RESOURCES, h1(bob, REQUEST_PAGE))
        state_is(bob, "Succeeded")
    with bob.step("request a production database"):
        bob.open(service)
        bob.click("link", "postgresql database", h1(bob, "New postgresql database"))
        bob.choose("Environment", "Production (needs approval)")
        bob.fill("Purpose", "ledger")
        bob.click("button", "Show the plan", bob.heading("The plan"))
        bob.sees(re.compile(r"wait for approval"))
        bob.click("button", CREATE_RESOURCES, h1(bob, REQUEST_PAGE))
    with bob.step("see it wait for approval"):
        state_is(bob, "Awaiting approval", timeout=10_000)
        request_title = bob.page.get_by_role("heading", level=1).inner_text()
        number = re.search(r"#(\d+)", request_title).group(1)
    with bob.check("the waiting page says who can approve"):
        expect(bob.main()).to_contain_text(re.compile(r"\balice\b|Alice Lead"))

    alice = people("alice")
    with alice.step("sign in as the lead of payments"):
        alice.sign_in()
    with alice.check("the header tells the lead that an approval waits"):
        badge = alice.page.get_by_role("banner").get_by_role(
            "link", name=re.compile("approv", re.I)
        )
        expect(badge).to_contain_text(re.compile(r"\d"))
    with alice.step("open the waiting request from Approvals"):
        alice.open("/provisioning/")
        alice.click("link", "Approvals", h1(alice, "Approvals"))
        alice.click("link", f"#{number}", h1(alice, re.compile(rf"^Request #{number}\b")))
    with alice.step("approve it and see it succeed"):
        alice.click("button", "Approve", alice.page.get_by_text(re.compile("approved", re.I)).first)
        state_is(alice, "Succeeded")
    with alice.check("the log does not say 'alice approved by alice'"):
        expect(alice.main()).not_to_contain_text("alice approved by alice")
    with bob.check("the requester's page follows it to Succeeded without a reload"):
        state_is(bob, "Succeeded", timeout=30_000)
    verdict(bob, alice)


def test_journey_3_the_lead_promotes_the_service_to_production(people):
    alice = people("alice")
    with alice.step("sign in as the lead of payments"):
        alice.sign_in()
    name = unique("promo")
    service = create_service(alice, name)
    with alice.step("promote staging's build to production from the service page"):
        alice.open(service)
        staging = alice.main().get_by_role("row", name=re.compile(r"^Staging\b"))
        alice.click(
            "button", re.compile(r"^Promote to Production"), h1(alice, REQUEST_PAGE), within=staging
        )
        number = re.search(r"#(\d+)", alice.page.get_by_role("heading", level=1).inner_text())[1]
    with alice.step("the request shows that production waits for an approval"):
        state_is(alice, "Awaiting approval", timeout=10_000)
        expect(alice.main().get_by_role("button", name="Approve")).to_have_count(0)
    with alice.check("the waiting page says who can approve"):
        expect(alice.main()).to_contain_text(re.compile(r"platform admin|another lead", re.I))

    admin = people("admin")
    with admin.step("a platform admin approves it"):
        admin.sign_in(totp=True)
        admin.open("/provisioning/approvals/")
        admin.click("link", f"#{number}", h1(admin, re.compile(rf"^Request #{number}\b")))
        admin.click("button", "Approve", admin.page.get_by_text(re.compile("approved", re.I)).first)
        state_is(admin, "Succeeded")
    with alice.step("the service page shows the production deployment"):
        alice.open(service)
        production = alice.main().get_by_role(
            "row", name=re.compile(r"^Production\b.*\bby alice\b")
        )
        expect(production).to_be_visible()
    verdict(alice, admin)


@SIZES
def test_journey_4_survey_friction_and_help(people, stack, viewport):
    username = stack.add_user(unique("newcomer"), "payments")
    newcomer = people(username, viewport)
    with newcomer.step("sign in"):
        newcomer.sign_in()
    with newcomer.step("answer the survey from its banner"):
        banner = newcomer.page.get_by_role("complementary", name="Developer-experience survey")
        newcomer.click("link", "Answer it", h1(newcomer, re.compile("survey")), within=banner)
        answer_every_question(newcomer)
        newcomer.click("button", "Finish", h1(newcomer, "Thank you for answering"))
        expect(
            newcomer.page.get_by_role("complementary", name="Developer-experience survey")
        ).to_have_count(0)
    with newcomer.step("report friction from a page"):
        newcomer.open("/catalog/")
        newcomer.click(
            "link",
            "Something confusing? Tell the platform team",
            newcomer.heading(re.compile(r"^Something confusing\?")),
        )
        newcomer.fill("What were you trying to do?", "Find who owns the ledger")
        newcomer.fill("What happened instead?", "The owner column was cut off on my phone")
        thanks = newcomer.page.get_by_text(re.compile(r"^Thank you: the platform team reads"))
        newcomer.click("button", "Send to the platform team", thanks)
        newcomer.click("link", "your friction reports", h1(newcomer, "Your friction reports"))
        expect(newcomer.main()).to_contain_text("Find who owns the ledger")
        expect(newcomer.main()).to_contain_text("/catalog/")
    if viewport == MOBILE:
        with newcomer.check("nothing scrolls sideways at 390 px"):
            no_sideways_scrolling(newcomer)
    with newcomer.step("ask the platform team for help from a help link"):
        newcomer.open("/catalog/")
        footer = newcomer.page.get_by_role("contentinfo")  # Help is there at every width
        newcomer.click("link", "Help", h1(newcomer, "Help"), within=footer)
        newcomer.click("link", "Ask the platform team", h1(newcomer, "Ask the platform team"))
        newcomer.choose("What is it about?", "How do I…")
        newcomer.fill("What do you need?", "How do I rotate my database password?")
        your_requests = newcomer.page.get_by_role("region", name="Your requests")
        newcomer.click(
            "button",
            "Send to the platform team",
            your_requests.get_by_text("rotate my database password"),
        )
    verdict(newcomer)


def answer_every_question(person: Person) -> None:
    """One answer to each question, as the labels offer them; each saves as it is given."""
    groups = person.main().get_by_role("group", name=re.compile(r"^\d+\. "))
    for index in range(groups.count()):
        group = groups.nth(index)
        if group.get_by_label("4 · Agree").count():
            person.tick("4 · Agree", within=group)
        elif group.get_by_label("9", exact=True).count():
            person.tick("9", within=group)
        elif group.get_by_role("checkbox").count():
            person.tick_box(group.get_by_role("checkbox").first)
        else:
            person.fill("Your answer", "Preview environments, please.", within=group)
            person.press_in(group.get_by_label("Your answer"), "Tab")
        expect(group.get_by_role("status")).to_have_text("Saved")


def test_journey_5_a_platform_admin_publishes_a_golden_path_version_and_rolls_it_out(people):
    bob = people("bob")
    with bob.step("set up: bob signs in"):
        bob.sign_in()
    create_service(bob, unique("behind"))  # a service on the current version, to upgrade

    admin = people("admin")
    with admin.step("sign in with the authenticator code"):
        admin.sign_in(totp=True)
    with admin.step("open the golden path in the admin"):
        admin.open_user_menu()
        admin.click("link", "Platform admin", h1(admin, "Site administration"))
        admin.click("link", "Golden paths", h1(admin, re.compile("golden path", re.I)))
        admin.click("link", "Python HTTP service", h1(admin, "Change golden path"), first=True)
        title = admin.page.get_by_role(
            "heading", level=2, name=re.compile(r"^Python HTTP service v\d+$")
        )
        version = int(title.inner_text().rsplit("v", 1)[1])
    description = f"{admin.page.get_by_label('Description:').input_value()} Edited {unique('v')}."
    with admin.step("edit it"):
        admin.fill("Description:", description)
    with admin.check("the unsaved change can be previewed before it is published"):
        # The preview opens in a new tab, so the edit stays in the form.
        with admin.page.expect_popup() as opened:
            admin.page.get_by_role("button", name="Preview unsaved changes").click()
        preview = opened.value
        expect(preview.get_by_text(description[-20:]).first).to_be_visible()
        preview.close()
        expect(admin.page.get_by_label("Description:")).to_have_value(description)
    with admin.step("publish it: saving makes the next version"):
        admin.click(
            "button",
            "Save and continue editing",
            admin.page.get_by_text(f"your changes are version {version + 1}"),
        )
    with admin.check(f"the page now shows version {version + 1}, not the old one"):
        expect(
            admin.page.get_by_role("heading", level=2, name=f"Python HTTP service v{version + 1}")
        ).to_be_visible()
    with admin.step("preview the new version"):
        admin.open("/admin/provisioning/goldenpath/")
        admin.click("link", "Python HTTP service", h1(admin, "Change golden path"), first=True)
        admin.click("link", "Preview render with sample values", h1(admin, "Preview render"))
        expect(admin.main()).not_to_contain_text(re.compile("problem", re.I))
    with admin.step("roll it out from the updates page"):
        admin.open("/provisioning/updates/")
        row = admin.main().get_by_role("row", name=re.compile(r"^Python HTTP service python-http"))
        expect(row).to_contain_text(f"v{version + 1}")
        admin.click(
            "button",
            re.compile(r"^Upgrade \d+ services? behind$"),
            h1(admin, REQUEST_PAGE),
            within=row,
        )
        state_is(admin, "Succeeded")
    verdict(bob, admin)


def test_journey_6_another_teams_member_sees_no_action_and_is_refused(people):
    bob = people("bob")
    with bob.step("set up: bob makes a payments service with a resource"):
        bob.sign_in()
        name = unique("private")
        service = create_service(bob, name)
        request_resource(bob, service, "message queue", "New message queue", "events")
        bob.click("button", CREATE_RESOURCES, h1(bob, REQUEST_PAGE))
        state_is(bob, "Succeeded")
    with bob.step("the owner's actions on the service page"):
        bob.open(service)
        owner_buttons = action_buttons(bob)
        assert owner_buttons, "the owner sees no action on their own service"
        # Where those buttons send their forms: what another team's member must be refused
        # (the survey banner's "Not today" is everyone's).
        banner = bob.page.get_by_role("complementary", name="Developer-experience survey")
        everyones = {form.get_attribute("action") for form in banner.locator("form").all()}
        forms = bob.main().locator("form[method=post], form[method=POST]").all()
        actions = sorted({form.get_attribute("action") for form in forms} - everyones)

    carol = people("carol")
    with carol.step("sign in as a member of search"):
        carol.sign_in()
    with carol.step("find payments' service in the catalog"):
        carol.click("button", "Browse the catalog", h1(carol, "Service catalog"))
        carol.tick("All services")
        carol.fill("Search services", name)
        carol.click("link", name, h1(carol, name), within=carol.main().get_by_role("table"))
    with carol.step("no action button on another team's service"):
        assert action_buttons(carol) == [], (
            f"carol sees {action_buttons(carol)} (bob: {owner_buttons})"
        )
    with carol.step("the actions' addresses answer 403"):
        token = next(c["value"] for c in carol.page.context.cookies() if c["name"] == "csrftoken")
        answers = {}
        for action in actions:
            response = carol.page.request.post(
                f"{carol.stack.url}{action}",
                form={"environment": "prod", "tag": "0" * 12},
                headers={"X-CSRFToken": token, "Referer": f"{carol.stack.url}{service}"},
                max_redirects=0,
            )
            answers[action] = response.status
            refused_for_csrf = "CSRF verification failed" in response.text()
            assert not refused_for_csrf, f"{action}: refused for CSRF, not for carol"
        assert answers and set(answers.values()) == {403}, answers
    verdict(bob, carol)


def action_buttons(person: Person) -> list[str]:
    """The buttons of a service page that change something (not the survey banner's)."""
    ignore = {"Not today", "Search"}
    names = [b.inner_text().strip() for b in person.main().get_by_role("button").all()]
    return [n for n in names if n and n not in ignore]
