"""Read-only JSON API under /api/catalog that speaks Backstage's catalog REST API.

Backstage's own `@backstage/catalog-client` works against it unchanged: point its discovery
API at http://<portal>/api/catalog. The API takes a personal access token (Bearer) or the
portal session; requests without either get a Backstage-shaped 401 error instead of the
sign-in page.

`POST /entities/by-refs`, `POST /entities/by-query` and `POST /entity-facets` are exempt from
CSRF checks: they are lookups that change nothing (a predicate or a list of references is too
long for a URL), and Backstage's client cannot send Django's CSRF token. Every other endpoint
is GET.
"""

import base64
import binascii
import json
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from catalog.backstage.api_schema import (
    BAD_INPUT,
    BY_REFS,
    BY_REFS_BODY,
    ENTITIES,
    ENTITY,
    FACETS,
    FACETS_BODY,
    FIELDS,
    FILTER,
    LIMIT,
    NOT_FOUND,
    OFFSET,
    PAGE,
    QUERY_BODY,
    STRINGS,
)
from catalog.backstage.descriptor_output import entity_to_descriptor, status_of
from catalog.backstage.entity_filters import FilterError, parse_filters
from catalog.backstage.entity_kinds import KINDS
from catalog.backstage.entity_predicates import validate as validate_predicate
from catalog.backstage.entity_query import (
    DEFAULT_ORDER,
    EntityQuery,
    Order,
    count,
    facets,
    kind_counts,
    load,
    load_by_refs,
    load_by_uid,
    load_rows,
    matching,
    page_keys,
)
from catalog.backstage.entity_relations import ref_match
from catalog.pagination import API_DEFAULT_PAGE_SIZE, API_MAX_PAGE_SIZE
from idp_portal.openapi import STRING, operation, query

app_name = "catalog_api"

# Backstage's backend answers GET /entities with everything and by-query with 200 items
# unless asked; here both pages default to API_DEFAULT_PAGE_SIZE and stop at API_MAX_PAGE_SIZE,
# and the next page is always reachable (Link header, nextCursor).
DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT = API_DEFAULT_PAGE_SIZE, API_MAX_PAGE_SIZE
MAX_REFS = 1000  # the client sends at most 1000 references per request
MAX_FACETS = 10


def _error(request: HttpRequest, status: int, name: str, message: str) -> JsonResponse:
    """An error in Backstage's shape, which its client turns into a readable exception."""
    body = {
        "error": {"name": name, "message": message},
        "request": {"method": request.method, "url": request.get_full_path()},
        "response": {"statusCode": status},
    }
    return JsonResponse(body, status=status)


def api_view(*methods: str):
    """Allow `methods`, answer 401 without a session, and 400 for unreadable parameters."""

    def decorate(view):
        @login_not_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                response = _error(
                    request,
                    405,
                    "MethodNotAllowedError",
                    f"{request.method} is not allowed here: use {', '.join(methods)}",
                )
                response["Allow"] = ", ".join(methods)
                return response
            if not request.user.is_authenticated:
                return _error(
                    request,
                    401,
                    "AuthenticationError",
                    "Sign in first: send Authorization: Bearer <token> (create one at "
                    "/accounts/tokens/) or the portal session cookie",
                )
            try:
                _refuse_nul(request, kwargs)
                return view(request, *args, **kwargs)
            except FilterError as exc:
                return _error(request, 400, "InputError", str(exc))

        return wrapper

    return decorate


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _refuse_nul(request: HttpRequest, kwargs: dict) -> None:
    """PostgreSQL text cannot hold NUL: a parameter with one is refused, not a server error."""
    values = [v for _, vs in request.GET.lists() for v in vs] + list(kwargs.values())
    if _has_nul(values):
        raise FilterError("Parameters may not contain NUL (\\u0000) characters")


def _int(request: HttpRequest, name: str, default: int | None = None) -> int | None:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise FilterError(f"Invalid {name} query parameter, expected a number") from None
    if value < 0:
        raise FilterError(f"Invalid {name} query parameter, expected zero or more")
    return value


def _list(request: HttpRequest, name: str) -> list[str]:
    """A parameter that may repeat and may hold comma-separated values."""
    return [
        item.strip() for raw in request.GET.getlist(name) for item in raw.split(",") if item.strip()
    ]


