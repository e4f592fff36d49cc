"""Create a service: golden-path cards → parameters (live name check) → plan → create."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from idp_portal.models import AuditEvent
from provisioning.models import ProvisioningRequest, ServiceOrigin
from tests.factories import make_component

START = "/provisioning/create-service/"
FORM = "/provisioning/create-service/python-http/"
CHECK = "/provisioning/create-service/check-name/"
HTMX = {"HX-Request": "true"}


def form_data(**extra):
    return {
        "name": "checkout",
        "owner": "payments",
        "description": "Takes card payments",
        "port": "8080",
        "python_version": "3.12",
        "idempotency_key": "key-1",
        **extra,
    }


def planned_token(client, data: dict) -> str:
    """Show the plan as the page does and return the answers it was made from (signed)."""
    html = client.post(FORM, {**data, "action": "preview"}, headers=HTMX).content.decode()
    return re.search(r'name="planned" value="([^"]+)"', html)[1]


def create(client, **extra):
    """Show the plan, then press Create under it."""
    data = form_data(**extra)
    return client.post(FORM, {**data, "planned": planned_token(client, data), "action": "create"})


@pytest.fixture
def member(member_client, golden_paths, recording_driver):
    return member_client


def test_the_home_page_links_to_the_wizard_in_one_click(member):
    assert f'href="{START}"' in member.get("/").content.decode()


def test_the_cards_say_what_each_golden_path_gives(member):
    html = member.get(START).content.decode()
    assert "Python HTTP service" in html and "Node.js HTTP service" in html
    assert "health and readiness endpoints, Prometheus metrics" in html
    assert f'href="{FORM}"' in html


def test_the_cards_page_has_a_constant_query_budget(member, golden_paths):
    with CaptureQueriesContext(connection) as queries:
        assert member.get(START).status_code == 200
    assert len(queries) <= 8  # session, user, memberships (header), teams, golden paths


def test_the_form_asks_the_golden_paths_parameters_with_labels_and_help(member):
    html = member.get(FORM).content.decode()
    for text in ["Service name", "Owner team", "HTTP port", "Python version"]:
        assert text in html
    assert "The port the service listens on inside its container." in html
    assert '<option value="payments" selected>' in html  # owner defaults to my team


def test_the_name_is_checked_live_against_every_rule(member):
    response = member.get(CHECK, {"name": "Check_Out", "owner": "payments"}, headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="name-check"')
    assert "starting with a letter" in html or "lowercase" in html
    assert response["Vary"] == "HX-Request" or "HX-Request" in response["Vary"]


def test_the_live_check_says_a_free_name_is_free(member):
    html = member.get(CHECK, {"name": "checkout", "owner": "payments"}, headers=HTMX).content
    assert "checkout is free" in html.decode()


def test_the_live_check_says_a_taken_name_is_taken(member, personas):
    make_component("Checkout", owner=personas.team)  # the catalog compares names ignoring case
    html = member.get(CHECK, {"name": "checkout", "owner": "payments"}, headers=HTMX).content
    assert "already in the catalog" in html.decode()


def test_the_plan_preview_shows_files_pipeline_manifests_steps_and_environments(member):
    response = member.post(FORM, {**form_data(), "action": "preview"}, headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="plan"')
    for text in [
        "app/server.py",
        ".github/workflows/ci.yaml",
        "CI pipeline",
        "apps/checkout/base/deployment.yaml",
        "argocd/checkout/checkout-prod.yaml",
        "Register checkout in the catalog",
        "Deploy the first build to staging",
        "Observability bundle: not configured",
    ]:
        assert text in html, text
    assert not ProvisioningRequest.objects.exists()


def test_a_bad_name_is_explained_next_to_the_field_and_nothing_is_made(member):
    response = member.post(FORM, {**form_data(name="-bad-"), "action": "preview"})
    html = response.content.decode()
    assert response.status_code == 200 and "&#x27;-bad-&#x27; won&#x27;t do" in html
    assert not ProvisioningRequest.objects.exists() and not ServiceOrigin.objects.exists()


def test_create_submits_the_request_and_lands_on_its_live_page(member):
    response = create(member)
    request = ProvisioningRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == request.get_absolute_url()
    assert request.type == "service" and request.service_name == "checkout"
    page = member.get(response["Location"]).content.decode()
    assert "Create repository checkout" in page and 'hx-trigger="every 2s"' in page


def test_a_double_submit_makes_one_request(member):
    data = {**form_data(), "planned": planned_token(member, form_data()), "action": "create"}
    member.post(FORM, data)
    member.post(FORM, data)
    assert ProvisioningRequest.objects.count() == 1


def test_a_second_service_of_the_same_name_is_refused(member):
    token = planned_token(member, form_data())
    member.post(FORM, {**form_data(), "planned": token, "action": "create"})
    response = member.post(
        FORM, {**form_data(idempotency_key="key-2"), "planned": token, "action": "create"}
    )
    assert "is being created by team" in response.content.decode()
    assert ProvisioningRequest.objects.count() == 1


def test_an_outsider_cannot_create_for_another_team(outsider_client, golden_paths):
    # The form never offers another team, so only a forged post sends one: 403, audited.
    response = outsider_client.post(FORM, {**form_data(), "action": "create"})
    assert response.status_code == 403
    assert "create the service for one of your teams" in response.content.decode()
    assert not ProvisioningRequest.objects.exists()
    assert AuditEvent.objects.filter(action="request.create", outcome="denied").exists()


def test_an_unknown_golden_path_is_404(member):
    assert member.get("/provisioning/create-service/cobol-batch/").status_code == 404


def test_wrong_method_is_refused(member):
    assert member.put(FORM).status_code == 405
    assert member.post(START).status_code == 405


def test_create_under_the_plan_summary_comes_before_the_file_listings(member):
    html = member.post(FORM, {**form_data(), "action": "preview"}, headers=HTMX).content.decode()
    button = html.index(">Create checkout</button>")
    assert html.index("<h2>The plan</h2>") < button < html.index("app/server.py")
    assert html.index("<details") > button  # the 50 files are after it, behind a disclosure


def test_a_stale_plan_never_creates_the_old_answers(member):
    planned = form_data(name="stale-first")
    token = planned_token(member, planned)
    changed = form_data(name="stale-second", python_version="3.11")
    response = member.post(FORM, {**changed, "planned": token, "action": "create"})
    html = response.content.decode()
    assert response.status_code == 200
    assert not ProvisioningRequest.objects.exists() and not ServiceOrigin.objects.exists()
    assert "Nothing was created: you changed Service name (stale-first → stale-second)" in html
    assert "Python version (3.12 → 3.11)" in html
    assert ">Create stale-second</button>" in html  # the plan for what the form says now
    fresh = re.search(r'name="planned" value="([^"]+)"', html)[1]
    member.post(FORM, {**changed, "planned": fresh, "action": "create"})
    assert ProvisioningRequest.objects.get().service_name == "stale-second"
    assert ServiceOrigin.objects.get().values["python_version"] == "3.11"


def test_create_without_a_plan_shows_the_plan_first(member):
    response = member.post(FORM, {**form_data(), "action": "create"})
    html = response.content.decode()
    assert "Nothing was created yet: read the plan first" in html
    assert ">Create checkout</button>" in html and not ProvisioningRequest.objects.exists()


def test_a_forged_plan_token_is_not_trusted(member):
    response = member.post(FORM, {**form_data(), "planned": "forged", "action": "create"})
    assert "read the plan first" in response.content.decode()
    assert not ProvisioningRequest.objects.exists()


def test_a_plan_from_an_older_golden_path_version_is_shown_again(member, golden_paths):
    from provisioning.golden_paths.services import get_published, save_new_golden_path_version

    token = planned_token(member, form_data())
    v1 = get_published("python-http")
    files = [{"path": f.path, "content": f.content} for f in v1.files.all()]
    save_new_golden_path_version(v1, {"name": v1.name}, files)
    response = member.post(FORM, {**form_data(), "planned": token, "action": "create"})
    assert "the platform team published Python HTTP service v2" in response.content.decode()
    assert not ProvisioningRequest.objects.exists()
