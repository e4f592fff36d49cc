"""Every page's frame: the header marks where you are, offers Help, and no page is a dead end."""

import pytest
from django.test import override_settings
from django.urls import reverse


def _header(html: str) -> str:
    return html.split("</header>")[0]


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/catalog/", "/catalog/"),
        ("/catalog/teams/default/payments/", "/catalog/"),
        ("/provisioning/", "/provisioning/"),
        ("/provisioning/create-service/", "/provisioning/create-service/"),
        ("/provisioning/requests/", "/provisioning/"),
        ("/observability/", "/observability/"),
        ("/feedback/roadmap/", "/feedback/"),
        ("/help/", "/help/"),
    ],
)
def test_the_header_marks_the_current_section(owner_client, path, section):
    header = _header(owner_client.get(path).content.decode())
    assert header.count("aria-current=") == 1
    current = "page" if path == section else "true"
    assert f'href="{section}" aria-current="{current}"' in header


def test_every_page_offers_help_in_the_header(owner_client):
    header = _header(owner_client.get("/catalog/").content.decode())
    assert '<a href="/help/">Help</a>' in header


def test_the_help_page_says_what_the_portal_does_and_whom_to_ask(owner_client, client, personas):
    client.force_login(personas.teammate)
    html = client.get("/help/").content.decode()
    for url in [
        reverse("feedback:help_request"),
        reverse("feedback:office_hours"),
        reverse("feedback:friction_report"),
        reverse("catalog:service_list"),
        reverse("provisioning:create_service"),
    ]:
        assert f'href="{url}"' in html
    assert "Ask the platform team" in html and "Office hours" in html
    assert "owner (Payments)" in html  # the teammate's lead, by name


def test_every_link_on_the_help_page_opens(client, personas):
    import re

    client.force_login(personas.teammate)
    html = client.get("/help/").content.decode()
    main = html.split("<main", 1)[1].split("</main>")[0]
    for url in set(re.findall(r'href="(/[^"]*)"', main)):
        assert client.get(url).status_code == 200, url


def test_the_footer_and_home_lead_to_working_forms(owner_client):
    html = owner_client.get("/").content.decode()
    assert f'href="{reverse("feedback:friction_report")}?from=/"' in html
    form = owner_client.get(reverse("feedback:friction_report") + "?from=/")
    assert form.status_code == 200 and b"<form" in form.content
    feedback = owner_client.get(reverse("feedback:index")).content.decode()
    assert f'href="{reverse("feedback:help_request")}"' in feedback
    for page in (html, form.content.decode(), feedback):
        assert "not exist yet" not in page and "not implemented" not in page.lower()


@override_settings(DEBUG=False)
def test_error_pages_keep_the_header_so_there_is_a_way_back(owner_client, outsider_client):
    missing = owner_client.get("/catalog/services/default/no-such-service/")
    assert missing.status_code == 404
    refused = outsider_client.get("/audit/")
    assert refused.status_code == 403
    for response in (missing, refused):
        header = _header(response.content.decode())
        assert 'href="/catalog/"' in header and 'href="/help/"' in header
    assert 'href="/feedback/help/">ask the platform team</a>' in refused.content.decode()
    assert 'href="/feedback/friction/new/?from=' in missing.content.decode()