def select_fields(entity: dict, fields: list[str]) -> dict:
    """Only the listed dotted paths of an entity, as Backstage's `fields` parameter does."""
    if not fields:
        return entity
    selected: dict = {}
    for dotted in fields:
        source, target = entity, selected
        parts = dotted.split(".")
        for depth, part in enumerate(parts):
            if not isinstance(source, dict) or part not in source:
                break
            if depth == len(parts) - 1:
                target[part] = source[part]
            else:
                target = target.setdefault(part, {})
                source = source[part]
    return selected


def present(entity, fields: list[str] = ()) -> dict:
    """An entity as Backstage serves it: descriptor, relations and processing status."""
    descriptor = entity_to_descriptor(entity)
    if status := status_of(entity):
        descriptor["status"] = status
    return select_fields(descriptor, list(fields))


def _encode(state: dict) -> str:
    return base64.b64encode(json.dumps(state).encode()).decode()


def _decode(cursor: str, name: str) -> dict:
    try:
        state = json.loads(base64.b64decode(cursor, validate=True))
    except (binascii.Error, ValueError):
        raise FilterError(f"Malformed {name}, could not be parsed") from None
    if not isinstance(state, dict):
        raise FilterError(f"Malformed {name}, expected an object")
    return state


def _order(values: list[str], separator: str) -> tuple[Order, ...]:
    """`asc:metadata.name` (GET /entities) or `metadata.name,asc` (by-query) directives."""
    found = []
    for value in values:
        if separator == ":":
            direction, _, field = value.partition(":") if ":" in value else ("asc", "", value)
        else:
            field, _, direction = value.partition(",")
        direction = direction.strip().lower() or "asc"
        if direction not in ("asc", "desc") or not field.strip():
            raise FilterError(
                f"Invalid order directive '{value}': write e.g. "
                f"{'asc:metadata.name' if separator == ':' else 'metadata.name,asc'}"
            )
        found.append(Order(field.strip(), direction == "desc"))
    return tuple(found)


@operation(
    "get",
    "Entities matching a filter, a page at a time",
    description="The next page's URL is in the `Link` header (rel=next) when there is one.",
    parameters=(
        FILTER,
        FIELDS,
        query("order", STRINGS, "Order directives like `asc:metadata.name`."),
        LIMIT,
        OFFSET,
        query("after", STRING, "The cursor from the previous page's Link header."),
    ),
    responses={200: ("A page of entities.", ENTITIES), 400: BAD_INPUT},
    tags=("catalog",),
)
@api_view("GET")
def entities(request: HttpRequest) -> JsonResponse:
    """Entities matching `filter`, ordered, a page at a time (limit/offset, or the `after`
    cursor of the Link header's next page)."""
    limit, offset = _int(request, "limit", DEFAULT_QUERY_LIMIT), _int(request, "offset", 0)
    if after := request.GET.get("after"):
        state = _decode(after, "after cursor")
        limit, offset = state.get("limit", limit), state.get("offset", offset)
        if not all(isinstance(v, int) and v >= 0 for v in (limit, offset)):
            raise FilterError("Malformed after cursor, limit and offset must be numbers")
    limit = min(limit, MAX_QUERY_LIMIT)
    order = _order(request.GET.getlist("order"), ":") or DEFAULT_ORDER
    parts = matching(EntityQuery(filters=parse_filters(request.GET.getlist("filter"))))
    keys = page_keys(parts, order, offset, limit + 1)
    more = len(keys) > limit
    fields = _list(request, "fields")
    response = JsonResponse([present(e, fields) for e in load(keys[:limit])], safe=False)
    if more:
        query = request.GET.copy()
        query.pop("offset", None)
        query["after"] = _encode({"limit": limit, "offset": offset + limit})
        response["Link"] = f'<{request.path}?{query.urlencode()}>; rel="next"'
    return response


def _initial_state(request: HttpRequest) -> dict:
    text_fields = _list(request, "fullTextFilterFields")
    return {
        "filter": request.GET.getlist("filter"),
        "orderFields": _order_fields(_order(request.GET.getlist("orderField"), ",")),
        "fullTextFilter": {
            "term": request.GET.get("fullTextFilterTerm", "").strip(),
            "fields": text_fields,
        },
        "isPrevious": False,
        "offset": _int(request, "offset", 0),
        "skipTotalItems": request.GET.get("totalItems") == "exclude",
    }


def _order_fields(order: tuple[Order, ...]) -> list[dict]:
    # Backstage's queryEntities sorts by the first order field only.
    return [{"field": o.field, "order": "desc" if o.descending else "asc"} for o in order[:1]]


