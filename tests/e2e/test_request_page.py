"""The requester's waiting page, in a real browser: it names who can approve and keeps
updating by itself until the lead has approved and the work is done."""

from playwright.sync_api import expect

from catalog.choices import TeamRole
from provisioning import engine, services
from provisioning.models import ProvisioningRequest
from tests.e2e.accounts import sign_in
from tests.factories import add_member, make_component, make_team, make_user
from tests.provisioning.conftest import default_environment


def test_the_waiting_page_names_the_approver_and_updates_itself(
    page, live_server, transactional_db, aws
):
    team = make_team("payments", title="Payments")
    lead = make_user("alice", first_name="Alice", last_name="Lead")
    add_member(team, lead, TeamRole.LEAD)
    add_member(team, make_user("bob"), TeamRole.MEMBER)
    make_component("petstore", owner=team)
    for name in ("dev", "staging", "prod"):
        default_environment(name)

    sign_in(page, live_server.url, "bob", next_path="/provisioning/request/s3-bucket/")
    page.get_by_label("Environment").select_option("prod")
    page.get_by_label("Purpose").fill("assets")
    page.get_by_role("button", name="Show the plan").click()
    page.get_by_role("button", name="Create 1 resource").click()
    page.wait_for_url("**/provisioning/requests/**")

    waiting = page.get_by_role("region", name="Waiting for approval")
    expect(waiting).to_contain_text("Who can approve: Alice Lead")
    request = ProvisioningRequest.objects.get()
    assert services.approve_request(request, lead)
    engine.apply(request.pk, "e2e-worker")
    # No reload: the page polls while it waits, so the approval and the result arrive.
    expect(page.get_by_role("heading", name="is ready in prod")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Approved by alice (asked by bob); applying now")).to_be_visible()
