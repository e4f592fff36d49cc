"""Sign-in (pages redirect to the sign-in page, the JSON API answers 401 and takes
tokens), the request body limit and the Permissions-Policy header."""

import io

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape

from idp_portal import tokens
from idp_portal.api_errors import api_error

BEARER_INVALID = 'Bearer error="invalid_token"'


class PortalLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, except that API clients get JSON they can act on."""

    def handle_no_permission(self, request, view_func):
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "error": {
                        "name": "AuthenticationError",
                        "message": "sign in first: send the portal session cookie, or "
                        "Authorization: Bearer <token> (create one at /accounts/tokens/)",
                    }
                },
                status=401,
            )
        return super().handle_no_permission(request, view_func)


# POSTs that only read: Backstage's client looks entities up by reference, and queries
# entities and facets by predicate, with a POST.
READ_ONLY_POSTS = frozenset(
    {
        "/api/catalog/entities/by-refs",
        "/api/catalog/entities/by-query",
        "/api/catalog/entity-facets",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _bearer(request) -> str | None:
    scheme, _, credential = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return credential.strip() if scheme.lower() == "bearer" else None


class ApiTokenMiddleware:
    """Signs API requests in with a personal access token (`Authorization: Bearer <token>`).

    Only /api/ paths take tokens; pages keep the browser session. A token request carries no
    cookie, so there is nothing to forge and it is exempt from CSRF. A read-scoped token may
    not make unsafe requests.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        secret = _bearer(request) if request.path.startswith("/api/") else None
        # Only portal tokens (idp_…): another system's bearer token (Backstage's client sends
        # its own) leaves the request to the session, as if no header were sent.
        if secret is None or not secret.startswith(tokens.TOKEN_PREFIX):
            return self.get_response(request)
        try:
            token = tokens.authenticate(secret)
        except tokens.TokenRejected as exc:
            return api_error(
                401, "AuthenticationError", str(exc), **{"WWW-Authenticate": BEARER_INVALID}
            )
        writes = request.method not in SAFE_METHODS and request.path not in READ_ONLY_POSTS
        if writes and not token.can_write:
            return api_error(
                403,
                "NotAllowedError",
                f"this token is read-only: create a write-scoped token at {tokens.MANAGE_URL}",
                **{"WWW-Authenticate": 'Bearer error="insufficient_scope", scope="write"'},
            )
        self._sign_in(request, token)
        tokens.note_use(token, request.method, request.path, writes)
        return self.get_response(request)

    @staticmethod
    def _sign_in(request, token) -> None:
        user = token.user

        async def auser():
            return user

        request.user, request.auser, request.api_token = user, auser, token
        request._dont_enforce_csrf_checks = True


class RequestBodyLimitMiddleware:
    """Refuses request bodies over MAX_REQUEST_BODY_BYTES with 413 before any view reads them.

    Checked on Content-Length; a chunked body without one is read up to the limit when the
    server marks its end (gunicorn sets `wsgi.input_terminated`), and otherwise refused with
    411, since Django would read it as empty. Paths in REQUEST_BODY_LIMIT_EXEMPT (the catalog
    upload, which guards its own larger limit) pass untouched.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = settings.MAX_REQUEST_BODY_BYTES
        self.exempt = tuple(settings.REQUEST_BODY_LIMIT_EXEMPT)

    def __call__(self, request):
        if request.path.startswith(self.exempt):
            return self.get_response(request)
        raw_length = request.META.get("CONTENT_LENGTH") or ""
        if raw_length.strip():
            length = int(raw_length) if raw_length.strip().isdigit() else self.limit + 1
            if length > self.limit:
                return self._too_large(request)
        elif "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            refusal = self._buffer_chunked(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _buffer_chunked(self, request):
        """Read a chunked body (up to the limit) so the view sees it; a refusal or None."""
        stream = request.META.get("wsgi.input")
        if stream is None or not request.META.get("wsgi.input_terminated"):
            return _refuse(
                request,
                411,
                "LengthRequiredError",
                "send the request body with a Content-Length header",
            )
        body = stream.read(self.limit + 1)
        if len(body) > self.limit:
            return self._too_large(request)
        request.META["CONTENT_LENGTH"] = str(len(body))
        request._stream = LimitedStream(io.BytesIO(body), len(body))
        return None

    def _too_large(self, request):
        kib = self.limit // 1024
        return _refuse(
            request,
            413,
            "PayloadTooLargeError",
            f"the request body is over {kib} KiB: send less at a time",
        )


def _refuse(request, status: int, name: str, message: str) -> HttpResponse:
    """JSON for the API, a short plain page elsewhere."""
    if request.path.startswith("/api/"):
        return api_error(status, name, message)
    return HttpResponse(
        f"<!doctype html><title>Request refused</title><h1>Request refused</h1>"
        f"<p>{escape(message[0].upper() + message[1:])}.</p>",
        status=status,
    )


# Browser features the portal never uses, switched off for it and anything it might embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "serial",
        "hid",
        "xr-spatial-tracking",
        "browsing-topics",
    )
)


class PermissionsPolicyMiddleware:
    """Adds Permissions-Policy to every response that does not set its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
