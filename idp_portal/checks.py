"""`manage.py check --deploy` warnings for settings that are legal but unsafe in production."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def sso_has_allow_list(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """SSO without an allow-list admits every GitHub user, or everyone the OIDC issuer knows."""
    warnings = []
    providers = settings.SOCIALACCOUNT_PROVIDERS
    if "github" in providers and not settings.GITHUB_ALLOWED_ORGS:
        warnings.append(
            checks.Warning(
                "GitHub sign-in is on, and GITHUB_ALLOWED_ORGS is empty: "
                "any GitHub user can sign in.",
                hint="Set GITHUB_ALLOWED_ORGS to your organisations, "
                "e.g. GITHUB_ALLOWED_ORGS=acme,acme-labs",
                id="idp_portal.W001",
            )
        )
    if "openid_connect" in providers and not settings.OIDC_ALLOWED_DOMAINS:
        warnings.append(
            checks.Warning(
                "OIDC sign-in is on, and OIDC_ALLOWED_DOMAINS is empty: every account the "
                "identity provider knows can sign in.",
                hint="Set OIDC_ALLOWED_DOMAINS to your e-mail domains, "
                "e.g. OIDC_ALLOWED_DOMAINS=acme.com",
                id="idp_portal.W002",
            )
        )
    return warnings
