"""Values every page's layout needs."""

from django.conf import settings
from django.http import HttpRequest

from catalog.querysets import memberships_of


def portal(request: HttpRequest) -> dict:
    """The signed-in user's team memberships (navigation bar, defaults) and the sign-up switch."""
    return {
        "my_memberships": memberships_of(request),
        "allow_signup": settings.ACCOUNT_ALLOW_SIGNUP,
    }
