"""axe-core on every page the journeys pass, signed in as the demo persona who would be there:
no serious or critical WCAG 2.x A/AA violation. One test per page, so each failing page is
reported on its own with its violations (tests/e2e/axe.py)."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from catalog.models import Component
from idp_portal.demo import DEMO_PASSWORD
from provisioning import engine, services
from provisioning.models import Environment, ProvisioningRequest
from tests.e2e.accounts import sign_in
from tests.e2e.axe import assert_accessible, axe_violations

SERVICE = "payments-service"  # a demo service of bob's and alice's team, with dependencies


def show_errors_or_plan(page) -> None:
    """Click "Show the plan" and wait until its answer, a plan or field errors, is shown."""
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.get_by_role("button", name="Show the plan").click()
    answer = page.get_by_role("heading", name="The plan")
    answer = answer.or_(page.locator("[aria-invalid='true']")).or_(page.get_by_text("Fix the"))
    expect(answer.first).to_be_visible()


def golden_path_form_with_plan(page, base):
    page.goto(f"{base}/provisioning/create-service/")
    page.get_by_role("button", name="Use Python HTTP service").click()
    page.get_by_label("Service name").fill("invoice-api")
    page.get_by_label("What it does").fill("Sends invoices to customers")
    show_errors_or_plan(page)
    expect(page.get_by_role("button", name="Create invoice-api")).to_be_visible()


def service_created(page, base):
    """Journey 1's end: Create, the request run by the engine as a worker would, "Succeeded"."""
    golden_path_form_with_plan(page, base)
    page.get_by_role("button", name="Create invoice-api").click()
    page.wait_for_url("**/provisioning/requests/*/")
    engine.apply(int(page.url.rstrip("/").rsplit("/", 1)[1]), "e2e-worker")
    page.reload()
    expect(page.get_by_text("Succeeded").first).to_be_visible()


def new_service_page(page, base):
    service_created(page, base)
    page.goto(f"{base}/catalog/services/default/invoice-api/")


def request_form_with_errors(page, base):
    page.goto(f"{base}/provisioning/request/s3-bucket/")
    page.get_by_label("Purpose").fill("Not a valid purpose!")
    show_errors_or_plan(page)


def request_page(page, base):
    page.goto(f"{base}/provisioning/request/s3-bucket/")
    page.get_by_label("Service", exact=True).select_option(SERVICE)
    page.get_by_label("Environment").select_option("staging")
    page.get_by_label("Purpose").fill("invoices")
    show_errors_or_plan(page)
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/provisioning/requests/*/")


def bucket_waiting_for_approval() -> ProvisioningRequest:
    """A production bucket bob asked for, waiting for a lead."""
    bob = get_user_model().objects.get(username="bob")
    parameters = {
        "purpose": "exports",
        "versioning": True,
        "encryption": "AES256",
        "lifecycle": "none",
    }
    prod = Environment.objects.get(name="prod")
    service = Component.objects.get(name=SERVICE)
    return services.submit_request(bob, "s3-bucket", service, prod, parameters)


def approvals_with_one_waiting(page, base):
    bucket_waiting_for_approval()
    page.goto(f"{base}/provisioning/approvals/")


def request_waiting_for_the_lead(page, base):
    page.goto(f"{base}/provisioning/requests/{bucket_waiting_for_approval().pk}/")


def visit(path):
    return lambda page, base: page.goto(f"{base}{path}")


# name: (who signs in, None for nobody; how to reach the page in the state a journey sees it)
PAGES = {
    "sign-in": (None, visit("/accounts/login/")),
    "home": ("bob", visit("/")),
    "catalog": ("bob", visit("/catalog/")),
    "catalog-search": ("carol", visit("/catalog/?q=payments")),
    "service-page": ("bob", visit(f"/catalog/services/default/{SERVICE}/")),
    "service-page-as-lead": ("alice", visit(f"/catalog/services/default/{SERVICE}/")),
    "service-dependents": ("bob", visit(f"/catalog/services/default/{SERVICE}/dependents/")),
    "catalog-filtered": ("bob", visit("/catalog/?view=all&lifecycle=production&tier=1&q=pay")),
    "create-a-service-cards": ("bob", visit("/provisioning/create-service/")),
    "golden-path-form-with-plan": ("bob", golden_path_form_with_plan),
    "provision": ("bob", visit("/provisioning/")),
    "request-form-with-errors": ("bob", request_form_with_errors),
    "service-created": ("bob", service_created),
    "new-service-page": ("bob", new_service_page),
    "request-page": ("bob", request_page),
    "my-requests": ("bob", visit("/provisioning/requests/")),
    "approvals": ("alice", approvals_with_one_waiting),
    "request-waiting-for-the-lead": ("alice", request_waiting_for_the_lead),
    "on-call-form": ("alice", visit("/observability/teams/payments/on-call/")),
    "golden-path-updates": ("admin", visit("/provisioning/updates/")),
    "ticket-audit": ("admin", visit("/feedback/tickets/")),
    "observability-coverage": ("bob", visit("/observability/")),
    "survey": ("carol", visit("/feedback/survey/")),
    "survey-results": ("alice", visit("/feedback/survey/results/")),
    "feedback": ("carol", visit("/feedback/")),
    "metrics": ("admin", visit("/feedback/metrics/")),
    "roadmap": ("carol", visit("/feedback/roadmap/")),
    "friction-form": ("bob", visit("/feedback/friction/new/?from=/catalog/")),
    "help-form": ("carol", visit("/feedback/help/")),
    "office-hours": ("carol", visit("/feedback/office-hours/")),
    "two-factor": ("admin", visit("/accounts/2fa/")),
    "audit": ("admin", visit("/audit/")),
    "tokens": ("carol", visit("/accounts/tokens/")),
    "integrations": ("admin", visit("/platform/integrations/")),
    "team-page-on-call": ("alice", visit("/catalog/teams/default/payments/")),
    "on-call-now": ("bob", visit("/observability/teams/payments/on-call/now/")),
}


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_accessibility_violations(name, page, live_server, demo):
    username, reach = PAGES[name]
    if username:
        sign_in(page, live_server.url, username, DEMO_PASSWORD)
    reach(page, live_server.url)
    assert_accessible(page, f"{name}, signed in as {username or 'nobody'}")


def test_axe_runs_and_finds_a_known_violation(page, live_server):
    """Guards the guard: an image without a text alternative on a real portal page must be
    found, so a broken injection can never pass every page silently."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("main").evaluate("(main) => main.append(document.createElement('img'))")
    rules = {rule["id"]: rule["impact"] for rule in axe_violations(page)}
    assert rules.get("image-alt") == "critical", rules
