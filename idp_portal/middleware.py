"""Sign-in enforcement (pages redirect to sign-in, the JSON API answers 401) and the
Permissions-Policy header."""

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
