"""The resource request form as a first-time user meets it: errors beside the field that caused
them, help a screen reader reads, choices that are not refused later, messages that say what
to do, and a plan in words."""

import re
from html import unescape

import pytest

from provisioning.models import Environment, ProvisioningRequest
from provisioning.policy import purpose_rule
from provisioning.resource_types import RESOURCE_TYPES
from tests.provisioning.test_views import FORM, form_data

QUEUE = "/provisioning/request/queue/"
DATABASE = "/provisioning/request/postgres-database/"
HTMX = {"HX-Request": "true"}


def queue_data(**extra):
    return {
        "service": "petstore",
        "environment": "dev",
        "purpose": "events",
        "dead_letter": "on",
        "max_receive_count": "5",
        "visibility_timeout": "30",
        "retention_days": "4",
        "idempotency_key": "key-q",
        **extra,
    }


def described_by_ids(html: str) -> list[str]:
    return [i for ids in re.findall(r'aria-describedby="([^"]*)"', html) for i in ids.split()]


def field_tag(html: str, field_id: str) -> str:
    return re.search(rf'<(?:input|select|textarea)[^>]*id="{field_id}"[^>]*>', html)[0]


@pytest.fixture
def prod_and_dev(dev, prod):
    return dev, prod


def place_databases_in(env) -> None:
    Environment.objects.filter(pk=env.pk).update(vpc_id="vpc-1", subnet_ids=["subnet-a"])


@pytest.mark.parametrize("slug", list(RESOURCE_TYPES))
def test_every_help_text_is_reachable_from_its_field(member, prod_and_dev, slug):
    place_databases_in(prod_and_dev[0])
    html = member.get(f"/provisioning/request/{slug}/").content.decode()
    ids = described_by_ids(html)
    assert ids, "no field points at its help text"
    for target in ids:
        assert f'id="{target}"' in html, f"aria-describedby points at missing id {target}"


def test_a_server_side_error_marks_its_field_in_the_htmx_swap(member):
    """Show the plan by HTMX with a bad purpose: the swapped region holds the field, marked
    invalid, its message next to it, and a summary that links to it."""
    html = member.post(
        FORM, {**form_data(purpose="My Bucket!"), "action": "preview"}, headers=HTMX
    ).content.decode()
    html = unescape(html)
    purpose = field_tag(html, "id_purpose")
    assert 'aria-invalid="true"' in purpose
    assert 'aria-describedby="id_purpose_helptext id_purpose_error"' in purpose
    assert 'id="id_purpose_error"' in html and "'My Bucket!' won't do" in html
    assert 'href="#id_purpose">Purpose</a>' in html
    assert "Fix the fields marked above" not in html
    assert 'aria-invalid="true"' not in field_tag(html, "id_encryption")


def test_a_fixed_field_is_no_longer_marked(member):
    html = member.post(FORM, {**form_data(), "action": "preview"}, headers=HTMX).content.decode()
    assert 'aria-invalid="true"' not in html and "The plan" in html


def test_the_purpose_help_and_its_error_quote_the_same_rule(member):
    html = member.post(FORM, {**form_data(purpose="Bad_Name"), "action": "preview"}).content
    html = html.decode()
    rule = purpose_rule()
    assert html.count(rule) >= 2  # the help text and the error beside it
    long = member.post(FORM, {**form_data(purpose="a" * 25), "action": "preview"}).content
    assert "shorten it to 20 or fewer" in long.decode() and "at most 20 characters" in rule


def test_stock_django_messages_are_replaced_with_what_to_do(member):
    html = member.post(
        QUEUE,
        {**queue_data(purpose="", retention_days="20", visibility_timeout="soon"), "action": "x"},
    ).content.decode()
    assert "This field is required" not in html and "Enter a whole number" not in html
    assert "Ensure this value" not in html
    assert "give the resource a purpose" in html
    assert "use a whole number from 1 to 14 (you typed 20)" in html
    assert "type a whole number, e.g. 30" in html


def test_an_unknown_environment_is_a_message_not_a_crash(member):
    response = member.post(FORM, {**form_data(environment="moon"), "action": "preview"})
    assert response.status_code == 200
    assert "that environment is not one of the options: pick one from the list" in (
        response.content.decode()
    )


def test_a_taken_purpose_is_refused_when_the_plan_is_shown(member):
    member.post(FORM, {**form_data(), "action": "submit"})
    html = member.post(
        FORM, {**form_data(idempotency_key="key-2"), "action": "preview"}, headers=HTMX
    ).content.decode()
    assert "the name payments-petstore-dev-assets is already taken" in html
    assert "pick another purpose" in html and 'aria-invalid="true"' in field_tag(html, "id_purpose")
    assert "Create 1 resource" not in html
    assert ProvisioningRequest.objects.count() == 1


def test_an_environment_without_network_is_not_offered_for_a_database(member, prod_and_dev):
    place_databases_in(prod_and_dev[0])
    html = member.get(DATABASE).content.decode()
    option = re.search(r'<option value="prod"[^>]*>[^<]*</option>', html)[0]
    assert "disabled" in option and "Production (not available for this resource yet)" in option
    assert re.search("Not set up for databases yet in [^:]*Production", html)  # before submit
    assert re.search(r'<option value="dev"[^>]*selected', html)

    forged = member.post(
        DATABASE,
        {
            "service": "petstore",
            "environment": "prod",
            "purpose": "db",
            "size": "small",
            "engine_version": "16",
            "backup_retention_days": "7",
            "action": "preview",
        },
    ).content.decode()
    assert "not set up for databases yet in Production" in forged  # the one refused, by name
    assert "prod has no" not in forged


def test_no_environment_for_databases_says_why(member, prod_and_dev):
    html = member.get(DATABASE).content.decode()
    assert re.search("Not set up for databases yet in Development, [^:]*Production", html)
    assert '<select name="environment"' not in html


def test_the_plan_says_its_settings_in_words(member):
    html = member.post(QUEUE, {**queue_data(), "action": "preview"}).content.decode()
    assert "Message retention: 4 days" in html
    assert "Dead-letter queue: payments-petstore-dev-events-dlq (after 5 failed attempts)" in html
    assert "message_retention_seconds" not in html and "target_name" not in html
    assert "<td>Message queue</td>" in html and "sqs-queue" not in html


def test_the_request_page_names_its_steps_in_words(member):
    member.post(FORM, {**form_data(), "action": "submit"})
    request = ProvisioningRequest.objects.get()
    html = member.get(request.get_absolute_url()).content.decode()
    assert "Create the object storage bucket payments-petstore-dev-assets" in html
    assert "ensure s3-bucket" not in html


def test_checkboxes_sit_inside_their_label(member):
    html = member.get(FORM).content.decode()
    assert re.search(r'<label for="id_versioning"><input type="checkbox"[^>]*> Keep old', html)


def test_a_plan_on_screen_is_marked_to_be_dropped_when_an_input_changes(member):
    html = member.post(FORM, {**form_data(), "action": "preview"}, headers=HTMX).content.decode()
    # portal.js takes the plan away on any input change (the browser test shows it happen)
    assert 'data-discards-plan="#preview"' in html and "data-plan" in html
    assert 'data-discarded-text="You changed the form: show the plan again' in html
    assert not ProvisioningRequest.objects.exists()


def test_the_catalog_card_says_where_a_database_cannot_go(member, prod_and_dev):
    place_databases_in(prod_and_dev[0])
    html = member.get("/provisioning/").content.decode()
    assert re.search("Not set up for databases yet in [^:]*Production", html)
    assert "Development" not in re.search("Not set up for databases yet in [^:]*", html)[0]
