"""The integrations page for platform admins: every external system's state, and a button
that tests one with a harmless read call."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from catalog import access
from idp_portal import audit, integrations
from idp_portal.htmx import is_partial, vary_on_htmx

WHY = "The integrations page is for platform admins: ask the platform team about a system."


@require_GET
def integration_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "integrations.view", None, WHY)
    return render(request, "idp_portal/integrations.html", {"rows": integrations.rows()})


@require_POST
def integration_test(request: HttpRequest, key: str) -> HttpResponse:
    """One read call to the system; the row again (HTMX) or the page with a message."""
    access.require(request.user, "integrations.view", None, WHY)
    integration = integrations.get(key)
    if integration is None:
        raise Http404(f"No integration {key!r}: pick one from the integrations page.")
    ok, text = integration.run_test()
    audit.record(
        request.user,
        "integrations.test",
        detail=f"{integration.label}: {text}",
        outcome="ok" if ok else "failed",
    )
    row = {"integration": integration, "connected": ok, "status": text, "tested": True}
    if is_partial(request):
        return vary_on_htmx(render(request, "idp_portal/integrations.html#row", {"row": row}))
    (messages.success if ok else messages.error)(request, f"{integration.label}: {text}")
    return redirect("integrations:list")
