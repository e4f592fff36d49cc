"""Every HTMX request carries the CSRF token that the page put on <body>."""

import json
import re

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django_htmx.middleware import HtmxDetails

from idp_portal.htmx import is_partial, vary_on_htmx


def _hx_headers(html: str) -> dict:
    match = re.search(r"<body hx-headers='([^']+)'", html)
    assert match, "the layout's <body> must carry hx-headers"
    return json.loads(match.group(1))


@pytest.fixture
def csrf_client(personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.owner)
    return client


def test_an_htmx_write_with_the_pages_token_passes_csrf(csrf_client):
    token = _hx_headers(csrf_client.get("/").content.decode())["X-CSRFToken"]
    response = csrf_client.post(
        "/accounts/logout/", headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert response.status_code == 302
    assert "_auth_user_id" not in csrf_client.session


def test_an_htmx_write_without_the_token_is_refused(csrf_client):
    response = csrf_client.post("/accounts/logout/", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert "_auth_user_id" in csrf_client.session


def test_htmx_is_pinned_and_served_locally(owner_client):
    html = owner_client.get("/").content.decode()
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in html
    assert "unpkg" not in html and "cdn" not in html.lower()


def _request(headers: dict):
    request = RequestFactory().get("/", headers=headers)
    request.htmx = HtmxDetails(request)
    return request


def test_a_partial_request_is_htmx_and_not_boosted():
    assert is_partial(_request({"HX-Request": "true"}))
    assert not is_partial(_request({"HX-Request": "true", "HX-Boosted": "true"}))
    assert not is_partial(_request({}))


def test_fragments_vary_on_hx_request():
    assert "HX-Request" in vary_on_htmx(HttpResponse())["Vary"]
