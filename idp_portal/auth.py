"""django-allauth adapters: who may sign up, and who may sign in through SSO.

An SSO sign-in is admitted only from the GitHub organisations in GITHUB_ALLOWED_ORGS and the
e-mail domains in OIDC_ALLOWED_DOMAINS (an empty list admits anyone the provider vouches for;
`manage.py check --deploy` warns about that, see idp_portal/checks.py).
"""

import logging
from urllib.parse import urlsplit

import requests
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.shortcuts import render

from idp_portal import audit

logger = logging.getLogger(__name__)

# GitHub answers 100 memberships a page; nobody belongs to more than 1,000 organisations.
GITHUB_PAGE_SIZE = 100
GITHUB_MAX_PAGES = 10
GITHUB_TIMEOUT_SECONDS = 10


class SSORefused(Exception):
    """The identity provider vouched for the person, but the portal does not admit them."""


class PortalAccountAdapter(DefaultAccountAdapter):
    """Local accounts: self sign-up only when ACCOUNT_ALLOW_SIGNUP is on (users come from SSO)."""

    def is_open_for_signup(self, request) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP


class PortalSocialAccountAdapter(DefaultSocialAccountAdapter):
    """SSO accounts: the first sign-in through OIDC or GitHub creates the user, when admitted."""

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return settings.SOCIALACCOUNT_ALLOW_SIGNUP

    def pre_social_login(self, request, sociallogin) -> None:
        """Refuse, with a page that says why, anyone outside the allow-lists."""
        provider = sociallogin.provider or sociallogin.account.get_provider()
        try:
            if provider.id == "github":
                check_github_orgs(sociallogin.token.token, settings.GITHUB_ALLOWED_ORGS)
            elif provider.id == "openid_connect":
                check_oidc_domain(sociallogin.email_addresses, settings.OIDC_ALLOWED_DOMAINS)
        except SSORefused as refusal:
            who = _identity(sociallogin)
            audit.record(
                None,
                "auth.sso_refused",
                detail=f"{provider.name}: {refusal}",
                outcome="denied",
                actor_name=who,
            )
            page = render(
                request,
                "account/sso_refused.html",
                {"provider": provider.name, "reason": str(refusal), "who": who},
                status=403,
            )
            raise ImmediateHttpResponse(page) from None


def _identity(sociallogin) -> str:
    data = sociallogin.account.extra_data or {}
    name = data.get("login") or data.get("email") or data.get("preferred_username") or ""
    return f"{sociallogin.account.provider}:{name or sociallogin.account.uid}"[:150]


def check_oidc_domain(email_addresses, allowed_domains: set[str]) -> None:
    """Admit when a verified address the provider gave is at one of `allowed_domains`."""
    if not allowed_domains:
        return
    verified = [address.email.lower() for address in email_addresses if address.verified]
    if not verified:
        raise SSORefused("your identity provider did not confirm a verified e-mail address")
    if not any(email.rpartition("@")[2] in allowed_domains for email in verified):
        domains = ", ".join(sorted({email.rpartition("@")[2] for email in verified}))
        raise SSORefused(f"addresses at {domains} are not admitted to this portal")


def check_github_orgs(token: str, allowed_orgs: set[str]) -> None:
    """Admit when the token's user is an active member of one of `allowed_orgs`."""
    if not allowed_orgs:
        return
    try:
        member_of = github_org_memberships(token)
    except requests.RequestException as exc:
        logger.warning("GitHub organisation check failed: %s", exc)
        raise SSORefused(
            "GitHub did not answer whether you belong to an admitted organisation"
        ) from None
    if not member_of & allowed_orgs:
        raise SSORefused("your GitHub account is not a member of an admitted organisation")


def github_org_memberships(token: str) -> set[str]:
    """Lower-cased logins of the organisations the user is an active member of.

    GitHub's `GET /user/memberships/orgs?state=active` (the `read:org` scope shows private
    memberships too), following its `Link: rel="next"` pages.
    """
    url = f"{settings.GITHUB_API_URL.rstrip('/')}/user/memberships/orgs"
    params = {"state": "active", "per_page": GITHUB_PAGE_SIZE}
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    orgs: set[str] = set()
    for _ in range(GITHUB_MAX_PAGES):
        response = requests.get(url, params=params, headers=headers, timeout=GITHUB_TIMEOUT_SECONDS)
        response.raise_for_status()
        orgs |= {
            m["organization"]["login"].lower()
            for m in response.json()
            if m.get("state") == "active"
        }
        url, params = response.links.get("next", {}).get("url"), None
        # Only GitHub's own pages: the token must never reach another host (a prefix test
        # would let https://api.github.com.example through).
        if not url or urlsplit(url)[:2] != urlsplit(settings.GITHUB_API_URL)[:2]:
            break
    return orgs
