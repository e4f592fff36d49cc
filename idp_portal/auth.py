"""django-allauth adapters: who may sign up, and how."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings


class PortalAccountAdapter(DefaultAccountAdapter):
    """Local accounts: self sign-up only when ACCOUNT_ALLOW_SIGNUP is on (users come from SSO)."""

    def is_open_for_signup(self, request) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP


class PortalSocialAccountAdapter(DefaultSocialAccountAdapter):
    """SSO accounts: the first sign-in through OIDC or GitHub creates the user."""

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return settings.SOCIALACCOUNT_ALLOW_SIGNUP
