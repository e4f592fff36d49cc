"""JSON API: create a provisioning request and read its state (a write-scoped token or the
session; same validation as the form)."""

import json

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from idp_portal.openapi import (
    FIELD_ERRORS,
    INTEGER,
    NULLABLE_STRING,
    STRING,
    header,
    obj,
    operation,
)
from provisioning import services
from provisioning.golden_paths import api as golden_api
from provisioning.lookups import get_component_for_request, get_request_for_user
from provisioning.models import Environment, ProvisioningRequest
from provisioning.planning import PlanError
from provisioning.resource_types import RESOURCE_TYPES

app_name = "provisioning_api"


def _errors(errors: dict, status: int = 400) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=status)


def _parse(request: HttpRequest) -> dict | JsonResponse:
    # Bodies over MAX_REQUEST_BODY_BYTES never get here: RequestBodyLimitMiddleware answers 413.
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return _errors(
            {
                "body": [
                    'send JSON like {"type": "s3-bucket", "service": "…", '
                    '"environment": "dev", "parameters": {"purpose": "assets"}}'
                ]
            }
        )
    if not isinstance(body, dict):
        return _errors({"body": ["send a JSON object"]})
    return body


def _form_data(resource_type, body: dict) -> dict:
    """Defaults first (what the form would show), then what the caller sent."""
    form = resource_type.form()
    data = {name: field.initial for name, field in form.fields.items() if field.initial is not None}
    params = body.get("parameters") or {}
    data.update({k: v for k, v in params.items() if isinstance(k, str)})
    data.update(service=body.get("service"), environment=body.get("environment"))
    return {
        k: ("on" if v is True else v) for k, v in data.items() if v is not False and v is not None
    }


REQUEST_BODY = obj(
    {
        "type": {"type": "string", "enum": [*RESOURCE_TYPES, "service"]},
        "service": {**STRING, "description": "The catalog service (or the new service's name)."},
        "environment": STRING,
        "parameters": {"type": "object", "description": "The resource type's own fields."},
    },
    ("type", "service", "environment"),
)
CREATED = obj({"id": INTEGER, "state": STRING, "plan": {"type": "object"}}, ("id", "state", "plan"))
STEP = obj(
    {"name": STRING, "state": STRING, "attempts": INTEGER, "message": NULLABLE_STRING},
    ("name", "state"),
)
RESOURCE = obj(
    {"provider": STRING, "kind": STRING, "name": STRING, "tags": {"type": "object"}},
    ("provider", "kind", "name"),
)
REQUEST_STATE = obj(
    {
        "id": INTEGER,
        "type": STRING,
        "state": STRING,
        "steps": {"type": "array", "items": STEP},
        "resources": {"type": "array", "items": RESOURCE},
    },
    ("id", "type", "state", "steps", "resources"),
)


@operation(
    "post",
    "Submit a provisioning request (a resource, or a new service from a golden path)",
    description="Validated and planned at once; a worker applies it later, after approval "
    "where policy asks for one.",
    parameters=(
        header(
            "Idempotency-Key",
            {"type": "string", "maxLength": 100},
            "A repeated submit with the same key returns the first request.",
        ),
    ),
    request_body=REQUEST_BODY,
    responses={
        201: ("The request, queued or awaiting approval, with its plan.", CREATED),
        400: ("What to fix, per field.", FIELD_ERRORS),
        403: ("Not your team's service, or a read-only token.", {"type": "object"}),
        409: ("The name is taken.", FIELD_ERRORS),
    },
    tags=("provisioning",),
)
@require_POST
def create_request(request: HttpRequest) -> JsonResponse:
    body = _parse(request)
    if isinstance(body, JsonResponse):
        return body
    resource_type = (
        RESOURCE_TYPES.get(body.get("type")) if isinstance(body.get("type"), str) else None
    )
    if body.get("type") == "service":
        return golden_api.create_service_request(request, body)
    if resource_type is None:
        return _errors({"type": [f"use one of: {', '.join([*RESOURCE_TYPES, 'service'])}"]})
    if body.get("parameters") is not None and not isinstance(body.get("parameters"), dict):
        return _errors({"parameters": ["send parameters as a JSON object"]})
    form = resource_type.form(_form_data(resource_type, body))
    if not form.is_valid():
        return _errors({k: [str(m) for m in v] for k, v in form.errors.items()})
    try:
        component = get_component_for_request(request.user, form.cleaned_data["service"])
    except Http404:
        return _errors(
            {
                "service": [
                    f"no service named {form.cleaned_data['service']!r} in the catalog: "
                    "register it first, or check the spelling"
                ]
            }
        )
    except PermissionDenied as exc:
        return _errors({"service": [str(exc)]}, status=403)
    env = Environment.objects.filter(name=form.cleaned_data["environment"]).first()
    if env is None:
        names = ", ".join(Environment.objects.values_list("name", flat=True))
        return _errors({"environment": [f"use one of: {names}"]})
    key = request.headers.get("Idempotency-Key", "")[:100]
    try:
        created = services.submit_request(
            request.user, resource_type.slug, component, env, form.parameters(), key
        )
    except PlanError as exc:
        return _errors(exc.errors)
    except services.NameTaken as exc:
        return _errors({"name": [str(exc)]}, status=409)
    return JsonResponse(
        {"id": created.pk, "state": created.state, "plan": created.plan}, status=201
    )


@operation(
    "get",
    "A provisioning request's state, steps and resources",
    responses={
        200: ("The request.", REQUEST_STATE),
        403: (
            "Another team's request: only its members or a platform admin may read it.",
            {"type": "object"},
        ),
        404: ("No such request.", {"type": "object"}),
    },
    tags=("provisioning",),
)
@require_GET
def request_state(request: HttpRequest, pk: int) -> JsonResponse:
    req: ProvisioningRequest = get_request_for_user(request.user, pk)
    return JsonResponse(
        {
            "id": req.pk,
            "type": req.type,
            "state": req.state,
            "steps": [
                {"name": s.name, "state": s.state, "attempts": s.attempts, "message": s.message}
                for s in req.steps.all()
            ],
            "resources": [
                {"provider": r.provider, "kind": r.kind, "name": r.name, "tags": r.tags}
                for r in req.resources.all()
            ],
        }
    )


@operation(
    "get",
    "The published golden paths and the parameters they ask for",
    responses={200: ("The newest published version of each.", golden_api.GOLDEN_PATHS)},
    tags=("provisioning",),
)
@require_GET
def golden_paths(request: HttpRequest) -> JsonResponse:
    """The published golden paths (newest version of each) and the parameters they ask for."""
    return JsonResponse(golden_api.golden_paths_json())


urlpatterns = [
    path("golden-paths", golden_paths, name="golden_paths"),
    path("requests", create_request, name="request_create"),
    path("requests/<int:pk>", request_state, name="request_state"),
]
