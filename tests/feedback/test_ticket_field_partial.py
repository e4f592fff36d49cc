"""The ticket pages' field partial: each aria-describedby Django renders names an id there."""

import re


def described_by_ids(html: str) -> list[str]:
    return [i for ids in re.findall(r'aria-describedby="([^"]*)"', html) for i in ids.split()]


def test_the_help_form_points_each_field_at_its_help_and_errors(owner_client):
    html = owner_client.post("/feedback/help/", {"category": "how-to", "description": ""})
    html = html.content.decode()
    ids = described_by_ids(html)
    assert "id_description_helptext" in ids and "id_description_error" in ids
    for target in ids:
        assert f'id="{target}"' in html, f"aria-describedby points at missing id {target}"
