"""JSON API for golden paths: list them, and create a service (POST requests, type "service")."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse

from catalog import access
from catalog.models import Team
from idp_portal.openapi import STRING, obj
from provisioning import services as provisioning
from provisioning.golden_paths import services
from provisioning.golden_paths.forms import NewServiceForm
from provisioning.models import Environment
from provisioning.planning import PlanError

BUILT_IN_PARAMETERS = [
    {"name": "name", "label": "Service name", "type": "string", "required": True},
    {"name": "owner", "label": "Owner team (its slug)", "type": "string", "required": True},
    {"name": "description", "label": "What it does", "type": "string", "required": True},
]

GOLDEN_PATHS = obj(
    {
        "golden_paths": {
            "type": "array",
            "items": obj(
                {
                    "slug": STRING,
                    "name": STRING,
                    "version": {"type": "integer"},
                    "description": STRING,
                    "language": STRING,
                    "parameters": {"type": "array", "items": {"type": "object"}},
                },
                ("slug", "name", "version", "parameters"),
            ),
        }
    },
    ("golden_paths",),
)


def _errors(errors: dict, status: int = 400) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=status)


def golden_paths_json() -> dict:
    return {
        "golden_paths": [
            {
                "slug": gp.slug,
                "name": gp.name,
                "version": gp.version,
                "description": gp.description,
                "language": gp.language,
                "parameters": BUILT_IN_PARAMETERS + list(gp.parameters),
            }
            for gp in services.published_golden_paths()
        ]
    }


def _form_data(gp, body: dict, params: dict) -> dict:
    """Defaults first (what the wizard would show), then what the caller sent."""
    data = {s["name"]: s.get("default") for s in gp.parameters if s.get("default") is not None}
    data.update({k: v for k, v in params.items() if isinstance(k, str)})
    data["name"] = body.get("service")
    return {
        k: ("on" if v is True else v) for k, v in data.items() if v is not False and v is not None
    }


def create_service_request(request: HttpRequest, body: dict) -> JsonResponse:
    """POST /api/provisioning/requests with {"type": "service", "service", "environment",
    "parameters": {"golden_path", "owner", "description", ...}}."""
    params = body.get("parameters")
    if not isinstance(params, dict):
        return _errors(
            {"parameters": ['send parameters as a JSON object with "golden_path" and "owner"']}
        )
    gp = services.get_published(str(params.get("golden_path") or ""))
    if gp is None:
        slugs = ", ".join(g.slug for g in services.published_golden_paths()) or "none published yet"
        return _errors({"golden_path": [f"use one of: {slugs}"]})
    team = Team.objects.filter(namespace="default", name=str(params.get("owner") or "")).first()
    if team is None:
        return _errors({"owner": ["give the slug of your team, e.g. payments"]})
    try:
        access.require(
            request.user,
            "request.create",
            team,
            f"you are not in team {team.name}: use one of your teams",
        )
    except PermissionDenied as exc:
        return _errors({"owner": [str(exc)]}, 403)
    env = Environment.objects.filter(name=str(body.get("environment") or "staging")).first()
    if env is None:
        names = ", ".join(Environment.objects.values_list("name", flat=True))
        return _errors({"environment": [f"use one of: {names}"]})
    form = NewServiceForm(_form_data(gp, body, params), golden_path=gp, teams=[team])
    if not form.is_valid():
        return _errors(
            {("service" if k == "name" else k): [str(m) for m in v] for k, v in form.errors.items()}
        )
    data = form.cleaned_data
    try:
        created = services.submit_new_service(
            request.user,
            gp,
            data["name"],
            team,
            data["description"],
            form.values(),
            env,
            request.headers.get("Idempotency-Key", "")[:100],
        )
    except PlanError as exc:
        return _errors({("service" if k == "name" else k): v for k, v in exc.errors.items()})
    except provisioning.NameTaken as exc:
        return _errors({"service": [str(exc)]}, 409)
    return JsonResponse(
        {"id": created.pk, "state": created.state, "plan": created.plan}, status=201
    )
