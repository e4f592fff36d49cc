"""Every URL needs a signed-in user, except sign-in itself, health and static files."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

# Pages a signed-out person must reach: signing in, recovering a password, SSO callbacks.
PUBLIC = {
    "healthz",
    "readyz",
    "metrics",  # Prometheus has no session: METRICS_TOKEN guards it (test_metrics.py)
    "account_login",
    "account_logout",
    "account_inactive",
    "account_signup",
    "account_email_verification_sent",
    "account_confirm_email",
    "account_confirm_login_code",
    "mfa_authenticate",  # the second step of signing in: the code, before the session exists
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "socialaccount_login_cancelled",
    "socialaccount_signup",
    "github_login",
    "github_callback",
    "openid_connect_login",
    "openid_connect_callback",
    "admin:login",
    # GitHub's webhook: no session, each delivery's HMAC signature is checked instead
    # (unsigned ones get 401: tests/provisioning/test_webhooks.py)
    "hooks_github",
}

SAMPLE_BY_CONVERTER = {
    "int": "1",
    "slug": "sample",
    "str": "sample",
    "path": "sample",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def _concrete(route: str) -> str:
    """Turn a route or regex into a path that resolves: the first alternative, or a sample word."""
    route = re.sub(r"\(\?P<\w+>([^()]*?)\)", lambda m: _sample_group(m.group(1)), route)
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_BY_CONVERTER[m.group(1) or "str"], route)
    return "/" + route.replace("^", "").replace("$", "").replace("\\", "")


def _sample_group(body: str) -> str:
    if "|" in body and "[" not in body:
        return body.split("|")[0]
    if body in {"\\d+", "[0-9]+"}:
        return "1"
    return "sample"


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(
                pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace
            )
        elif isinstance(pattern, URLPattern):
            name = (
                f"{namespace}:{pattern.name}" if namespace and pattern.name else str(pattern.name)
            )
            yield _concrete(prefix + str(pattern.pattern)), name, pattern.callback


ALL_URLS = list(_walk(get_resolver().url_patterns))


def test_the_walk_covers_every_app():
    names = {name for _, name, _ in ALL_URLS}
    assert {
        "home",
        "catalog:service_list",
        "provisioning:index",
        "observability:index",
        "feedback:index",
    } <= names
    assert len(ALL_URLS) > 40


def test_only_sign_in_and_health_views_are_public():
    # API views may check the session themselves (to answer 401 JSON); the test below proves it.
    public = {
        name
        for path, name, view in ALL_URLS
        if not getattr(view, "login_required", True) and not path.startswith("/api/")
    }
    assert public <= PUBLIC, f"unexpectedly public: {public - PUBLIC}"


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "name"), [(p, n) for p, n, _ in ALL_URLS if n not in PUBLIC])
def test_signed_out_visitors_are_sent_to_sign_in(client, path, name):
    match = resolve(path)  # the sample path really reaches the view under test
    assert match.view_name == name or name == "None"
    response = client.get(path)
    if path.startswith("/api/"):
        if response.status_code == 405:  # a POST-only endpoint: ask it the way it is used
            response = client.post(path, "{}", content_type="application/json")
        assert response.status_code == 401, f"{path} ({name}) answered {response.status_code}"
        assert response["Content-Type"].startswith("application/json")
        return
    assert response.status_code == 302, f"{path} ({name}) answered {response.status_code}"
    assert response["Location"].startswith(("/accounts/login/", "/admin/login/"))


@pytest.mark.django_db
def test_health_is_public(client):
    assert client.get("/healthz").status_code == 200


def test_static_files_need_no_login(client, settings):
    from django.contrib.staticfiles import finders

    assert finders.find("vendor/htmx-2.0.11/htmx.min.js")
