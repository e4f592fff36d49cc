"""A loopback server that answers like Argo CD's API for the operations the portal calls.

Every request is checked against the operations extracted from Argo CD's published
`assets/swagger.json` (tests/provisioning/argocd/swagger_extract.json, made by
extract_swagger.py; source and licence in SOURCES.md): the path and method must be one of
them, query parameters must be ones the operation declares, a body must validate against the
operation's body schema. Every answer is validated against the operation's response schema
before it is sent, so the portal is tested against shapes Argo CD documents.
"""

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema

from tests.contract_server import Call, ContractServer, Reply

SPEC = json.loads((Path(__file__).parent / "argocd" / "swagger_extract.json").read_text())
TIMESTAMP = "2026-01-01T00:00:00Z"


def _route(path_template: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\{[^}]+\}", r"(?P<name>[^/]+)", path_template) + "$")


ROUTES = [(_route(p), p) for p in SPEC["paths"]]


def schema(fragment: dict) -> dict:
    """A swagger schema fragment made self-contained for jsonschema (Draft 4, as Swagger 2.0)."""
    return {**fragment, "definitions": SPEC["definitions"]}


def check(instance: Any, fragment: dict) -> str:
    """ "" when `instance` fits `fragment`, else the first error in words."""
    validator = jsonschema.Draft4Validator(schema(fragment))
    error = next(iter(validator.iter_errors(instance)), None)
    return "" if error is None else f"{'/'.join(map(str, error.absolute_path))}: {error.message}"


class ArgoCDServer(ContractServer):
    """Applications kept in memory by name; a bearer token; `sync` starts an operation that
    `finish_sync` completes, as Argo CD's controller would."""

    def __init__(self, token: str = "argocd-test-token") -> None:
        super().__init__()
        self.token = token
        self.apps: dict[str, dict] = {}
        self.violations: list[str] = []

    def error_body(self, status: int, message: str) -> Any:
        return {"error": message, "code": 2, "message": message}

    def put_app(
        self,
        service: str,
        environment: str,
        *,
        sync: str = "Synced",
        health: str = "Healthy",
        revision: str = "a" * 40,
        message: str = "",
        phase: str = "Succeeded",
    ) -> dict:
        """An Application as the portal writes it (golden_paths/argo.py), with a status."""
        name = f"{service}-{environment}"
        labels = {"app.kubernetes.io/name": service, "environment": environment}
        self.apps[name] = {
            "metadata": {"name": name, "namespace": "argocd", "labels": labels},
            "spec": {
                "project": "default",
                "destination": {"namespace": f"{service}-{environment}"},
                "source": {"repoURL": "http://git/gitops.git", "targetRevision": "main"},
            },
            "status": {
                "sync": {"status": sync, "revision": revision},
                "health": {"status": health, **({"message": message} if message else {})},
                "operationState": {
                    "phase": phase,
                    "message": message,
                    "startedAt": TIMESTAMP,
                    "finishedAt": TIMESTAMP,
                },
                "history": [{"id": 1, "revision": revision, "deployedAt": TIMESTAMP}],
                "reconciledAt": TIMESTAMP,
            },
        }
        return self.apps[name]

    def handle(self, call: Call) -> Reply:
        operation, path_template, name = self._operation(call)
        if operation is None:
            return Reply(404, self.error_body(404, "Not Found"))
        problem = self._check_request(call, operation)
        if problem:
            self.violations.append(f"{call}: {problem}")
            return Reply(400, self.error_body(400, problem))
        if call.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(
                401, {"error": "invalid session", "code": 16, "message": "invalid session"}
            )
        status, body = self._answer(call, path_template, name)
        if status == 200:
            fragment = operation["responses"]["200"]["schema"]
            problem = check(body, fragment)
            assert not problem, f"the contract server's answer breaks the swagger: {problem}"
        return Reply(status, body)

    def _operation(self, call: Call) -> tuple[dict | None, str, str]:
        for pattern, template in ROUTES:
            match = pattern.match(call.path)
            operation = SPEC["paths"][template].get(call.method.lower())
            if match and operation:
                return operation, template, match.groupdict().get("name", "")
        return None, "", ""

    def _check_request(self, call: Call, operation: dict) -> str:
        params = operation.get("parameters", [])
        declared = {p["name"] for p in params if p["in"] == "query"}
        unknown = set(call.query) - declared
        if unknown:
            return f"query parameters not in the swagger: {sorted(unknown)}"
        body_param = next((p for p in params if p["in"] == "body"), None)
        if body_param is None:
            return "a body where the operation takes none" if call.body is not None else ""
        if call.body is None and body_param.get("required"):
            return "the operation requires a body"
        if call.headers.get("content-type", "").split(";")[0] != "application/json":
            return "the body must be application/json"
        return check(call.body, body_param["schema"])

    def _answer(self, call: Call, template: str, name: str) -> tuple[int, Any]:
        if template == "/api/version":
            return 200, {"Version": "v3.6.0+37ee009", "GoVersion": "go1.24.6"}
        if template == "/api/v1/applications":
            return 200, {"items": self._select(call.query.get("selector", [""])[0]), "metadata": {}}
        app = self.apps.get(name)
        if app is None:
            message = f'applications.argoproj.io "{name}" not found'
            return 404, {"error": message, "code": 5, "message": message}
        if template.endswith("/sync"):
            app["status"]["operationState"] = {"phase": "Running", "startedAt": TIMESTAMP}
            app["operation"] = {"sync": {"prune": call.body.get("prune", False)}}
        return 200, copy.deepcopy(app)

    def _select(self, selector: str) -> list[dict]:
        """Equality selectors joined by commas, as Kubernetes label selectors."""
        wanted = dict(term.split("=", 1) for term in selector.split(",") if "=" in term)
        return [
            copy.deepcopy(app)
            for app in self.apps.values()
            if all(app["metadata"]["labels"].get(k) == v for k, v in wanted.items())
        ]

    def sync_calls(self) -> list[str]:
        return [c.path for c in self.calls if c.method == "POST"]
