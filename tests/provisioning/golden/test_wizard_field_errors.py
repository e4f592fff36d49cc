"""Create a service: a field the server refuses is marked where it is, also after an HTMX
"Show the plan", and its message says what to do."""

import re
from html import unescape

from provisioning.models import ProvisioningRequest
from tests.provisioning.golden.test_wizard_views import FORM, HTMX, form_data


def field_tag(html: str, field_id: str) -> str:
    return re.search(rf'<(?:input|select|textarea)[^>]*id="{field_id}"[^>]*>', html)[0]


def test_a_refused_port_is_marked_beside_the_field_after_an_htmx_preview(
    member_client, golden_paths, recording_driver
):
    response = member_client.post(FORM, {**form_data(port="80"), "action": "preview"}, headers=HTMX)
    # The plan region holds no fields: the page's content is swapped instead.
    assert response["HX-Retarget"] == "main" and response["HX-Reselect"] == "main"
    html = unescape(response.content.decode())
    port = field_tag(html, "id_port")
    assert 'aria-invalid="true"' in port and "id_port_error" in port
    assert (
        'id="id_port_error"' in html
        and "use a whole number from 1024 to 65535 (you typed 80)" in html
    )
    assert "Ensure this value" not in html
    assert 'href="#id_port">HTTP port</a>' in html
    assert not ProvisioningRequest.objects.exists()


def test_a_too_long_description_says_by_how_much(member_client, golden_paths, recording_driver):
    html = member_client.post(
        FORM, {**form_data(description="x" * 230), "action": "preview"}, headers=HTMX
    ).content.decode()
    assert 'aria-invalid="true"' in field_tag(html, "id_description")
    assert "this is 230 characters long: shorten it to 200" in html


def test_every_help_text_is_reachable_from_its_field(member_client, golden_paths):
    html = member_client.get(FORM).content.decode()
    ids = [i for v in re.findall(r'aria-describedby="([^"]*)"', html) for i in v.split()]
    assert "id_port_helptext" in ids
    for target in ids:
        assert f'id="{target}"' in html, f"aria-describedby points at missing id {target}"


def test_a_valid_preview_still_swaps_only_the_plan(member_client, golden_paths, recording_driver):
    response = member_client.post(FORM, {**form_data(), "action": "preview"}, headers=HTMX)
    assert "HX-Retarget" not in response
    assert response.content.decode().lstrip().startswith('<section id="plan"')


def test_a_refused_name_is_marked_on_its_own_field(member_client, golden_paths, recording_driver):
    response = member_client.post(FORM, {**form_data(name="Check_Out"), "action": "preview"})
    html = unescape(response.content.decode())
    name = field_tag(html, "id_name")
    assert 'aria-invalid="true"' in name and "name-errors" in name
    assert 'id="name-errors"' in html and "lowercase" in html
    assert (
        "<form" in html
        and "novalidate" in re.search(r"<form[^>]*data-discards-plan[^>]*>", html)[0]
    )
