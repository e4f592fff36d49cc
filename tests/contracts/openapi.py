"""Check requests and replies of a contract server against a vendor's OpenAPI description
(the extracts in this folder): the operation exists, every query parameter is declared and
has the declared type, the JSON body matches the request schema, and the server's own reply
matches the response schema of its status (so the fakes cannot drift from the vendor)."""

import json
import re
from functools import cached_property
from pathlib import Path

from openapi_schema_validator import OAS30Validator

HERE = Path(__file__).resolve().parent


class Description:
    def __init__(self, filename: str, prefix: str = "") -> None:
        self.spec = json.loads((HERE / filename).read_text())
        self.prefix = prefix  # the servers[0] path the client puts in front ("/api")

    @cached_property
    def _routes(self) -> list[tuple[re.Pattern, str]]:
        return [
            (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"), template)
            for template in self.spec["paths"]
        ]

    def operation(self, method: str, path: str) -> tuple[str, dict] | None:
        local = path[len(self.prefix) :] if path.startswith(self.prefix) else path
        for pattern, template in self._routes:
            if pattern.match(local):
                op = self.spec["paths"][template].get(method.lower())
                return (template, op) if op else None
        return None

    def _resolve(self, node: dict) -> dict:
        while "$ref" in node:
            target = self.spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def _validate(self, schema: dict, value) -> list[str]:
        wrapped = {**schema, "components": self.spec["components"]}
        return [e.message for e in OAS30Validator(wrapped).iter_errors(value)]

    def request_problems(self, method: str, path: str, query: dict, body) -> list[str]:
        found = self.operation(method, path)
        if found is None:
            return [f"{method} {path} is not an operation of the description"]
        template, op = found
        params = [self._resolve(p) for p in op.get("parameters", [])]
        declared = {p["name"]: p for p in params if p.get("in") == "query"}
        problems = []
        for name, values in query.items():
            param = declared.get(name)
            if param is None:
                problems.append(f"{template}: query parameter {name!r} is not declared")
                continue
            problems += [
                f"{template}: {name}: {m}"
                for m in self._validate(param["schema"], _typed(param["schema"], values, self))
            ]
        content = (op.get("requestBody") or {}).get("content", {}).get("application/json")
        if content:
            problems += [f"{template} body: {m}" for m in self._validate(content["schema"], body)]
        elif body is not None:
            problems.append(f"{template}: takes no JSON body")
        return problems

    def response_problems(self, method: str, path: str, status: int, body) -> list[str]:
        found = self.operation(method, path)
        if found is None:
            return []
        template, op = found
        response = op.get("responses", {}).get(str(status))
        if response is None:
            return [f"{template}: status {status} is not a documented response"]
        content = self._resolve(response).get("content", {}).get("application/json")
        if not content or body is None:
            return []
        return [f"{template} reply {status}: {m}" for m in self._validate(content["schema"], body)]


def _typed(schema: dict, values: list[str], description: Description):
    """Query strings as the JSON values the schema describes."""
    schema = description._resolve(schema)
    kind = schema.get("type")
    if kind == "array":
        return [_scalar(description._resolve(schema.get("items", {})), v) for v in values]
    return _scalar(schema, values[-1])


def _scalar(schema: dict, value: str):
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean":
        return {"true": True, "false": False}.get(value, value)
    return value