def _query_from(state: dict) -> EntityQuery:
    """The query a cursor (or a first request) stands for; GET and POST cursors both work."""
    try:
        order = tuple(Order(o["field"], o["order"] == "desc") for o in state["orderFields"])
        text = state["fullTextFilter"]
        if "query" in state:
            validate_predicate(state["query"])
            selection = {"predicate": state["query"]}
        else:
            selection = {"filters": parse_filters(list(state["filter"]))}
        return EntityQuery(
            **selection,
            order=order + DEFAULT_ORDER,
            text=str(text.get("term", "")),
            text_fields=tuple(str(f) for f in text.get("fields") or ()),
        )
    except (KeyError, TypeError, AttributeError):
        raise FilterError("Malformed cursor, it was not made by this catalog") from None


def _query_page(state: dict, limit: int, fields: list[str]) -> JsonResponse:
    """One by-query page: the entities, the exact total and the cursors around it.

    The cursor is base64 JSON holding the original filter (or predicate), order and search
    plus the offset of its page, so later pages need only `cursor` (and optionally `limit`,
    `fields`).
    """
    query = _query_from(state)
    offset = state.get("offset", 0)
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise FilterError("Malformed cursor, offset must be a number")
    parts = matching(query)
    total = state.get("totalItems")
    wants_total = total is None and not state.get("skipTotalItems")
    # Past the first page the per-kind counts also tell which kinds the page skips.
    counts = kind_counts(parts, query) if wants_total and offset > 0 else None
    keys = page_keys(parts, query.order, offset, limit + 1, counts, query.text)
    if counts is not None:
        total = sum(counts.values())
    elif wants_total:
        # A first page that holds every match is its own exact count.
        total = len(keys) if len(keys) <= limit else count(parts, query)
    total = total or 0
    page_info = {}
    if len(keys) > limit:
        page_info["nextCursor"] = _encode(state | {"offset": offset + limit, "totalItems": total})
    if offset > 0:
        previous = {"offset": max(0, offset - limit), "totalItems": total, "isPrevious": True}
        page_info["prevCursor"] = _encode(state | previous)
    items = [present(e, fields) for e in load(keys[:limit])]
    return JsonResponse({"items": items, "totalItems": total, "pageInfo": page_info})


def _json_body(request: HttpRequest, example: str) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise FilterError(f"The request body is not JSON: send an object like {example}") from None
    except RecursionError:
        raise FilterError("The request body is nested too deeply to read") from None
    if not isinstance(body, dict):
        raise FilterError(f"The request body must be a JSON object like {example}")
    try:
        if _has_nul(body):
            raise FilterError("The request body may not contain NUL (\\u0000) characters")
    except RecursionError:
        raise FilterError("The request body is nested too deeply to read") from None
    return body


def _body_strings(body: dict, name: str, example: str) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise FilterError(f"{name} must be a list of strings like {example}")
    return [item.strip() for item in value if item.strip()]


def _body_int(body: dict, name: str, default: int) -> int:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise FilterError(f"Invalid {name}, expected a whole number of zero or more")
    return value


def _body_order(body: dict) -> tuple[Order, ...]:
    """`orderBy` (the client's POST body) or `orderFields`: one {field, order} or a list."""
    value = body.get("orderBy", body.get("orderFields"))
    if value is None:
        return ()
    found = []
    for item in value if isinstance(value, list) else [value]:
        field = item.get("field") if isinstance(item, dict) else None
        direction = item.get("order", "asc") if isinstance(item, dict) else None
        if not isinstance(field, str) or not field.strip() or direction not in ("asc", "desc"):
            raise FilterError(
                'orderBy must be a list like [{"field": "metadata.name", "order": "asc"}]'
            )
        found.append(Order(field.strip(), direction == "desc"))
    return tuple(found)


def _body_text_filter(body: dict) -> dict:
    value = body.get("fullTextFilter") or {}
    term = value.get("term", "") if isinstance(value, dict) else None
    if not isinstance(term, str):
        raise FilterError(
            'fullTextFilter must be an object like {"term": "pay", "fields": ["metadata.name"]}'
        )
    fields = _body_strings(value, "fields", '["metadata.name", "metadata.title"]')
    return {"term": term.strip(), "fields": fields}


def _body_predicate(body: dict) -> dict:
    predicate = body.get("query")
    if predicate is None:
        return {}
    validate_predicate(predicate)
    return predicate


