"""GitHub's webhook deliveries (POST /hooks/github/): signed, not signed in.

1. Without GITHUB_WEBHOOK_SECRET every delivery is refused (503): the portal cannot tell
   GitHub from anyone else.
2. A delivery without `X-Hub-Signature-256` gets 401, a wrong signature 403 (HMAC-SHA256 of
   the raw body, compared in constant time); nothing is read from its body.
3. A delivery id seen before answers 200 "already processed" and records nothing.
4. `ping` answers 200; event types the portal does not use are accepted and ignored (202), as
   GitHub expects a 2xx for every delivery a hook was subscribed to; so are events about
   repositories that are no service of the portal.
5. Otherwise the event is recorded with its delivery id in one transaction: all or nothing.
"""

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from idp_portal import audit
from provisioning import deploy_events
from provisioning.models import WebhookDelivery

logger = logging.getLogger(__name__)
PREFIX = "sha256="


def signature_ok(secret: str, body: bytes, header: str) -> bool:
    """GitHub's X-Hub-Signature-256 check, in constant time (pure)."""
    if not header.startswith(PREFIX):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len(PREFIX) :].strip().lower())


def _body(request: HttpRequest) -> bytes | None:
    """The raw body, read from the stream up to WEBHOOK_MAX_BYTES (the site-wide limit is
    smaller than a push listing its commits); None when larger."""
    limit = settings.WEBHOOK_MAX_BYTES
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


def _answer(code: int, **body) -> JsonResponse:
    return JsonResponse(body, status=code)


@csrf_exempt  # signed by GitHub (HMAC), not session-authenticated: no cookie, no CSRF token
@login_not_required
@require_POST
def github(request: HttpRequest) -> JsonResponse:
    secret = settings.GITHUB_WEBHOOK_SECRET
    if not secret:
        return _answer(503, error="webhooks not connected: set GITHUB_WEBHOOK_SECRET")
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not signature:
        return _answer(401, error="unsigned delivery: X-Hub-Signature-256 is required")
    body = _body(request)
    if body is None:
        return _answer(413, error=f"deliveries over {settings.WEBHOOK_MAX_BYTES} bytes are refused")
    if not signature_ok(secret, body, signature):
        logger.warning("GitHub webhook refused: bad signature")
        return _answer(403, error="bad signature: check the hook's secret")
    delivery = request.headers.get("X-GitHub-Delivery", "")[:64]
    event = request.headers.get("X-GitHub-Event", "")[:40]
    if not delivery or not event:
        return _answer(400, error="X-GitHub-Delivery and X-GitHub-Event are required")
    if WebhookDelivery.objects.filter(delivery_id=delivery).exists():
        return _answer(200, status="already processed", delivery=delivery)
    if event == "ping":
        return _answer(200, status="pong")
    try:
        payload = json.loads(body)
    except ValueError:
        return _answer(400, error="the body is not JSON: set the hook's content type to json")
    if not isinstance(payload, dict):
        return _answer(400, error="the body is not a JSON object")
    return _process(delivery, event, payload)


def _process(delivery: str, event: str, payload: dict) -> JsonResponse:
    try:
        with transaction.atomic():
            if event in deploy_events.EVENTS:
                outcome = deploy_events.record_event(event, payload)
            else:
                outcome = deploy_events.Outcome(False, f"event {event} is not used by the portal")
            WebhookDelivery.objects.create(
                delivery_id=delivery,
                event=event,
                outcome="recorded" if outcome.recorded else "ignored",
                detail=outcome.detail[:300],
            )
            if outcome.recorded:
                audit.record(
                    None,
                    "deploy_events.record",
                    outcome.records[0] if outcome.records else None,
                    actor_name="GitHub webhook",
                    detail=f"{event} {delivery}: {outcome.detail}",
                )
    except IntegrityError:
        # The same delivery, processed by a concurrent request: its work stands, ours rolled back.
        return _answer(200, status="already processed", delivery=delivery)
    status = 200 if outcome.recorded else 202
    return _answer(
        status, status="recorded" if outcome.recorded else "ignored", detail=outcome.detail
    )
