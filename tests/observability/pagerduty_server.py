"""A loopback server that answers like PagerDuty's REST API v2, for contract tests.

Every request is checked against PagerDuty's published OpenAPI description (the extract in
tests/contracts/pagerduty-rest.json; source in SOURCES.md) and so is every reply this server
makes; a mismatch is recorded in `problems` and the test fails on it. Authentication is the
REST API's `Authorization: Token token=<key>` header; a wrong key gets 401 with PagerDuty's
error body. Objects live in memory, so a second run finds what the first one made.
"""

import itertools
from typing import Any

from tests.contract_server import Call, ContractServer, Reply
from tests.contracts.openapi import Description
from tests.contracts.tls import server_context

SPEC = Description("pagerduty-rest.json")
NOW = "2026-12-06T10:00:00Z"


class PagerDutyServer(ContractServer):
    def __init__(self, token: str = "pd-test-token") -> None:
        super().__init__()
        self.token = token
        self.problems: list[str] = []
        self._ids = itertools.count(1)
        self.users: list[dict] = []
        self.policies: list[dict] = []
        self.services: list[dict] = []
        self.oncalls: list[dict] = []

    def __enter__(self):
        server = super().__enter__()
        # The client library accepts https only: serve TLS with the loopback certificate.
        http = self._http
        http.socket = server_context().wrap_socket(http.socket, server_side=True)
        return server

    @property
    def url(self) -> str:
        return super().url.replace("http://", "https://")

    def error_body(self, status: int, message: str) -> Any:
        return {"error": {"message": message, "code": 2001 if status != 429 else 2020}}

    # --- state -----------------------------------------------------------------------------

    def new_id(self, prefix: str = "P") -> str:
        return f"{prefix}{next(self._ids):06d}"

    def add_user(self, name: str, email: str) -> dict:
        user = self._entity("user", self.new_id("PU"), name=name, email=email)
        self.users.append(user)
        return user

    def put_on_call(self, policy_id: str, user: dict, level: int, end: str | None) -> None:
        row = {
            "escalation_policy": self._ref("escalation_policy", policy_id),
            "user": self._ref("user", user["id"], user["name"]),
            "escalation_level": level,
            "start": NOW,
        }
        if end:  # the description types `end` as a string: a permanent on-call has none
            row["end"] = end
        self.oncalls.append(row)

    def _entity(self, kind: str, ident: str, **fields) -> dict:
        plural = {"escalation_policy": "escalation_policies"}.get(kind, f"{kind}s")
        return {
            "id": ident,
            "type": kind,
            "summary": fields.get("name", ident),
            "self": f"{self.url}/{plural}/{ident}",
            "html_url": f"https://acme.pagerduty.com/{plural}/{ident}",
            **fields,
        }

    def _ref(self, kind: str, ident: str, summary: str = "") -> dict:
        return {"id": ident, "type": f"{kind}_reference", "summary": summary or ident}

    # --- requests --------------------------------------------------------------------------

    def handle(self, call: Call) -> Reply:
        self.problems += SPEC.request_problems(call.method, call.path, call.query, call.body)
        if call.headers.get("authorization") != f"Token token={self.token}":
            reply = Reply(401, self.error_body(401, "Unauthorized"))
        else:
            reply = self._route(call)
        self.problems += SPEC.response_problems(call.method, call.path, reply.status, reply.body)
        return reply

    def _route(self, call: Call) -> Reply:
        parts = call.path.strip("/").split("/")
        key = (call.method, parts[0], len(parts))
        if key == ("GET", "abilities", 1):
            return Reply(200, {"abilities": ["teams", "read_only_users", "service_support_hours"]})
        if key == ("GET", "users", 1):
            return self._list("users", self.users, call, "email")
        if key == ("GET", "escalation_policies", 1):
            return self._list("escalation_policies", self.policies, call, "name")
        if key == ("POST", "escalation_policies", 1):
            return self._create_policy(call.body["escalation_policy"])
        if key == ("GET", "services", 1):
            return self._list("services", self.services, call, "name")
        if key == ("POST", "services", 1):
            return self._create_service(call.body["service"])
        if key == ("GET", "services", 2):
            return self._get_service(parts[1], call)
        if key == ("POST", "services", 3) and parts[2] == "integrations":
            return self._create_integration(parts[1], call.body["integration"])
        if key == ("GET", "services", 4) and parts[2] == "integrations":
            return self._get_integration(parts[1], parts[3])
        if key == ("GET", "oncalls", 1):
            return self._oncalls(call)
        return Reply(404, self.error_body(404, "Not Found"))

    def _list(self, name: str, rows: list[dict], call: Call, field: str) -> Reply:
        wanted = (call.query.get("query") or [""])[0].lower()
        found = [row for row in rows if wanted in row.get(field, "").lower()]
        limit = int((call.query.get("limit") or ["25"])[0])
        offset = int((call.query.get("offset") or ["0"])[0])
        page = [self._public(row) for row in found[offset : offset + limit]]
        body = {
            name: page,
            "limit": limit,
            "offset": offset,
            "more": offset + limit < len(found),
            "total": None,
        }
        return Reply(200, body)

    def _public(self, row: dict) -> dict:
        """Services list their integrations as references only (keys are not in lists)."""
        if row.get("type") != "service":
            return row
        return {**self._clean(row), "integrations": [i["ref"] for i in row["_integrations"]]}

    def _create_policy(self, body: dict) -> Reply:
        if any(p["name"].lower() == body["name"].lower() for p in self.policies):
            return Reply(400, self.error_body(400, "Name has already been taken"))
        rules = [
            {"id": self.new_id("PR"), **rule, "targets": rule["targets"]}
            for rule in body["escalation_rules"]
        ]
        policy = self._entity(
            "escalation_policy",
            self.new_id("PE"),
            name=body["name"],
            description=body.get("description", ""),
            num_loops=body.get("num_loops", 0),
            escalation_rules=rules,
            services=[],
            teams=[],
        )
        self.policies.append(policy)
        return Reply(201, {"escalation_policy": policy})

    def _create_service(self, body: dict) -> Reply:
        policy_id = body["escalation_policy"]["id"]
        if not any(p["id"] == policy_id for p in self.policies):
            return Reply(400, self.error_body(400, "Escalation policy not found"))
        service = self._entity(
            "service",
            self.new_id("PS"),
            name=body["name"],
            description=body.get("description", ""),
            status="active",
            created_at=NOW,
            escalation_policy=self._ref("escalation_policy", policy_id),
            alert_creation=body.get("alert_creation", "create_alerts_and_incidents"),
            teams=[],
            _integrations=[],
        )
        self.services.append(service)
        return Reply(201, {"service": self._clean(service)})

    def _service(self, ident: str) -> dict | None:
        return next((s for s in self.services if s["id"] == ident), None)

    def _get_service(self, ident: str, call: Call) -> Reply:
        service = self._service(ident)
        if service is None:
            return Reply(404, self.error_body(404, "Not Found"))
        body = self._clean(service)
        body["integrations"] = [i["ref"] for i in service["_integrations"]]
        return Reply(200, {"service": body})

    def _get_integration(self, ident: str, integration_id: str) -> Reply:
        service = self._service(ident) or {"_integrations": []}
        found = [i["full"] for i in service["_integrations"] if i["full"]["id"] == integration_id]
        if not found:
            return Reply(404, self.error_body(404, "Not Found"))
        return Reply(200, {"integration": found[0]})

    @staticmethod
    def _clean(service: dict) -> dict:
        return {k: v for k, v in service.items() if not k.startswith("_")}

    def _create_integration(self, ident: str, body: dict) -> Reply:
        service = self._service(ident)
        if service is None:
            return Reply(404, self.error_body(404, "Not Found"))
        integration_id = self.new_id("PI")
        full = {
            "id": integration_id,
            "type": body["type"],
            "summary": body.get("name", ""),
            "name": body.get("name", ""),
            "self": f"{self.url}/services/{ident}/integrations/{integration_id}",
            "html_url": f"https://acme.pagerduty.com/services/{ident}/integrations/{integration_id}",
            "service": self._ref("service", ident),
            "created_at": NOW,
            "integration_key": f"R0UT{integration_id}KEY0000000000000000",
        }
        ref = {
            "id": integration_id,
            "type": "events_api_v2_inbound_integration_reference",
            "summary": full["name"],
            "self": full["self"],
            "html_url": full["html_url"],
        }
        service["_integrations"].append({"full": full, "ref": ref})
        return Reply(201, {"integration": full})

    def _oncalls(self, call: Call) -> Reply:
        policies = set(call.query.get("escalation_policy_ids[]", []))
        rows = [o for o in self.oncalls if not policies or o["escalation_policy"]["id"] in policies]
        return Reply(
            200, {"oncalls": rows, "limit": 100, "offset": 0, "more": False, "total": None}
        )
