"""Content-Security-Policy and Permissions-Policy on every response; templates that obey the CSP."""

import json
import re
import secrets
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_portal


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.fixture
def page(owner_client):
    return owner_client.get("/")


def test_pages_carry_a_policy_that_allows_only_the_portals_own_scripts(page):
    csp = directives(page)
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]


def test_the_policy_allows_no_inline_code_or_eval_anywhere(page):
    policy = page["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert directives(page)["style-src"] == ["'self'"]


def test_forms_post_only_to_the_portal_without_sso(page):
    assert directives(page)["form-action"] == ["'self'"]


def test_the_sign_in_page_and_json_answers_carry_the_headers_too(client, db):
    for response in (client.get("/accounts/login/"), client.get("/healthz")):
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.parametrize("feature", ["camera", "microphone", "geolocation", "payment", "usb"])
def test_every_response_switches_off_powerful_browser_features(page, feature):
    assert f"{feature}=()" in page["Permissions-Policy"].split(", ")


def test_a_redirect_carries_permissions_policy(client, db):
    response = client.get("/catalog/")
    assert response.status_code == 302
    assert "microphone=()" in response["Permissions-Policy"]


SSO_FORM_ACTION_IN_CHILD = (
    "import django; django.setup();"
    "from django.conf import settings;"
    "print(' '.join(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']))"
)


def test_the_sso_sign_in_redirect_is_allowed_as_a_form_action(tmp_path):
    """allauth's provider page posts to itself and is answered with a redirect to the provider,
    which form-action governs too."""
    result = run_portal(
        ["-c", SSO_FORM_ACTION_IN_CHILD],
        {
            "DEBUG": "true",
            "IDP_DATA_DIR": str(tmp_path),
            "OIDC_CLIENT_ID": "portal",
            "OIDC_SERVER_URL": "https://sso.example.com/realms/eng",
            "GITHUB_CLIENT_ID": "gh-id",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["'self'", "https://github.com", "https://sso.example.com"]


HEADERS_IN_PRODUCTION = (
    "import django; django.setup();"
    "from django.conf import settings;"
    "from django.test import Client;"
    "r = Client(HTTP_HOST='portal.example.com', HTTP_X_FORWARDED_PROTO='https').get('/healthz');"
    "print(r.status_code);"
    "print(r['Strict-Transport-Security']);"
    "print(r['Permissions-Policy']);"
    "print(r['Content-Security-Policy']);"
    "print(settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE)"
)


def test_production_keeps_hsts_and_secure_cookies_beside_the_new_headers(tmp_path):
    result = run_portal(
        ["-c", HEADERS_IN_PRODUCTION],
        {
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "portal.example.com",
            "IDP_DATA_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    status, hsts, permissions, csp, secure_cookies = result.stdout.strip().splitlines()[-5:]
    assert status == "200"
    assert hsts == "max-age=31536000; includeSubDomains; preload"
    assert "geolocation=()" in permissions
    assert "script-src 'self'" in csp
    assert secure_cookies == "True"


# --- the templates obey the policy --------------------------------------------------------
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
FORBIDDEN = {
    "an inline event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "an inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", re.IGNORECASE),
    "a style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "a <style> element": re.compile(r"<style", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "hx-on": re.compile(r"\shx-on", re.IGNORECASE),
    "an evaluated htmx value": re.compile(r"hx-(?:vals|headers)\s*=\s*['\"]\s*js:", re.IGNORECASE),
}


def test_the_scan_finds_every_template():
    assert len(TEMPLATES) > 30


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_hold_no_inline_code_or_styles(template: Path):
    text = re.sub(r"{#.*?#}", "", template.read_text(), flags=re.DOTALL)  # comments may name them
    found = [what for what, pattern in FORBIDDEN.items() if pattern.search(text)]
    assert not found, f"{template.name} has {', '.join(found)}: the CSP blocks it"


INLINE_SAMPLES = [
    '<form onsubmit="x()">',
    "<script>alert(1)</script>",
    '<p style="color: red">',
    '<a href="javascript:x()">',
]


@pytest.mark.parametrize("sample", INLINE_SAMPLES)
def test_the_scan_would_catch_each_kind(sample):
    assert any(pattern.search(sample) for pattern in FORBIDDEN.values())


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(page):
    html = page.content.decode()
    meta = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>', html)
    assert meta, "base.html lost its htmx-config"
    config = json.loads(meta.group(1))
    assert config == {"includeIndicatorStyles": False, "allowEval": False, "allowScriptTags": False}
    assert "htmx-request .htmx-indicator" in (ROOT / "static/css/portal.css").read_text()


def test_the_portal_script_is_loaded_deferred_and_asks_data_confirm_forms(page):
    html = page.content.decode()
    assert re.search(r'<script src="/static/portal\.js" defer></script>', html)
    script = (ROOT / "static/portal.js").read_text()
    assert "form[data-confirm]" in script and "confirm(" in script


def test_decommission_asks_for_confirmation_through_data_confirm():
    section = (ROOT / "templates/provisioning/sections/resources.html").read_text()
    assert 'data-confirm="Delete {{ r.name }}? This cannot be undone."' in section
