"""Golden paths in the admin: versioned saves, validation next to the fields, preview render."""

import json

import pytest

from provisioning.models import GoldenPath, PipelineTemplate, SkeletonFile

CHANGE = "/admin/provisioning/goldenpath/{}/change/"


@pytest.fixture
def admin_client(admin_client, golden_paths):
    """conftest's admin (with its second factor), once the shipped golden paths exist."""
    return admin_client


def change_data(gp: GoldenPath, **fields) -> dict:
    """The admin change form as the browser posts it, with every file inline."""
    files = list(gp.files.order_by("path"))
    data = {
        "slug": gp.slug,
        "name": gp.name,
        "description": gp.description,
        "language": gp.language,
        "framework": gp.framework,
        "published": "on" if gp.published else "",
        "parameters": json.dumps(gp.parameters),
        "pipeline": gp.pipeline_id,
        "pipeline_settings": json.dumps(gp.pipeline_settings),
        "deployment_defaults": json.dumps(gp.deployment_defaults),
        "observability_defaults": json.dumps(gp.observability_defaults),
        "files-TOTAL_FORMS": len(files),
        "files-INITIAL_FORMS": len(files),
        "files-MIN_NUM_FORMS": 0,
        "files-MAX_NUM_FORMS": 1000,
    }
    for i, f in enumerate(files):
        data |= {f"files-{i}-id": f.pk, f"files-{i}-golden_path": gp.pk}
        data |= {f"files-{i}-path": f.path, f"files-{i}-content": f.content}
    return {k: v for k, v in {**data, **fields}.items() if v != ""}


def file_index(gp, path):
    return [f.path for f in gp.files.order_by("path")].index(path)


def test_editing_a_published_golden_path_saves_the_next_version(admin_client, python_http):
    i = file_index(python_http, "README.md")
    data = change_data(python_http, name="Python HTTP", **{f"files-{i}-content": "# {{ name }}\n"})
    response = admin_client.post(CHANGE.format(python_http.pk), data)
    assert response.status_code == 302
    v1, v2 = GoldenPath.objects.filter(slug="python-http").order_by("version")
    assert (v1.name, v2.name, v2.version) == ("Python HTTP service", "Python HTTP", 2)
    assert v1.files.get(path="README.md").content.startswith("# {{ name }}\n\n{{ description }}")
    assert v2.files.get(path="README.md").content == "# {{ name }}\n"
    assert v2.files.count() == v1.files.count()


def test_a_draft_is_edited_in_place(admin_client, python_http):
    GoldenPath.objects.filter(pk=python_http.pk).update(published=False)
    python_http.refresh_from_db()
    admin_client.post(CHANGE.format(python_http.pk), change_data(python_http, name="Renamed"))
    assert list(GoldenPath.objects.filter(slug="python-http").values_list("version", "name")) == [
        (1, "Renamed")
    ]


def test_a_template_error_is_shown_with_file_and_line_and_nothing_is_saved(
    admin_client, python_http
):
    i = file_index(python_http, "README.md")
    data = change_data(python_http, **{f"files-{i}-content": "# {{ name }}\n{{ nmae }}\n"})
    response = admin_client.post(CHANGE.format(python_http.pk), data)
    assert response.status_code == 200
    assert (
        "Not saved: README.md, line 2: &#x27;nmae&#x27; is undefined" in response.content.decode()
    )
    assert GoldenPath.objects.filter(slug="python-http").count() == 1


def test_a_parameter_without_help_text_is_refused_next_to_the_field(admin_client, python_http):
    params = '[{"name": "port", "label": "Port", "type": "integer"}]'
    response = admin_client.post(
        CHANGE.format(python_http.pk), change_data(python_http, parameters=params)
    )
    assert "give it a &#x27;help_text&#x27;" in response.content.decode()


def test_the_preview_render_shows_every_file_for_sample_values(admin_client, python_http):
    html = admin_client.get(
        f"/admin/provisioning/goldenpath/{python_http.pk}/preview/"
    ).content.decode()
    assert "Renders cleanly" in html and "app/server.py" in html and "sample-service" in html


def test_the_preview_action_names_the_template_and_line_of_each_problem(admin_client, python_http):
    SkeletonFile.objects.filter(golden_path=python_http, path="Dockerfile").update(
        content="FROM python\n\n{% if %}\n"
    )
    response = admin_client.post(
        "/admin/provisioning/goldenpath/",
        {"action": "preview_render", "_selected_action": [python_http.pk]},
    )
    assert "Dockerfile, line 3:" in response.content.decode()


def test_editing_a_published_pipeline_saves_the_next_version(admin_client):
    pipeline = PipelineTemplate.objects.get()
    data = {
        "slug": pipeline.slug, "name": pipeline.name, "description": pipeline.description,
        "path": pipeline.path, "image_registry": "registry.example.com/platform",
        "content": pipeline.content, "published": "on",
    }  # fmt: skip
    admin_client.post(f"/admin/provisioning/pipelinetemplate/{pipeline.pk}/change/", data)
    v1, v2 = PipelineTemplate.objects.order_by("version")
    assert v1.image_registry == "ghcr.io/example-org"
    assert (v2.version, v2.image_registry) == (2, "registry.example.com/platform")


def test_templates_keep_their_text_exactly_with_browser_line_endings_made_lf(
    admin_client, python_http
):
    GoldenPath.objects.filter(pk=python_http.pk).update(published=False)
    python_http.refresh_from_db()
    i = file_index(python_http, "README.md")
    data = change_data(python_http, **{f"files-{i}-content": "# {{ name }}\r\n\r\n"})
    admin_client.post(CHANGE.format(python_http.pk), data)
    assert python_http.files.get(path="README.md").content == "# {{ name }}\n\n"
