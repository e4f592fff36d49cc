"""Values every page's layout needs."""

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    """The signed-in user's team memberships (navigation bar, defaults) and the sign-up switch."""
    context = {"my_memberships": [], "allow_signup": settings.ACCOUNT_ALLOW_SIGNUP}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from catalog.models import TeamMembership

        context["my_memberships"] = list(
            TeamMembership.objects.filter(user=user).select_related("team")
        )
    return context
