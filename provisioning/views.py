"""Provisioning pages: the catalog of resource types, request forms with a plan preview,
the request page with its live log, my requests, approvals."""

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog import access
from catalog.access import get_entity_or_404
from idp_portal.htmx import is_partial, vary_on_htmx
from provisioning import outcome, services
from provisioning.choices import RequestState, ResourceState
from provisioning.drivers.base import PlannedResource
from provisioning.drivers.registry import connection_statuses
from provisioning.forms import unavailable_note
from provisioning.lookups import (
    get_component_for_request,
    get_request_for_user,
    get_resource_for_user,
    owned_components,
    refuse_another_teams_service,
)
from provisioning.models import Environment, ProvisionedResource, ProvisioningRequest
from provisioning.planning import PlanError
from provisioning.resource_types import RESOURCE_TYPES, request_title


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    statuses = connection_statuses()
    environments = list(Environment.objects.all())
    cards = [
        {
            "type": t,
            "not_connected": [statuses[p][1] for p in t.providers if not statuses[p][0]],
            # Said on the card, before the form, so nobody picks what will be refused.
            "unavailable": unavailable_note(environments, t.unavailable_environments(environments)),
        }
        for t in RESOURCE_TYPES.values()
    ]
    return render(request, "provisioning/index.html", {"cards": cards})


def _form_for(request: HttpRequest, resource_type, data=None):
    services_owned = list(owned_components(request.user).values_list("name", flat=True))
    environments = list(Environment.objects.all())
    unavailable = resource_type.unavailable_environments(environments)
    available = [e for e in environments if e.name not in unavailable]
    initial = {
        "service": request.GET.get("service", services_owned[0] if services_owned else ""),
        "environment": available[0].name if available else "",
        "idempotency_key": uuid.uuid4().hex,
    }
    form = resource_type.form(
        data,
        initial=initial,
        services=services_owned,
        environments=environments,
        unavailable=unavailable,
        max_purpose_length=services.current_policy().max_purpose_length,
    )
    return form, services_owned, available


@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest, type_slug: str) -> HttpResponse:
    """The form, and its plan once asked for. An HTMX "Show the plan" re-renders the form with
    the plan, so a field's error sits beside the field, not only under the button."""
    resource_type = RESOURCE_TYPES.get(type_slug)
    if resource_type is None:
        raise Http404("no such resource type")
    if request.method == "POST":
        refuse_another_teams_service(request.user, request.POST.get("service", ""))
    form, services_owned, environments = _form_for(
        request, resource_type, request.POST if request.method == "POST" else None
    )
    context = {
        "resource_type": resource_type,
        "form": form,
        "has_services": bool(services_owned),
        "has_environments": bool(environments),
        "unavailable": form.unavailable_note,
    }
    posted = request.method == "POST" and form.is_valid()
    if posted and (created := _plan_or_submit(request, type_slug, form, context)):
        return created
    template = "provisioning/request_form.html"
    if is_partial(request):
        template += "#request-form"
    return vary_on_htmx(render(request, template, context))


def _plan_or_submit(request: HttpRequest, type_slug: str, form, context: dict):
    """Plan (into `context`) or submit; every problem becomes an error on the field to change."""
    try:
        component = get_component_for_request(request.user, form.cleaned_data["service"])
        env = Environment.objects.get(name=form.cleaned_data["environment"])
        plan = services.plan_for(type_slug, component, env, form.parameters())
        field = "purpose" if "purpose" in form.fields else "environment"
        what_to_do = (
            "pick another purpose"
            if field == "purpose"
            else f"{component.name} already has one in {env.display_name}: use it"
        )
        if taken := services.planned_name_taken(plan, what_to_do):
            form.add_error(field, taken)
        elif request.POST.get("action") == "submit":
            created = services.submit_request(
                request.user,
                type_slug,
                component,
                env,
                form.parameters(),
                form.cleaned_data.get("idempotency_key", ""),
            )
            waits = created.state == RequestState.AWAITING_APPROVAL
            messages.success(
                request,
                f"Asked for {request_title(type_slug).lower()} for {component.name} in "
                f"{env.display_name}: "
                + (
                    "it waits for a team lead's approval."
                    if waits
                    else "a worker is making it now."
                ),
            )
            return redirect(created)
        else:
            context.update(plan=plan, approval=services.approval_reason(env, plan))
    except Environment.DoesNotExist:
        form.add_error("environment", "no such environment: pick one from the list")
    except PlanError as exc:
        for field, problems in exc.errors.items():
            form.add_error(field if field in form.fields else None, problems)
    except services.NameTaken as exc:
        form.add_error("purpose" if "purpose" in form.fields else None, str(exc))
    return None


