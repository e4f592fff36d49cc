"""GitHub webhook payloads for the tests, built from @octokit/webhooks-schemas (the extract
beside this file): every required field filled from the schema, the test's values merged
over them, and the result validated against the event's schema, so the portal is tested with
payloads GitHub's published shapes allow."""

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMAS = json.loads((Path(__file__).parent / "schemas_extract.json").read_text())
DEFINITIONS = SCHEMAS["definitions"]
EXAMPLES = {"date-time": "2026-01-01T00:00:00Z", "uri": "https://github.com/acme", "email": "a@b.c"}


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = DEFINITIONS[node["$ref"].rsplit("/", 1)[-1]]
    return node


def minimal(node: dict) -> Any:
    """The smallest instance the schema allows, required fields filled (pure)."""
    node = _resolve(node)
    if "allOf" in node:
        merged: dict = {}
        for part in node["allOf"]:
            merged = merge(merged, minimal(part))
        return merged
    for key in ("oneOf", "anyOf"):
        if key in node:
            return minimal(node[key][0])
    if "enum" in node:
        return node["enum"][0]
    if "const" in node:
        return node["const"]
    kind = node.get("type", "object")
    kind = next((k for k in kind if k != "null"), "null") if isinstance(kind, list) else kind
    if kind == "object":
        props = node.get("properties", {})
        return {
            name: minimal(props.get(name, {"type": "string"})) for name in node.get("required", [])
        }
    return {
        "array": [],
        "string": EXAMPLES.get(node.get("format", ""), "x"),
        "integer": 1,
        "number": 1,
        "boolean": False,
        "null": None,
    }[kind]


def merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: merge(base.get(k), v) for k, v in over.items()}}
    return over


def payload(definition: str, **values: Any) -> dict:
    """A payload of `definition` (e.g. "workflow_run$completed") with `values` merged in,
    validated against the schema."""
    body = merge(minimal(DEFINITIONS[definition]), values)
    schema = {**DEFINITIONS[definition], "definitions": DEFINITIONS}
    jsonschema.Draft7Validator(schema).validate(body)
    return body


def repository(name: str) -> dict:
    return {"name": name, "full_name": f"acme/{name}"}


def signed(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
