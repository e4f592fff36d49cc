"""Sign-in: pages redirect to the sign-in page, the JSON API answers 401 and takes tokens."""

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import JsonResponse

from idp_portal import tokens

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


def _api_error(status: int, name: str, message: str, **headers: str) -> JsonResponse:
    """An API error in the same shape as the catalog API's (Backstage's) errors."""
    response = JsonResponse({"error": {"name": name, "message": message}}, status=status)
    for header, value in headers.items():
        response[header] = value
    return response


# POSTs that only read: Backstage's client looks entities up by reference with a POST.
READ_ONLY_POSTS = frozenset({"/api/catalog/entities/by-refs"})
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
        if secret is None:
            return self.get_response(request)
        try:
            token = tokens.authenticate(secret)
        except tokens.TokenRejected as exc:
            return _api_error(
                401, "AuthenticationError", str(exc), **{"WWW-Authenticate": BEARER_INVALID}
            )
        writes = request.method not in SAFE_METHODS and request.path not in READ_ONLY_POSTS
        if writes and not token.can_write:
            return _api_error(
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

