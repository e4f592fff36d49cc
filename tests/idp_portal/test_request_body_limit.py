"""Request bodies over 64 KiB are refused with 413 before any view runs."""

import io

from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from idp_portal.middleware import RequestBodyLimitMiddleware
from idp_portal.models import ApiToken
from tests.factories import make_token

LIMIT = 64 * 1024
REQUESTS = "/api/provisioning/requests"


def over_the_limit() -> str:
    return '{"type": "' + "x" * LIMIT + '"}'


def test_the_limit_is_64_kib_and_django_agrees():
    assert settings.MAX_REQUEST_BODY_BYTES == LIMIT
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == LIMIT


def test_an_api_body_over_the_limit_gets_413_json(owner_client):
    response = owner_client.post(REQUESTS, over_the_limit(), content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"] == {
        "name": "PayloadTooLargeError",
        "message": "the request body is over 64 KiB: send less at a time",
    }


def test_a_body_at_the_limit_reaches_the_view(owner_client):
    body = '{"type": "' + "x" * (LIMIT - 12) + '"}'
    assert len(body) == LIMIT
    response = owner_client.post(REQUESTS, body, content_type="application/json")
    assert response.status_code == 400 and "type" in response.json()["errors"]


def test_a_page_body_over_the_limit_gets_a_short_page(owner_client):
    response = owner_client.post("/accounts/tokens/", {"name": "x" * LIMIT, "days": "1"})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert b"over 64 KiB" in response.content
    assert not ApiToken.objects.exists()


def test_it_is_refused_before_authentication(client, personas):
    _, secret = make_token(personas.owner, scope="write")
    response = client.post(REQUESTS, over_the_limit(), content_type="application/json",
                           headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
    assert response.status_code == 413
    assert ApiToken.objects.get().last_used_at is None


def test_the_catalog_upload_keeps_its_own_larger_limit():
    middleware = RequestBodyLimitMiddleware(lambda request: HttpResponse("view ran"))
    request = RequestFactory().post(
        "/catalog/import/", over_the_limit(), content_type="application/json"
    )
    assert middleware(request).content == b"view ran"


def test_an_unreadable_content_length_is_refused():
    middleware = RequestBodyLimitMiddleware(lambda request: HttpResponse("view ran"))
    request = RequestFactory().post(REQUESTS, "{}", content_type="application/json")
    request.META["CONTENT_LENGTH"] = "lots"
    assert middleware(request).status_code == 413


def chunked(body: bytes, terminated: bool = True):
    request = RequestFactory().post(REQUESTS, b"", content_type="application/json")
    request.META.pop("CONTENT_LENGTH", None)
    request.META.update(
        {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(body),
         "wsgi.input_terminated": terminated}
    )  # fmt: skip
    return request


def test_a_chunked_body_over_the_limit_gets_413():
    middleware = RequestBodyLimitMiddleware(lambda request: HttpResponse("view ran"))
    assert middleware(chunked(b"x" * (LIMIT + 1))).status_code == 413


def test_a_small_chunked_body_reaches_the_view_whole():
    middleware = RequestBodyLimitMiddleware(lambda request: HttpResponse(request.body))
    assert middleware(chunked(b'{"type": "s3-bucket"}')).content == b'{"type": "s3-bucket"}'


def test_a_chunked_body_the_server_cannot_end_gets_411():
    middleware = RequestBodyLimitMiddleware(lambda request: HttpResponse("view ran"))
    response = middleware(chunked(b"{}", terminated=False))
    assert response.status_code == 411 and b"Content-Length header" in response.content


def test_a_descriptor_upload_over_64_kib_still_imports(client, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.models import Component
    from tests.factories import descriptor_yaml, make_descriptor, make_user

    client.force_login(make_user("platform-admin", is_staff=True))
    padding = b"# padding\n" * (LIMIT // 10 + 100)
    data = padding + descriptor_yaml(make_descriptor("Component", "big-one"))
    upload = SimpleUploadedFile("catalog-info.yaml", data, content_type="application/yaml")
    response = client.post("/catalog/import/", {"files": [upload]})
    assert response.status_code == 200 and len(data) > LIMIT
    assert Component.objects.filter(name="big-one").exists()
