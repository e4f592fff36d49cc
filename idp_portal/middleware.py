"""Sign-in enforcement: pages redirect to the sign-in page, the JSON API answers 401."""

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import JsonResponse


class PortalLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, except that API clients get JSON they can act on."""

    def handle_no_permission(self, request, view_func):
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "error": {
                        "name": "AuthenticationError",
                        "message": "sign in first: send the portal session cookie",
                    }
                },
                status=401,
            )
        return super().handle_no_permission(request, view_func)