@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    req = get_request_for_user(request.user, pk)
    resources = list(req.resources.all())
    waiting = req.state == RequestState.AWAITING_APPROVAL
    context = {
        "req": req,
        "title": outcome.title(req),
        # A backfill's steps carry whole bundles; the live log polls every 2 s and never shows them.
        "steps": list(req.steps.defer("resource")),
        "events": list(req.events.all()),
        "resources": resources,
        "outcome": outcome.succeeded(req, resources)
        if req.state == RequestState.SUCCEEDED
        else None,
        "approvers": outcome.approvers(req) if waiting else [],
        # Waiting on a person changes slowly; work in progress changes every second or two.
        "poll_every": "" if req.is_terminal else ("10s" if waiting else "2s"),
        # The buttons are the policy's answers: a button shown is a button that works.
        "can_approve": access.can(request.user, "request.approve", req),
        "can_cancel": access.can(request.user, "request.cancel", req),
        "can_retry": access.can(request.user, "request.retry", req),
        "RequestState": RequestState,
    }
    template = "provisioning/request_detail.html"
    if is_partial(request):
        template += "#live"
    return vary_on_htmx(render(request, template, context))


REQUEST_ACTIONS = {
    "approve": (
        "request.approve",
        services.approve_request,
        "Only a lead of the owning team or a platform admin can approve this, and never the "
        "person who asked for it: ask another lead of the team.",
    ),
    "cancel": (
        "request.cancel",
        services.cancel_request,
        "Only the person who asked, a lead of the team or a platform admin can cancel a request.",
    ),
    "retry": (
        "request.retry",
        services.retry_request,
        "Only members of the owning team or a platform admin can retry this request.",
    ),
}
DONE_MESSAGES = {
    "approve": "Approved. A worker is applying it now: this page shows each step as it happens.",
    "cancel": "Cancelled: nothing was made, and its names are free again.",
    "retry": "Retrying from the failed step; the steps that succeeded are not run again.",
}


@require_POST
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    req = get_request_for_user(request.user, pk)
    if action not in REQUEST_ACTIONS:
        raise Http404("unknown action")
    policy_action, perform, why = REQUEST_ACTIONS[action]
    state = req.get_state_display().lower()
    # A second click (the request moved on) is a no-op with a message, not a 403.
    if req.state not in _ACTIONABLE[action]:
        messages.info(
            request, f"There is nothing to {action}: this request is already {state} (see below)."
        )
        return redirect(req)
    access.require(request.user, policy_action, req, why)
    if perform(req, request.user):
        messages.success(request, DONE_MESSAGES[action])
    else:
        messages.info(
            request,
            f"There is nothing to {action}: the request changed meanwhile (see its state below).",
        )
    return redirect(req)


_ACTIONABLE = {
    "approve": {RequestState.AWAITING_APPROVAL},
    "cancel": {RequestState.PLANNED, RequestState.AWAITING_APPROVAL},
    "retry": {RequestState.FAILED},
}


@require_GET
def my_requests(request: HttpRequest) -> HttpResponse:
    requests_ = ProvisioningRequest.objects.for_user(request.user).select_related(
        "team", "environment", "requester"
    )[:200]
    return render(request, "provisioning/my_requests.html", {"requests": requests_})


@require_GET
def approvals(request: HttpRequest) -> HttpResponse:
    waiting = ProvisioningRequest.objects.awaiting_approval_by(request.user).select_related(
        "team", "environment", "requester"
    )
    return render(request, "provisioning/approvals.html", {"requests": waiting})


@require_POST
def resource_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Reconcile (re-apply the plan over drift) or decommission one resource, as a request;
    a decommission waits for a lead's approval where the policy says so."""
    resource = get_resource_for_user(request.user, pk)
    if action not in {"reconcile", "decommission"}:
        raise Http404("unknown action")
    why = (
        f"{resource.name} is part of {resource.component or 'its service'} itself: it goes only "
        "with the whole service, never on its own. Ask the platform team to retire the service."
        if action == "decommission" and resource.is_service_plumbing
        else f"Only members of team {resource.team.display_name} or a platform admin can "
        f"{action} {resource.name}."
    )
    access.require(request.user, f"resource.{action}", resource, why)
    if resource.state == ResourceState.PENDING:
        messages.info(
            request, f"{resource.name} is still being created: wait for its request to finish."
        )
        return redirect("provisioning:request_detail", resource.request_id)
    created = services.follow_up_request(request.user, resource, action)
    if created.needs_approval_reason:
        messages.info(
            request,
            f"Request #{created.pk} to {action} {resource.name} waits for approval: "
            f"{created.needs_approval_reason}.",
        )
    else:
        messages.success(request, f"Request #{created.pk}: {action} {resource.name}.")
    return redirect(created)


@require_GET
def terraform_export(request: HttpRequest, namespace: str, name: str) -> HttpResponse:
    """The `import` and `resource` blocks that let a team take its AWS resources into Terraform."""
    from catalog.models import Component
    from provisioning.terraform import terraform_for

    component = get_entity_or_404(Component.objects.all(), namespace, name)
    resources = ProvisionedResource.objects.for_user(request.user).filter(
        component=component, provider="aws", state__in=[ResourceState.ACTIVE, ResourceState.DRIFTED]
    )
    planned = [PlannedResource(r.provider, r.kind, r.name, r.tags, r.config) for r in resources]
    text = terraform_for(planned, {r.name: r.identifier for r in resources})
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{component.name}-aws.tf"'
    return response
