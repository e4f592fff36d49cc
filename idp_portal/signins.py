"""Sign-ins, sign-outs and failed sign-ins in the audit trail, from Django's auth signals.

Every way in (the allauth page, single sign-on, the admin's login form) ends in Django's
`login()` / `authenticate()`, which send these signals, so one receiver each covers them all.
"""

from django.contrib.auth import signals

from idp_portal import audit
from idp_portal.models import AuditEvent

# The credential keys that name who tried to sign in; Django masks the password before the
# signal is sent, and it is never read here anyway.
USERNAME_KEYS = ("username", "login", "email")


def attempted_username(credentials: dict) -> str:
    """The name someone typed at a failed sign-in, never the password."""
    for key in USERNAME_KEYS:
        if credentials.get(key):
            return str(credentials[key])[:150]
    return ""


def on_login(sender, request, user, **kwargs) -> None:
    audit.record(user, "auth.login", user, detail="signed in")


def on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit.record(user, "auth.logout", user, detail="signed out")


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    name = attempted_username(credentials)
    audit.record(
        None,
        "auth.login_failed",
        actor_name=name,
        outcome=AuditEvent.Outcome.FAILED,
        detail=f"failed sign-in as {name!r}" if name else "failed sign-in",
    )


def connect() -> None:
    """Called once from PortalConfig.ready(); the dispatch ids keep a second call harmless."""
    signals.user_logged_in.connect(on_login, dispatch_uid="audit-login")
    signals.user_logged_out.connect(on_logout, dispatch_uid="audit-logout")
    signals.user_login_failed.connect(on_login_failed, dispatch_uid="audit-login-failed")
