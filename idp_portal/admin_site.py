"""The Django admin, signed in through allauth and opened only with a second factor.

The admin's own sign-in form would authenticate with Django's ModelBackend alone, past allauth's
rate limits, lockout and two-factor step; so /admin/login/ only sends people to the portal's
sign-in page. A platform admin without an authenticator app is sent to set one up first.
"""

from functools import update_wrapper

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from catalog.access import is_platform_admin

MFA_REQUIRED_MESSAGE = (
    "Platform admins sign in with a second factor: set up an authenticator app here, "
    "then open the admin again."
)


def has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.GET.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else fallback


class PortalAdminSite(admin.AdminSite):
    """Django's admin site with the portal's sign-in and its second-factor rule."""

    @method_decorator(never_cache)
    @method_decorator(login_not_required)
    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """Never authenticates (GET or POST): sends people to the portal's sign-in page."""
        index = reverse("admin:index", current_app=self.name)
        if not request.user.is_authenticated:
            return redirect_to_login(_safe_next(request, index), resolve_url(settings.LOGIN_URL))
        if self.has_permission(request):
            return HttpResponseRedirect(_safe_next(request, index))
        # Signed in, not staff: sending them to sign in again would loop back here.
        raise PermissionDenied(
            f"You are signed in as {request.user.get_username()}, who is not a platform admin. "
            "Ask the platform team if you need the admin."
        )

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def view_with_second_factor(request, *args, **kwargs):
            if is_platform_admin(request.user) and not has_totp(request.user):
                messages.warning(request, MFA_REQUIRED_MESSAGE)
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
            return inner(request, *args, **kwargs)

        return update_wrapper(view_with_second_factor, inner)