def _body_state(body: dict) -> dict:
    """A first POST by-query request as the state its cursors carry."""
    return {
        "query": _body_predicate(body),
        "orderFields": _order_fields(_body_order(body)),
        "fullTextFilter": _body_text_filter(body),
        "isPrevious": False,
        "offset": _body_int(body, "offset", 0),
        "skipTotalItems": body.get("totalItems") == "exclude",
    }


def _by_predicate(request: HttpRequest) -> JsonResponse:
    """POST by-query: like GET by-query, with the filter as a predicate in a JSON body."""
    body = _json_body(request, '{"query": {"kind": "component"}, "limit": 50}')
    limit = min(_body_int(body, "limit", DEFAULT_QUERY_LIMIT), MAX_QUERY_LIMIT)
    cursor = body.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise FilterError("cursor must be the nextCursor or prevCursor string of another page")
    state = _decode(cursor, "cursor") if cursor else _body_state(body)
    return _query_page(state, limit, _body_strings(body, "fields", '["metadata.name"]'))


# Reads with a JSON body: nothing to forge, and Backstage's client sends no CSRF token.
@operation(
    "get",
    "A page of entities with cursors and the total count",
    parameters=(
        FILTER,
        FIELDS,
        query("orderField", STRINGS, "Order like `metadata.name,asc`."),
        query("fullTextFilterTerm", STRING, "Text to search for."),
        query("fullTextFilterFields", STRINGS, "Fields the text is searched in."),
        LIMIT,
        OFFSET,
        query("cursor", STRING, "nextCursor or prevCursor of another page."),
        query("totalItems", {"enum": ["include", "exclude"]}, "`exclude` skips the count."),
    ),
    responses={200: ("A page of entities.", PAGE), 400: BAD_INPUT},
    tags=("catalog",),
)
@operation(
    "post",
    "A page of entities matching a predicate, with cursors and the total count",
    description=(
        "What `@backstage/catalog-client` sends when `queryEntities` is given a `query` "
        "predicate ($all, $any, $not, $exists, $in, $hasPrefix, $contains). Later pages send "
        "only `cursor`. A read: read-scoped tokens may call it."
    ),
    request_body=QUERY_BODY,
    responses={200: ("A page of entities.", PAGE), 400: BAD_INPUT},
    tags=("catalog",),
)
@csrf_exempt
@api_view("GET", "POST")
def entities_by_query(request: HttpRequest) -> JsonResponse:
    """A page of entities with cursors to the next and previous pages and the total count."""
    if request.method == "POST":
        return _by_predicate(request)
    limit = min(_int(request, "limit", DEFAULT_QUERY_LIMIT), MAX_QUERY_LIMIT)
    cursor = request.GET.get("cursor")
    state = _decode(cursor, "cursor") if cursor else _initial_state(request)
    return _query_page(state, limit, _list(request, "fields"))


@operation(
    "get",
    "One entity by kind, namespace and name",
    responses={200: ("The entity.", ENTITY), 404: NOT_FOUND},
    tags=("catalog",),
)
@api_view("GET")
def entity_by_name(request: HttpRequest, kind: str, namespace: str, name: str) -> JsonResponse:
    info = KINDS.get(kind.lower())
    condition = ref_match(kind.lower(), (f"{kind}:{namespace}/{name}",)) if info else None
    rows = load_rows(info.name, info.queryset().filter(condition)) if condition else []
    if not rows:
        return _error(
            request,
            404,
            "NotFoundError",
            f"No entity named '{name}' found, with kind '{kind}' in namespace '{namespace}'",
        )
    return JsonResponse(present(rows[0]))


@operation(
    "get",
    "One entity by uid",
    responses={200: ("The entity.", ENTITY), 404: NOT_FOUND},
    tags=("catalog",),
)
@api_view("GET")
def entity_by_uid(request: HttpRequest, uid: str) -> JsonResponse:
    entity = load_by_uid(uid)
    if entity is None:
        return _error(request, 404, "NotFoundError", f"No entity with uid {uid}")
    return JsonResponse(present(entity))


