"""The OpenAPI 3.1 description of the JSON API, built from the views' own declarations.

Each API view says what it takes and answers with `@operation(...)`; `build_schema()` walks
the URL resolver and describes every path under /api/, so the description cannot drift from
the routes: a route without a declaration is an error (`MissingDeclaration`), caught by the
test suite. Answers every operation may give (401 without credentials, 403 for a read-only
token on an unsafe method, 413 for a body over the limit) are added here once.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.views.decorators.http import require_GET

API_PREFIX = "api/"
SAFE_METHODS = frozenset({"get", "head", "options"})


class MissingDeclaration(Exception):
    """An /api/ route's view has no @operation: the description would silently omit it."""


@dataclass(frozen=True)
class Operation:
    """One method of one API path, as its view declares it."""

    summary: str
    responses: dict[int, tuple[str, dict | None]]
    parameters: tuple[dict, ...] = ()
    request_body: dict | None = None
    description: str = ""
    tags: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


def operation(method: str, summary: str, *, responses: dict, **details) -> Callable:
    """Declare `method` of the decorated view; stack one per method the view answers."""

    def decorate(view):
        declared = dict(getattr(view, "openapi_operations", {}))
        declared[method.lower()] = Operation(summary, responses, **details)
        view.openapi_operations = declared
        return view

    return decorate


# --- helpers for declarations ------------------------------------------------------------------
def query(name: str, schema: dict, description: str, *, required: bool = False) -> dict:
    parameter = {"name": name, "in": "query", "schema": schema, "description": description}
    if required:
        parameter["required"] = True
    if schema.get("type") == "array":
        parameter |= {"style": "form", "explode": True}
    return parameter


def header(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "header", "schema": schema, "description": description}


def obj(properties: dict, required: tuple[str, ...] = (), **rest) -> dict:
    schema = {"type": "object", "properties": properties, **rest}
    if required:
        schema["required"] = list(required)
    return schema


STRING, INTEGER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
NULLABLE_STRING = {"type": ["string", "null"]}
FIELD_ERRORS = obj(
    {"errors": {"type": "object", "additionalProperties": {"type": "array", "items": STRING}}},
    ("errors",),
    description="What to fix, per field: each message says what to send instead.",
)
ERROR_DETAIL = obj({"name": STRING, "message": STRING}, ("name", "message"))
PORTAL_ERROR = obj(
    {"error": ERROR_DETAIL, "request": {"type": "object"}, "response": {"type": "object"}},
    ("error",),
    description="An error in the shape of Backstage's: `error.message` says what to do.",
)
UNAUTHORIZED = obj(
    {"error": {"anyOf": [ERROR_DETAIL, STRING]}},
    ("error",),
    description="Not signed in, or the token is unknown, expired or revoked.",
)


# --- building the description ------------------------------------------------------------------
def _routes(resolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    """(route, pattern) for every URL pattern whose route starts with API_PREFIX."""
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern).lstrip("^").rstrip("$")
        if not (route.startswith(API_PREFIX) or API_PREFIX.startswith(route)):
            continue
        if isinstance(entry, URLResolver):
            yield from _routes(entry, route)
        elif route.startswith(API_PREFIX):
            yield route, entry


def _path_parameters(pattern: URLPattern) -> list[dict]:
    converters = getattr(pattern.pattern, "converters", {})
    parameters = []
    for name, converter in converters.items():
        schema = (
            {"type": "integer", "minimum": 0}
            if isinstance(converter, IntConverter)
            else {"type": "string", "pattern": "^[^/]+$", "minLength": 1}
        )
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def _content(schema: dict | None) -> dict:
    return {} if schema is None else {"content": {"application/json": {"schema": schema}}}


def _responses(method: str, op: Operation) -> dict:
    common: dict[int, tuple[str, dict | None]] = {
        401: ("Sign in first: send a token or the session cookie.", UNAUTHORIZED)
    }
    if method not in SAFE_METHODS:
        common[403] = ("Not allowed (e.g. a read-only token on a write).", PORTAL_ERROR)
    if op.request_body is not None:
        kib = settings.MAX_REQUEST_BODY_BYTES // 1024
        common[413] = (f"The body is over {kib} KiB.", PORTAL_ERROR)
    merged = common | op.responses
    return {
        str(status): {"description": text, **_content(schema)}
        for status, (text, schema) in sorted(merged.items())
    }


def _describe(method: str, op: Operation, path_parameters: list[dict], operation_id: str) -> dict:
    described = {
        "operationId": operation_id,
        "summary": op.summary,
        "parameters": path_parameters + list(op.parameters),
        "responses": _responses(method, op),
        **op.extra,
    }
    if op.description:
        described["description"] = op.description
    if op.tags:
        described["tags"] = list(op.tags)
    if op.request_body is not None:
        described["requestBody"] = {"required": True, **_content(op.request_body)}
    return described


def paths(resolver=None) -> dict:
    """The `paths` object; MissingDeclaration names the first /api/ route without one."""
    found: dict = {}
    for route, pattern in _routes(resolver or get_resolver()):
        declared = getattr(pattern.callback, "openapi_operations", None)
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        if not declared:
            raise MissingDeclaration(
                f"{path} ({pattern.name or pattern.callback.__name__}) has no OpenAPI "
                "declaration: decorate its view with idp_portal.openapi.operation(...)"
            )
        parameters = _path_parameters(pattern)
        found[path] = {
            method: _describe(method, op, parameters, f"{method}_{pattern.name or route}")
            for method, op in declared.items()
        }
    return found


def build_schema(server_url: str = "/") -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Platform portal API",
            "version": "1",
            "description": (
                "The portal's JSON API. Authenticate with a personal access token "
                "(`Authorization: Bearer <token>`, created at /accounts/tokens/) or the browser "
                "session. Lists answer 50 items unless asked and at most 1000; request bodies "
                f"are at most {settings.MAX_REQUEST_BODY_BYTES // 1024} KiB."
            ),
        },
        "servers": [{"url": server_url}],
        "paths": paths(),
        "components": {
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal access token from /accounts/tokens/ "
                    "(read scope: GET only; write scope: also POST).",
                },
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": settings.SESSION_COOKIE_NAME,
                    "description": "The browser session; unsafe methods also need the "
                    "X-CSRFToken header.",
                },
            }
        },
        "security": [{"bearerToken": []}, {"sessionCookie": []}],
    }


@operation(
    "get",
    "This description of the API (OpenAPI 3.1)",
    responses={200: ("The OpenAPI description.", obj({"openapi": STRING}, ("openapi", "paths")))},
    tags=("meta",),
)
@require_GET
def schema_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(build_schema(request.build_absolute_uri("/").rstrip("/") or "/"))
