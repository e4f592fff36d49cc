"""Personal access tokens: make, check, revoke, and note their use (the only writer of ApiToken).

A token is `idp_` followed by 43 URL-safe characters (256 random bits). Only its SHA-256 is
stored, so a copy of the database gives nobody a working token; the first PREFIX_LENGTH
characters are kept in clear to tell tokens apart on the page.
"""

import hashlib
import secrets
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from idp_portal import audit
from idp_portal.models import ApiToken

TOKEN_PREFIX = "idp_"
PREFIX_LENGTH = 12
MIN_DAYS, MAX_DAYS = 1, 365
# last_used_at is written at most this often per token: a busy bot would otherwise write per call.
LAST_USED_EVERY = timedelta(minutes=1)
# Reads are audited at most this often per token, so the trail stays readable; writes always.
READ_AUDIT_EVERY = timedelta(hours=1)
MANAGE_URL = "/accounts/tokens/"


class TokenRejected(Exception):
    """The bearer token cannot be used; the message says what to do instead."""


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user, name: str, scope: str, days: int) -> tuple[ApiToken, str]:
    """A new token for `user` valid for `days`; returns the row and the secret (shown once)."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"a token lives {MIN_DAYS} to {MAX_DAYS} days, not {days}")
    if scope not in ApiToken.Scope.values:
        raise ValueError(f"scope is one of {', '.join(ApiToken.Scope.values)}, not {scope!r}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        scope=scope,
        prefix=secret[:PREFIX_LENGTH],
        digest=digest_of(secret),
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit.record(
        user,
        "token.create",
        token,
        after={"name": name, "scope": scope, "expires_at": token.expires_at.isoformat()},
    )
    return token, secret


def revoke_token(user, token: ApiToken) -> bool:
    """Revoke `token` now; False (and nothing recorded) when it was already revoked."""
    now = timezone.now()
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    if not changed:
        return False
    token.revoked_at = now
    audit.record(user, "token.revoke", token, after={"revoked_at": now.isoformat()})
    return True


def authenticate(secret: str) -> ApiToken:
    """The active token for `secret`, or TokenRejected saying why and what to do."""
    token = ApiToken.objects.select_related("user").filter(digest=digest_of(secret.strip())).first()
    if token is None:
        raise TokenRejected(
            f"the bearer token is not known: copy it again, or create one at {MANAGE_URL}"
        )
    if token.revoked_at is not None:
        raise TokenRejected(f"this token was revoked: create a new one at {MANAGE_URL}")
    if token.expires_at <= timezone.now():
        raise TokenRejected(f"this token has expired: create a new one at {MANAGE_URL}")
    if not token.user.is_active:
        raise TokenRejected("the token's user is deactivated: ask a platform admin")
    return token


def _claim(token: ApiToken, field: str, every: timedelta, now) -> bool:
    """Set `field` to now unless it was set within `every`; True when this call set it.

    The row just read usually answers already (no write on a token used a second ago); the
    conditional update settles races between processes."""
    seen = getattr(token, field)
    if seen is not None and seen >= now - every:
        return False
    stale = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": now - every})
    return ApiToken.objects.filter(stale, pk=token.pk).update(**{field: now}) == 1


def note_use(token: ApiToken, method: str, path: str, writes: bool) -> None:
    """Record that `token` was used: last_used_at (per minute) and the audit trail (writes
    every time, reads once an hour per token)."""
    now = timezone.now()
    if _claim(token, "last_used_at", LAST_USED_EVERY, now):
        token.last_used_at = now
    if writes or _claim(token, "use_audited_at", READ_AUDIT_EVERY, now):
        audit.record(token.user, "token.use", token, detail=f"{method} {path}")
