"""The personal access token page: list, create (the token is shown once) and revoke."""

import uuid

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from catalog import access
from catalog.access import require
from idp_portal import tokens
from idp_portal.forms import ApiTokenForm
from idp_portal.models import ApiToken

NOT_ALLOWED = "Only signed-in, active users can manage API tokens: sign in again."


def get_token_for_user(user, pk: int) -> ApiToken:
    """One of the user's own tokens. Unknown: 404; another person's: 403, audited."""
    token = get_object_or_404(ApiToken.objects.select_related("user"), pk=pk)
    require(user, "token.revoke", token, "This token is someone else's: only they can revoke it.")
    return token


@never_cache
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "token.manage", None, NOT_ALLOWED)
    form, created, secret = ApiTokenForm(), None, ""
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid() and not _first_send(request):
            # A refresh or a double click re-sends the form: one token, never a second.
            messages.info(request, ALREADY_SENT)
            return redirect("tokens")
        if form.is_valid():
            data = form.cleaned_data
            created, secret = tokens.create_token(
                request.user, data["name"], data["scope"], data["days"]
            )
            form = ApiTokenForm()
    context = {
        "form": form,
        "created": created,
        "secret": secret,
        "tokens": ApiToken.objects.for_user(request.user),
        "now": timezone.now(),
        "form_key": uuid.uuid4().hex,
        "api_url": request.build_absolute_uri("/api/provisioning/requests"),
        # The example names one of the user's own services, so it works when pasted.
        "example_service": _example_service(request.user) if created else "",
    }
    return render(request, "idp_portal/tokens.html", context)


ALREADY_SENT = (
    "That form was already sent, so no second token was made. A token is shown only once: "
    "if you did not copy it, revoke it below and create another."
)


def _first_send(request: HttpRequest) -> bool:
    """True the first time this page's form (its one-off `form_key`) is sent, for an hour.
    The key lives in the cache, never the token."""
    key = request.POST.get("form_key", "")[:64]
    if not key:
        return True
    return cache.add(f"tokens:form:{request.user.pk}:{key}", 1, timeout=3600)


def _example_service(user) -> str:
    from catalog.models import Component

    owned = Component.objects.filter(owner_id__in=access.member_team_ids(user)).order_by("name")
    return owned.values_list("name", flat=True).first() or "your-service"


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "token.manage", None, NOT_ALLOWED)
    token = get_token_for_user(request.user, pk)
    if tokens.revoke_token(request.user, token):
        messages.success(request, f"Token {token.name} is revoked: it no longer works.")
    else:
        messages.info(request, f"Token {token.name} was already revoked.")
    return redirect("tokens")
