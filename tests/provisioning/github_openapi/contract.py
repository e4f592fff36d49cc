"""GitHub's published API description (an extract of @octokit/openapi), as a request checker and
a response builder for the GitHub contract server.

`Operations.match(method, path)` finds the described operation; `check_request` lists every way a
request breaks it (path and query parameters, JSON body schema); `sample(schema)` builds a value
with every required property, so the server's answers are shaped by the description, and
`check_response` proves it.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

EXTRACT = Path(__file__).parent / "api.github.com.extract.json"
BASE = "urn:github-openapi"


@dataclass
class Operation:
    method: str
    template: str
    pattern: re.Pattern
    spec: dict

    @property
    def pointer(self) -> str:
        return f"{BASE}#/paths/{_escape(self.template)}/{self.method.lower()}"


def _escape(path: str) -> str:
    return path.replace("~", "~0").replace("/", "~1")


class Description:
    """The extract, with validators that resolve its `$ref`s."""

    def __init__(self, path: Path = EXTRACT) -> None:
        self.doc = json.loads(path.read_text())
        resource = Resource.from_contents(self.doc, default_specification=DRAFT4)
        self.registry = Registry().with_resource(BASE, resource)
        self.operations = [
            Operation(method.upper(), template, _compile(template), spec)
            for template, methods in self.doc["paths"].items()
            for method, spec in methods.items()
        ]

    def match(self, method: str, path: str) -> tuple[Operation, dict] | None:
        for op in self.operations:
            found = op.pattern.fullmatch(path)
            if found and op.method == method:
                return op, found.groupdict()
        return None

    def resolve(self, node: dict) -> dict:
        while "$ref" in node:
            _, _, kind, name = node["$ref"].split("/", 3)
            node = self.doc["components"][kind][name]
        return node

    def errors(self, instance: Any, schema: dict) -> list[str]:
        validator = OAS30Validator(
            {**schema, "components": self.doc["components"]}
            if "$ref" not in schema
            else {"$ref": BASE + schema["$ref"]},
            registry=self.registry,
            format_checker=oas30_format_checker,
        )
        return [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}" for e in
                validator.iter_errors(instance)]  # fmt: skip

    def check_request(
        self, op: Operation, params: dict, query: dict[str, list[str]], body: Any
    ) -> list[str]:
        """Every way this request breaks the operation's description; [] when it is valid."""
        problems = []
        known = set()
        for parameter in map(self.resolve, op.spec.get("parameters", [])):
            name, where = parameter["name"], parameter["in"]
            known.add((where, name))
            if where == "path":
                value = _coerce(params[name], self.resolve(parameter["schema"]))
                problems += [f"path {name}: {e}" for e in
                             self.errors(value, parameter["schema"])]  # fmt: skip
            elif where == "query" and name in query:
                value = _coerce(query[name][-1], self.resolve(parameter["schema"]))
                problems += [f"query {name}: {e}" for e in
                             self.errors(value, parameter["schema"])]  # fmt: skip
        problems += [f"query {name}: not a parameter of {op.method} {op.template}"
                     for name in query if ("query", name) not in known]  # fmt: skip
        described = op.spec.get("requestBody")
        if described:
            schema = described["content"]["application/json"]["schema"]
            if body is None and described.get("required"):
                problems.append("the operation requires a JSON body")
            elif body is not None:
                problems += [f"body {e}" for e in self.errors(body, schema)]
        elif body is not None:
            problems.append(f"{op.method} {op.template} takes no body")
        return problems

    def response_schema(self, op: Operation, status: int) -> dict | None:
        described = op.spec["responses"].get(str(status))
        if described is None:
            return {"$ref": "#/components/schemas/basic-error"} if status >= 400 else None
        content = self.resolve(described).get("content") or {}
        media = content.get("application/json") or next(iter(content.values()), None)
        return media["schema"] if media else None

    def check_response(self, op: Operation, status: int, body: Any) -> list[str]:
        described = str(status) in op.spec["responses"] or status >= 400
        if not described:
            return [f"{status} is not a described answer of {op.method} {op.template}"]
        schema = self.response_schema(op, status)
        if schema is None:
            return [] if body is None else [f"{status} of {op.template} has no body"]
        return self.errors(body, schema)

    def sample(self, schema: dict) -> Any:
        """A value with every required property of `schema` (first enum value, typed blanks)."""
        schema = self.resolve(schema)
        for combined in ("allOf", "anyOf", "oneOf"):
            if combined in schema:
                parts = schema[combined] if combined == "allOf" else schema[combined][:1]
                merged: dict = {}
                for part in parts:
                    value = self.sample(part)
                    if not isinstance(value, dict):
                        return value
                    merged |= value
                return merged
        if "enum" in schema:
            return next((v for v in schema["enum"] if v is not None), None)
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            props = schema.get("properties", {})
            return {name: self.sample_property(props.get(name, {}))
                    for name in schema.get("required", [])}  # fmt: skip
        return _BLANKS.get(schema.get("format", ""), _BLANKS.get(kind))

    def sample_property(self, schema: dict) -> Any:
        resolved = self.resolve(schema)
        return None if resolved.get("nullable") else self.sample(schema)


_BLANKS: dict[str | None, Any] = {
    "string": "",
    "integer": 0,
    "number": 0,
    "boolean": False,
    "array": [],
    None: None,
    "date-time": "2025-01-01T00:00:00Z",
    "uri": "https://example.invalid/",
    "email": "portal@example.invalid",
}


def _compile(template: str) -> re.Pattern:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(pattern)


def _coerce(raw: str, schema: dict) -> Any:
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw
