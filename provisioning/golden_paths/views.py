"""Create a service from a golden path (choose → parameters → plan → create) and deploy it."""

import uuid

from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.models import Team
from idp_portal.htmx import is_partial, vary_on_htmx
from provisioning import services as provisioning
from provisioning.golden_paths import deployments, services
from provisioning.golden_paths.forms import DeployForm, NewServiceForm
from provisioning.lookups import get_origin_for_user, refuse_another_team, teams_for
from provisioning.models import Environment, ServiceOrigin
from provisioning.planning import PlanError

FORM_TEMPLATE = "provisioning/create_service_form.html"
# The plan shown carries the answers it was made from, signed; Create compares them with the
# answers it receives, so a plan for one name never creates another (or the old one).
PLAN_SALT = "provisioning.create_service.plan"
PLAN_MAX_AGE = 24 * 3600


@require_GET
def create_service(request: HttpRequest) -> HttpResponse:
    """Step 1: the golden paths, each saying what you get."""
    context = {"golden_paths": services.published_golden_paths(), "teams": teams_for(request.user)}
    return render(request, "provisioning/create_service.html", context)


def _form(request: HttpRequest, gp, teams: list[Team]) -> NewServiceForm:
    data = request.POST if request.method == "POST" else None
    initial = {
        "owner": teams[0].name if teams else "",
        "idempotency_key": uuid.uuid4().hex,
    }
    form = NewServiceForm(data, golden_path=gp, teams=teams, initial=initial)
    form.fields["owner"].error_messages["invalid_choice"] = (
        "pick one of your teams; to create a service for another team, ask its lead to add you"
    )
    return form


@require_http_methods(["GET", "POST"])
def create_service_form(request: HttpRequest, slug: str) -> HttpResponse:
    """Steps 2–4: parameters (name checked live), the plan, create."""
    gp = services.get_published(slug)
    if gp is None:
        raise Http404("no published golden path by that name")
    if request.method == "POST":
        refuse_another_team(request.user, request.POST.get("owner", ""))
    teams = teams_for(request.user)
    form = _form(request, gp, teams)
    environments = list(Environment.objects.all())
    deploy_to = services.deploy_environment(environments)
    context = {"gp": gp, "form": form, "teams": teams, "deploy_to": deploy_to}
    if request.method == "POST" and deploy_to is None:
        form.add_error(None, "no environments are set up yet: ask the platform team to add them")
    elif (
        request.method == "POST"
        and form.is_valid()
        and (response := _plan_or_create(request, gp, form, deploy_to, context))
    ):
        return response
    # A field's error belongs beside the field, which the plan region does not hold: with errors,
    # an HTMX "Show the plan" gets the whole page's content instead (fields marked, summary linked).
    plan_only = is_partial(request) and not form.errors
    response = render(request, FORM_TEMPLATE + ("#plan" if plan_only else ""), context)
    if is_partial(request) and not plan_only:
        response["HX-Retarget"] = response["HX-Reselect"] = "main"
        response["HX-Reswap"] = "outerHTML"
    return vary_on_htmx(response)


def _plan_or_create(request, gp, form: NewServiceForm, deploy_to, context: dict):
    data, team = form.cleaned_data, Team.objects.get(name=form.cleaned_data["owner"])
    args = (gp, data["name"], team, data["description"], form.values(), deploy_to)
    try:
        if request.POST.get("action") == "create":
            if not (stale := _stale_plan(request.POST.get("planned", ""), gp, form)):
                created = services.submit_new_service(
                    request.user, *args, idempotency_key=data.get("idempotency_key", "")
                )
                messages.success(
                    request,
                    f"Creating {data['name']}: this page shows each step as it happens.",
                )
                return redirect(created)
            context["stale"] = stale
        context["plan"] = services.plan_new_service(*args)
        planned = {"golden_path": f"{gp.slug}@{gp.version}", "inputs": form.planned_inputs()}
        context["planned"] = signing.dumps(planned, salt=PLAN_SALT)
    except PlanError as exc:
        for field, problems in exc.errors.items():
            form.add_error(field if field in form.fields else None, problems)
    except provisioning.NameTaken as exc:
        form.add_error("name", str(exc))
    return None


def _stale_plan(token: str, gp, form: NewServiceForm) -> str:
    """Why Create must not go ahead with these answers ("" when they are the plan's)."""
    try:
        planned = signing.loads(token, salt=PLAN_SALT, max_age=PLAN_MAX_AGE)
    except signing.BadSignature:
        return (
            "Nothing was created yet: read the plan first. It is below; check it, then press "
            f"Create {form.cleaned_data['name']}."
        )
    if planned.get("golden_path") != f"{gp.slug}@{gp.version}":
        return (
            f"Nothing was created: the platform team published {gp.name} v{gp.version} after "
            "your plan was shown. Below is the plan from the new version; check it, then press "
            f"Create {form.cleaned_data['name']}."
        )
    if changes := form.changes_since(planned.get("inputs") or {}):
        return (
            f"Nothing was created: you changed {', '.join(changes)} after the plan was shown. "
            "Below is the plan for what the form says now; check it, then press "
            f"Create {form.cleaned_data['name']}."
        )
    return ""


@require_GET
def check_service_name(request: HttpRequest) -> HttpResponse:
    """The live name check: every rule the name breaks, or that it is free."""
    name = request.GET.get("name", "").strip()
    owner = request.GET.get("owner", "")
    problems = services.name_problems(name, owner) if name else []
    context = {"checked_name": name, "name_problems": problems}
    return vary_on_htmx(render(request, FORM_TEMPLATE + "#name-check", context))


@require_POST
def deploy_service(request: HttpRequest, name: str) -> HttpResponse:
    """Deploy a tag to an environment (or promote one): a request, so approvals apply."""
    origin = get_origin_for_user(request.user, name, "service.deploy")
    env = Environment.objects.filter(name=request.POST.get("environment", "")).first()
    form = DeployForm(request.POST)
    if env is None or not form.is_valid():
        problems = ["pick an environment"] if env is None else form.errors.get("tag", [])
        messages.error(request, f"Nothing deployed: {' '.join(problems)}")
        return redirect(_service_url(origin))
    created = deployments.deploy(request.user, origin, env, form.cleaned_data["tag"])
    if created.needs_approval_reason:
        messages.info(
            request, f"Request #{created.pk} waits for approval: {created.needs_approval_reason}."
        )
    else:
        messages.success(request, f"Deploying {name}:{form.cleaned_data['tag']} to {env.name}.")
    return redirect(created)


def _service_url(origin: ServiceOrigin) -> str:
    if origin.component_id:
        return origin.component.get_absolute_url()
    return origin.request.get_absolute_url() if origin.request_id else "/"
