"""A team member requests a bucket in a real browser: plan preview, submit, live log, moto."""

from playwright.sync_api import expect

from catalog.choices import TeamRole
from provisioning import engine
from provisioning.models import ProvisioningRequest
from tests.e2e.accounts import sign_in
from tests.factories import add_member, make_component, make_team, make_user
from tests.provisioning.conftest import default_environment


def test_request_a_bucket_and_watch_it_succeed(page, live_server, transactional_db, aws):
    team = make_team("payments", title="Payments")
    add_member(team, make_user("dana"), TeamRole.MEMBER)
    make_component("petstore", owner=team)
    default_environment("dev")

    sign_in(page, live_server.url, "dana")

    page.get_by_text("Request a resource").click()
    page.locator("article", has_text="Object storage bucket").get_by_text("Request this").click()
    page.get_by_label("Purpose").fill("Bad Name")
    page.get_by_role("button", name="Show the plan").click()
    # The refusal is beside the field, which is marked, and in the summary under the button.
    expect(page.get_by_label("Purpose")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("use lowercase letters")

    page.get_by_label("Purpose").fill("assets")
    page.get_by_role("button", name="Show the plan").click()
    expect(page.get_by_role("heading", name="The plan")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("payments-petstore-dev-assets")
    page.get_by_role("button", name="Create 1 resource").click()
    page.wait_for_url("**/provisioning/requests/**")
    assert "Queued" in page.locator("#request-state").inner_text()

    request = ProvisioningRequest.objects.get()
    engine.apply(request.pk, "e2e-worker")  # what the Celery worker does, in-process here
    # The page's own polling picks it up. expect(), not wait_for_function(): the CSP forbids
    # the eval a string predicate needs.
    expect(page.locator("#request-state")).to_contain_text("Succeeded", timeout=10_000)
    assert "created bucket payments-petstore-dev-assets" in page.locator(".event-log").inner_text()
    buckets = [b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]]
    assert buckets == ["payments-petstore-dev-assets"]
