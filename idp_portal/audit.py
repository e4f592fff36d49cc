"""The audit trail's one writer: `record()` appends an AuditEvent for a write or a refusal.

Where the call comes from (IP, user agent, web/api/admin/cli) is read from the context the
AuditContextMiddleware (or `audit_context()` in a command) sets, so callers pass only what
happened.
"""

import contextvars
import logging
from contextlib import contextmanager
from dataclasses import dataclass

from idp_portal.models import AuditEvent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Origin:
    via: str = AuditEvent.Via.WEB
    ip: str | None = None
    user_agent: str = ""


_origin: contextvars.ContextVar[Origin] = contextvars.ContextVar(
    "audit_origin",
    default=Origin(via=AuditEvent.Via.WORKER),  # noqa: B039 -- frozen, so never mutated
)


def origin_of(request) -> Origin:
    """Web, API or admin by path; the client's address as the proxy in front reports it."""
    path = request.path
    if path.startswith("/api/"):
        via = AuditEvent.Via.API
    elif path.startswith("/admin/"):
        via = AuditEvent.Via.ADMIN
    else:
        via = AuditEvent.Via.WEB
    return Origin(via, client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:300])


def client_ip(request) -> str | None:
    """The client's address as allauth reads it for its rate limits (TRUSTED_PROXY_COUNT
    entries of X-Forwarded-For from the right, else REMOTE_ADDR), so both agree."""
    from allauth.account.adapter import get_adapter
    from django.core.exceptions import ImproperlyConfigured, PermissionDenied

    try:
        return get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):  # no address, or a short header
        return request.META.get("REMOTE_ADDR") or None


@contextmanager
def audit_context(origin: Origin):
    """Attribute every event recorded inside the block to `origin` (a command: Origin("cli"))."""
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


class AuditContextMiddleware:
    """Sets where this request's audit events come from, for the whole request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_context(origin_of(request)):
            return self.get_response(request)


def _describe(obj) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    meta = getattr(obj, "_meta", None)
    kind = meta.label_lower if meta else type(obj).__name__.lower()
    return kind, str(getattr(obj, "pk", "") or ""), str(obj)[:200]


def record(actor, action: str, obj=None, **fields) -> AuditEvent:
    """Append one event. `actor` is a user (or None for the system); `action` a policy action
    name such as "request.approve"; `fields` those of `new_event` (team: the owning team's name
    where one applies, before, after, detail, outcome, actor_name)."""
    event = new_event(actor, action, obj, **fields)
    event.save(force_insert=True)
    return logged(event)


def new_event(
    actor,
    action: str,
    obj=None,
    *,
    team: str = "",
    before=None,
    after=None,
    detail: str = "",
    outcome: str = AuditEvent.Outcome.OK,
    actor_name: str = "",
) -> AuditEvent:
    """The event `record()` appends, not saved yet: for a caller that saves it in one query
    with its other writes, then calls `logged()`."""
    kind, object_id, object_repr = _describe(obj)
    origin = _origin.get()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent(
        actor=actor if authenticated else None,
        actor_name=actor_name or (actor.get_username() if authenticated else ""),
        action=action,
        outcome=outcome,
        object_type=kind,
        object_id=object_id,
        object_repr=object_repr,
        team=team,
        before=before,
        after=after,
        detail=detail[:2000],
        ip=origin.ip,
        user_agent=origin.user_agent,
        via=origin.via,
    )


def logged(event: AuditEvent) -> AuditEvent:
    """Log a saved event (the audit trail's copy in the log pipeline)."""
    logger.info(
        "audit %s %s %s %s: %s",
        event.actor_name or "-",
        event.action,
        event.outcome,
        event.object_repr,
        event.detail,
    )
    return event
