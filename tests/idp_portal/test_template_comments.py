"""Django's {# … #} comment ends on its own line: one left open across lines is printed on the
page as text (it once showed the catalog's HTMX notes to every user). Longer notes use
{% comment %}."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    path
    for path in ROOT.glob("**/templates/**/*.html")
    if ".venv" not in path.parts and "node_modules" not in path.parts
)


def test_the_templates_are_found():
    assert len(TEMPLATES) > 50
    assert ROOT / "templates" / "catalog" / "service_list.html" in TEMPLATES


def test_every_one_line_comment_closes_on_its_line():
    unclosed = []
    for path in TEMPLATES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for opening in re.finditer(r"\{#", line):
                if "#}" not in line[opening.end() :]:
                    unclosed.append(f"{path.relative_to(ROOT)}:{number}")
    assert not unclosed, "use {% comment %} for notes longer than a line: " + ", ".join(unclosed)


def test_the_catalog_page_shows_no_template_notes(owner_client):
    page = owner_client.get("/catalog/?view=all&q=pay").content.decode()
    assert "{#" not in page and "#}" not in page
