"""Values every page's layout needs."""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from catalog import access
from catalog.querysets import memberships_of

_UNSET = object()


@dataclass(frozen=True)
class NavItem:
    """One entry of the header's main navigation; `current` is its aria-current value."""

    label: str
    url: str
    current: str = ""
    count: int | None = None


def portal(request: HttpRequest) -> dict:
    """The signed-in user's team memberships (navigation bar, defaults), the sign-up switch
    and the main navigation. The navigation is a callable the template resolves, so an HTMX
    fragment rendered with context processors reads nothing for it."""
    return {
        "my_memberships": memberships_of(request),
        "allow_signup": settings.ACCOUNT_ALLOW_SIGNUP,
        "main_nav": lambda: main_nav(request),
        "approvals_waiting": lambda: approvals_waiting(request),
    }


def approvals_waiting(request: HttpRequest) -> int | None:
    """How many held requests this user may approve; None for those who approve nothing (no
    query for them). One COUNT query, read at most once per request."""
    cached = getattr(request, "_approvals_waiting", _UNSET)
    if cached is not _UNSET:
        return cached
    user = getattr(request, "user", None)
    count = None
    if user is not None and access.can(user, "request.approve_any"):
        # The portal's top layer may read provisioning; catalog (the policy) may not.
        from provisioning.models import ProvisioningRequest

        count = ProvisioningRequest.objects.awaiting_approval_by(user).count()
    request._approvals_waiting = count
    return count


def main_nav(request: HttpRequest) -> list[NavItem]:
    """The header's sections in order; the one the page belongs to (the longest matching
    prefix) is marked aria-current: "page" on the section's own page, "true" below it."""
    user = request.user
    items = [
        ("Catalog", reverse("catalog:service_list")),
        ("Create a service", reverse("provisioning:create_service")),
        ("Provision", reverse("provisioning:index")),
    ]
    count = approvals_waiting(request)
    if count is not None:
        items.append(("Approvals", reverse("provisioning:approvals")))
    items += [
        ("Observability", reverse("observability:index")),
        ("Feedback", reverse("feedback:index")),
        ("Help", reverse("help")),
    ]
    if access.can(user, "audit.view"):
        items.append(("Audit", reverse("audit:event_list")))
    if access.can(user, "integrations.view"):
        items.append(("Integrations", reverse("integrations:list")))
    current = _current_section(request.path, [url for _, url in items])
    return [
        NavItem(
            label,
            url,
            ("page" if request.path == url else "true") if url == current else "",
            count if label == "Approvals" else None,
        )
        for label, url in items
    ]


def _current_section(path: str, urls: list[str]) -> str | None:
    matching = [url for url in urls if path.startswith(url)]
    return max(matching, key=len, default=None)