def _refs_body(request: HttpRequest) -> tuple[list[str], list[str]]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise FilterError('The request body is not JSON: send {"entityRefs": [...]}') from None
    if _has_nul(body):
        raise FilterError("The request body may not contain NUL (\\u0000) characters")
    refs = body.get("entityRefs") if isinstance(body, dict) else None
    if not isinstance(refs, list) or not all(isinstance(ref, str) for ref in refs):
        raise FilterError("entityRefs must be a list of references like 'component:default/x'")
    if len(refs) > MAX_REFS:
        raise FilterError(f"at most {MAX_REFS} entityRefs per request: send them in chunks")
    fields = body.get("fields") or []
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise FilterError("fields must be a list of paths like 'metadata.name'")
    return refs, fields


# A read-only lookup: nothing to forge, and Backstage's client sends no CSRF token.
@operation(
    "post",
    "The entity for each reference, or null, in the order asked",
    description="A read: read-scoped tokens may call it.",
    parameters=(FILTER,),
    request_body=BY_REFS_BODY,
    responses={200: ("One item per reference.", BY_REFS), 400: BAD_INPUT},
    tags=("catalog",),
)
@csrf_exempt
@api_view("POST")
def entities_by_refs(request: HttpRequest) -> JsonResponse:
    """The entity for each reference (or null), in the order asked."""
    refs, fields = _refs_body(request)
    rows = load_by_refs(refs)
    allowed = None
    if request.GET.getlist("filter"):
        allowed = _allowed(rows, parse_filters(request.GET.getlist("filter")))
    items = []
    for row in rows:
        keep = row is not None and (allowed is None or (_kind(row), row.pk) in allowed)
        items.append(present(row, fields) if keep else None)
    return JsonResponse({"items": items})


def _kind(row) -> str:
    return getattr(row, "KIND", "") or "user"


def _allowed(rows: list, filters) -> set[tuple[str, int]]:
    """Which of the found rows also match the filter, one query per kind."""
    found = {(_kind(row), row.pk) for row in rows if row is not None}
    allowed = set()
    for kind, qs in matching(EntityQuery(filters=filters)):
        pks = [pk for name, pk in found if name == kind.name]
        if pks:
            allowed |= {
                (kind.name, pk) for pk in qs.filter(pk__in=pks).values_list("pk", flat=True)
            }
    return allowed


def _facet_keys(keys: list[str]) -> list[str]:
    if not keys:
        raise FilterError("name at least one facet, e.g. ?facet=kind&facet=spec.type")
    if len(keys) > MAX_FACETS:
        raise FilterError(f"at most {MAX_FACETS} facet parameters per request: ask in batches")
    return keys


@operation(
    "get",
    "Counts of the values of up to 10 fields",
    parameters=(
        query(
            "facet",
            {**STRINGS, "minItems": 1, "maxItems": MAX_FACETS},
            f"Dotted field paths to count, 1 to {MAX_FACETS}.",
            required=True,
        ),
        FILTER,
    ),
    responses={200: ("The counts per facet.", FACETS), 400: BAD_INPUT},
    tags=("catalog",),
)
@operation(
    "post",
    "Counts of the values of up to 10 fields, among entities matching a predicate",
    description=(
        "What `@backstage/catalog-client` sends when `getEntityFacets` is given a `query` "
        "predicate. A read: read-scoped tokens may call it."
    ),
    request_body=FACETS_BODY,
    responses={200: ("The counts per facet.", FACETS), 400: BAD_INPUT},
    tags=("catalog",),
)
@csrf_exempt
@api_view("GET", "POST")
def entity_facets(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        return _facets_by_predicate(request)
    keys = _facet_keys(request.GET.getlist("facet"))
    filters = parse_filters(request.GET.getlist("filter"))
    return JsonResponse({"facets": facets(EntityQuery(filters=filters), keys)})


def _facets_by_predicate(request: HttpRequest) -> JsonResponse:
    body = _json_body(request, '{"facets": ["spec.type"], "query": {"kind": "component"}}')
    keys = _facet_keys(_body_strings(body, "facets", '["kind", "spec.type"]'))
    query = EntityQuery(predicate=_body_predicate(body))
    return JsonResponse({"facets": facets(query, keys)})


urlpatterns = [
    path("entities", entities, name="entities"),
    path("entities/by-query", entities_by_query, name="entities_by_query"),
    path("entities/by-refs", entities_by_refs, name="entities_by_refs"),
    path("entities/by-uid/<str:uid>", entity_by_uid, name="entity_by_uid"),
    path(
        "entities/by-name/<str:kind>/<str:namespace>/<str:name>",
        entity_by_name,
        name="entity_by_name",
    ),
    path("entity-facets", entity_facets, name="entity_facets"),
]
