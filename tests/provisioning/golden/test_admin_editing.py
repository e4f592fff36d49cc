"""Editing a golden path in the admin without surprises: "Save and continue" opens the version
just saved, an unsaved edit can be previewed (with its diff) before it is published, and the
parameter spec is edited as indented JSON whose errors say where and what."""

import html as html_lib
import json
import re

import pytest

from provisioning.models import GoldenPath
from tests.provisioning.golden.test_admin import CHANGE, change_data, file_index

PREVIEW = "/admin/provisioning/goldenpath/{}/preview-unsaved/"


@pytest.fixture
def admin_client(admin_client, golden_paths):
    return admin_client


def test_save_and_continue_opens_the_new_version_not_the_old_one(admin_client, python_http):
    data = {**change_data(python_http, name="Python HTTP v2"), "_continue": "Save"}
    response = admin_client.post(CHANGE.format(python_http.pk), data)
    v2 = GoldenPath.objects.get(slug="python-http", version=2)
    assert response.status_code == 302 and response["Location"] == CHANGE.format(v2.pk)
    page = admin_client.get(response["Location"]).content.decode()
    assert 'value="Python HTTP v2"' in page


def test_the_change_form_offers_a_preview_of_the_unsaved_edit(admin_client, python_http):
    page = admin_client.get(CHANGE.format(python_http.pk)).content.decode()
    assert 'value="Preview unsaved changes"' in page
    assert f'formaction="{PREVIEW.format(python_http.pk)}"' in page
    assert page.index('name="_save"') < page.index('name="_preview"')  # Enter still saves


def test_the_preview_shows_the_diff_and_the_render_and_saves_nothing(admin_client, python_http):
    i = file_index(python_http, "README.md")
    data = change_data(python_http, name="Python HTTP", **{f"files-{i}-content": "# {{ name }}\n"})
    response = admin_client.post(PREVIEW.format(python_http.pk), data)
    page = html_lib.unescape(response.content.decode())
    assert response.status_code == 200 and "Nothing is saved." in page
    assert "-Python HTTP service\n+Python HTTP" in page
    assert "<code>README.md</code> (changed)" in page and "\n-{{ description }}\n" in page
    assert "Renders cleanly" in page and "# sample-service" in page
    assert GoldenPath.objects.filter(slug="python-http").count() == 1
    python_http.refresh_from_db()
    assert python_http.name == "Python HTTP service"


def test_the_preview_lists_what_would_stop_the_save(admin_client, python_http):
    i = file_index(python_http, "README.md")
    data = change_data(python_http, **{f"files-{i}-content": "{{ nmae }}\n"})
    page = html_lib.unescape(
        admin_client.post(PREVIEW.format(python_http.pk), data).content.decode()
    )
    assert "would stop the save" in page and "README.md, line 1: 'nmae' is undefined" in page
    assert GoldenPath.objects.filter(slug="python-http").count() == 1


def test_the_parameter_spec_is_indented_json_on_many_lines(admin_client, python_http):
    page = html_lib.unescape(admin_client.get(CHANGE.format(python_http.pk)).content.decode())
    # (PostgreSQL's jsonb keeps keys in its own order, so no key is expected first)
    textarea = re.search(r'<textarea name="parameters"[^>]*>\n?(.*?)</textarea>', page, re.S)[1]
    assert textarea.startswith('[\n  {\n    "') and '\n    "name": "port",\n' in textarea


def test_a_json_mistake_says_its_line_column_and_what_to_do(admin_client, python_http):
    # name first in each parameter, whatever order the database kept the keys in
    ordered = [{"name": p["name"], **p} for p in python_http.parameters]
    spec = json.dumps(ordered, indent=2).replace('"name": "port"', "name: 'port'", 1)
    data = change_data(python_http, parameters=spec)
    page = html_lib.unescape(
        admin_client.post(CHANGE.format(python_http.pk), data).content.decode()
    )
    assert (
        "Not valid JSON at line 3, column 5: Expecting property name enclosed in double quotes "
        "(a key must be in double quotes" in page
    )
    assert "Enter a valid JSON." not in page
    assert name_kept_as_typed(page)
    assert GoldenPath.objects.filter(slug="python-http").count() == 1


def name_kept_as_typed(page: str) -> bool:
    """The textarea gives back what was typed, so the mistake can be fixed in place."""
    return "name: 'port'" in page


def test_only_platform_admins_reach_the_preview(client, personas, golden_paths, python_http):
    client.force_login(personas.owner)
    response = client.post(PREVIEW.format(python_http.pk), change_data(python_http))
    assert response.status_code in {302, 403}
    assert "Nothing is saved" not in response.content.decode()


def test_opening_the_preview_address_goes_back_to_the_form(admin_client, python_http):
    response = admin_client.get(PREVIEW.format(python_http.pk))
    assert response.status_code == 302 and response["Location"] == CHANGE.format(python_http.pk)
