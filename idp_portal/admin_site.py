"""The portal's Django admin: every write audited, sign-in through allauth, a second factor.

1. Every add, change and delete is audited. Django's admin reports each write through three
   ModelAdmin hooks, `log_addition`, `log_change` and `log_deletions` (the last may
   bulk-create LogEntry rows, so a signal on LogEntry would miss deletions). The site wraps
   every ModelAdmin registered on it, of every app, in `AuditedAdminMixin`, first in the
   method order: a ModelAdmin that overrides a hook without calling `super()` is audited all
   the same.
2. The admin's own sign-in form would authenticate with Django's ModelBackend alone, past
   allauth's rate limits, lockout and two-factor step; so /admin/login/ only sends people to
   the portal's sign-in page.
3. Who may open it is the one policy's answer (`admin.access`); a platform admin without an
   authenticator app is sent to set one up first.

Kept apart from `idp_portal/admin.py`: this module is imported while the default site is
being built, so it must register nothing itself.
"""

import json
from functools import update_wrapper

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from idp_portal import audit

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


def readable_change_message(message) -> str:
    """The admin's change message (a JSON-able list or a string) as the history page shows it."""
    raw = message if isinstance(message, str) else json.dumps(message)
    return LogEntry(change_message=raw).get_change_message()


def owning_team_name(obj) -> str:
    """The team an admin-edited row belongs to, when it has one (`team` or `owner`)."""
    if obj._meta.label_lower == "catalog.team":
        return obj.name
    team = getattr(obj, "team", None) or getattr(obj, "owner", None)
    return str(getattr(team, "name", "") or "")


def _record(request, action: str, obj, detail: str) -> None:
    audit.record(request.user, action, obj, team=owning_team_name(obj), detail=detail)


class AuditedAdminMixin:
    """Appends an AuditEvent next to each admin LogEntry; the event's `via` is "admin"."""

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        _record(request, "admin.add", obj, readable_change_message(message))
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        _record(request, "admin.change", obj, readable_change_message(message))
        return entry

    def log_deletions(self, request, queryset):
        # Called before the rows go, inside the deletion's transaction: one event per object.
        objects = list(queryset)
        entries = super().log_deletions(request, objects)
        for obj in objects:
            _record(request, "admin.delete", obj, f"Deleted “{obj}”.")
        return entries


def audited(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """`admin_class` with AuditedAdminMixin first in its method order."""
    if issubclass(admin_class, AuditedAdminMixin):
        return admin_class
    attrs = {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__}
    return type(admin_class.__name__, (AuditedAdminMixin, admin_class), attrs)


class PortalAdminSite(admin.AdminSite):
    """Django's admin site: writes audited, the portal's sign-in, a second factor for admins."""

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = audited(admin_class or admin.ModelAdmin)
        super().register(model_or_iterable, admin_class, **options)

    def has_permission(self, request) -> bool:
        """The admin opens for whom the one policy says: platform admins."""
        from catalog import access

        return access.can(request.user, "admin.access")

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
            if self.has_permission(request) and not has_totp(request.user):
                messages.warning(request, MFA_REQUIRED_MESSAGE)
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
            return inner(request, *args, **kwargs)

        return update_wrapper(view_with_second_factor, inner)
