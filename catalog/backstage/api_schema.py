"""The catalog API's OpenAPI pieces: entity shapes and the parameters its endpoints share."""

from idp_portal.openapi import INTEGER, PORTAL_ERROR, STRING, obj, query

STRINGS = {"type": "array", "items": STRING}
ENTITY = obj(
    {
        "apiVersion": STRING,
        "kind": STRING,
        "metadata": obj(
            {
                "name": STRING,
                "namespace": STRING,
                "uid": STRING,
                "etag": STRING,
                "title": STRING,
                "description": STRING,
                "tags": STRINGS,
                "annotations": {"type": "object", "additionalProperties": STRING},
                "links": {"type": "array", "items": {"type": "object"}},
            }
        ),
        "spec": {"type": "object"},
        "relations": {
            "type": "array",
            "items": obj({"type": STRING, "targetRef": STRING}, ("type", "targetRef")),
        },
        "status": {"type": "object"},
    },
    description="A Backstage entity; only the paths named in `fields` when it is given.",
)
ENTITIES = {"type": "array", "items": ENTITY}
FACETS = obj(
    {
        "facets": {
            "type": "object",
            "additionalProperties": {
                "type": "array",
                "items": obj({"value": STRING, "count": INTEGER}, ("value", "count")),
            },
        }
    },
    ("facets",),
)
PAGE = obj(
    {
        "items": ENTITIES,
        "totalItems": INTEGER,
        "pageInfo": obj({"nextCursor": STRING, "prevCursor": STRING}),
    },
    ("items", "totalItems", "pageInfo"),
)
BY_REFS_BODY = obj(
    {"entityRefs": {**STRINGS, "maxItems": 1000}, "fields": STRINGS},
    ("entityRefs",),
)
BY_REFS = obj({"items": {"type": "array", "items": {"anyOf": [ENTITY, {"type": "null"}]}}})

FILTER = query(
    "filter",
    STRINGS,
    "Conditions like `kind=component,spec.lifecycle=production` (ANDed within one parameter, "
    "ORed between parameters).",
)
FIELDS = query("fields", STRINGS, "Only these dotted paths of each entity, e.g. metadata.name.")
LIMIT = query(
    "limit", {"type": "integer", "minimum": 0}, "Page size: 50 unless given, at most 1000."
)
OFFSET = query("offset", {"type": "integer", "minimum": 0}, "Entities to skip.")

BAD_INPUT = ("A parameter could not be read; the message says which and why.", PORTAL_ERROR)
NOT_FOUND = ("No such entity.", PORTAL_ERROR)

PREDICATE = {
    "type": "object",
    "description": (
        'A filter predicate: `{"kind": "component", "spec.type": {"$in": ["service"]}}`, '
        "combined with `$all`, `$any`, `$not`; values may be `$exists`, `$in`, `$hasPrefix` "
        "or `$contains` operators."
    ),
}
ORDER_BY = obj({"field": STRING, "order": {"enum": ["asc", "desc"]}}, ("field",))
QUERY_BODY = obj(
    {
        "query": PREDICATE,
        "fields": STRINGS,
        "limit": {"type": "integer", "minimum": 0},
        "offset": {"type": "integer", "minimum": 0},
        "orderBy": {"type": "array", "items": ORDER_BY},
        "fullTextFilter": obj({"term": STRING, "fields": STRINGS}),
        "cursor": {**STRING, "description": "nextCursor or prevCursor of another page."},
        "totalItems": {"enum": ["include", "exclude"]},
    },
)
FACETS_BODY = obj(
    {"facets": {**STRINGS, "minItems": 1, "maxItems": 10}, "query": PREDICATE},
    ("facets",),
)
