"""Loopback HTTP servers that answer like the Kubernetes API server and Vault, for contract tests.

Each server
- checks every call against the API reference (method, path, JSON body, content type) and
  refuses what the real server refuses, with the real status code and error body;
- keeps an in-memory store keyed by path, so a second `ensure` sees what the first one made;
- records every request in order (`calls`, `lines()`), so a test can assert the exact sequence;
- can be told to fail or stall the next matching requests (`fail`), to test error mapping.

Shapes follow the Kubernetes API reference (kubernetes.io/docs/reference/kubernetes-api/:
Namespace, ResourceQuota, LimitRange, RoleBinding, NetworkPolicy, Status) and API conventions
(HTTP status codes, AlreadyExists/Conflict/Invalid reasons), and the Vault API docs
(developer.hashicorp.com/vault/api-docs: /sys/mounts, /sys/policies/acl, auth/kubernetes,
secret/kv/kv-v2) with Vault's source for the error texts ("No secret engine mount at",
"check-and-set parameter did not match the current version", empty {"errors": []} on 404).
"""

import copy
import json
import re
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

TIMESTAMP = "2025-01-01T00:00:00Z"


@dataclass
class Call:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    """Answer the next `times` requests matching method and path (a trailing * is a prefix)."""

    method: str
    path: str
    status: int | None
    body: Any
    times: int
    delay: float

    def matches(self, call: Call) -> bool:
        path = call.path
        same_path = (
            path.startswith(self.path[:-1]) if self.path.endswith("*") else path == self.path
        )
        return self.times > 0 and call.method == self.method and same_path


class ContractServer:
    """A threaded HTTP server on 127.0.0.1 (a free port) that records and answers calls."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._faults: list[Fault] = []
        self._lock = threading.RLock()
        self._http: ThreadingHTTPServer | None = None

    def __enter__(self) -> Self:
        handler = type("Handler", (_Handler,), {"contract": self})
        http = self._http = _QuietServer(("127.0.0.1", 0), handler)
        # A short poll interval: shutdown() waits for one, at the end of every test.
        threading.Thread(target=http.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._http is not None
        self._http.shutdown()
        self._http.server_close()

    @property
    def url(self) -> str:
        assert self._http is not None
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def lines(self) -> list[str]:
        """Every request so far as "METHOD /path"."""
        return [str(call) for call in self.calls]

    def bodies(self, method: str, path: str) -> list[Any]:
        return [c.body for c in self.calls if c.method == method and c.path == path]

    def fail(
        self,
        method: str,
        path: str,
        status: int | None,
        body: Any = None,
        *,
        times: int = 1,
        delay: float = 0.0,
        message: str = "injected failure",
    ) -> None:
        """Make the next `times` matching requests wait `delay` seconds, then answer `status`
        with `body` (the server's usual error body when None); status None answers normally."""
        body = self.error_body(status, message) if body is None and status else body
        self._faults.append(Fault(method, path, status, body, times, delay))

    def error_body(self, status: int, message: str) -> Any:
        raise NotImplementedError

    def handle(self, call: Call) -> Reply:
        raise NotImplementedError

    def respond(self, call: Call) -> Reply:
        with self._lock:
            self.calls.append(call)
            fault = next((f for f in self._faults if f.matches(call)), None)
            if fault:
                fault.times -= 1
        if fault:
            time.sleep(fault.delay)
            if fault.status:
                return Reply(fault.status, copy.deepcopy(fault.body))
        with self._lock:
            try:
                return self.handle(call)
            except Exception as error:  # a bug in this server, not in the code under test
                traceback.print_exc()
                return Reply(500, {"message": f"contract server bug: {error!r}"})


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout test) breaks the pipe; that is expected."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, Nagle and the client's delayed ACK
    # add 40 ms to every response.
    disable_nagle_algorithm = True
    contract: ContractServer

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            reply = Reply(400, {"message": "the request body is not JSON"})
        else:
            call = Call(self.command, unquote(parts.path), parse_qs(parts.query), body, headers)
            reply = self.contract.respond(call)
        data = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        for key, value in ({"Content-Type": "application/json"} | reply.headers).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


# --- Kubernetes ------------------------------------------------------------------------------

RBAC = "rbac.authorization.k8s.io"
# plural → (API group, kind) of the namespaced kinds the portal manages
NAMESPACED = {
    "resourcequotas": ("", "ResourceQuota"),
    "limitranges": ("", "LimitRange"),
    "rolebindings": (RBAC, "RoleBinding"),
    "networkpolicies": ("networking.k8s.io", "NetworkPolicy"),
    # read by the rollout status; Argo CD and the kubelet make them, tests `put` them
    "deployments": ("apps", "Deployment"),
    "pods": ("", "Pod"),
}
K8S_ROUTE = re.compile(
    r"^(?:/api/v1|/apis/(?P<group>[a-z0-9.]+)/v1)/namespaces"
    r"(?:/(?P<namespace>[^/]+)(?:/(?P<plural>[a-z]+)(?:/(?P<name>[^/]+))?)?)?$"
)
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}
MERGE_PATCHES = {"application/merge-patch+json", "application/strategic-merge-patch+json"}


class KubernetesError(Exception):
    def __init__(self, code: int, message: str, reason: str = "", details: dict | None = None):
        super().__init__(message)
        self.status = status_object(code, message, reason or REASONS.get(code, ""), details)


def status_object(code: int, message: str, reason: str, details: dict | None = None) -> dict:
    """A metav1.Status, as the API server answers every error."""
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure"}
    body |= {"message": message, "reason": reason, "code": code}
    return body | ({"details": details} if details else {})


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (what strategic merge does for maps such as labels)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@dataclass(frozen=True)
class Ref:
    """Where a call points: a namespace, or an object (or collection) inside one."""

    plural: str  # "namespaces" or a key of NAMESPACED
    namespace: str  # the namespace the object is in ("" for namespaces themselves)
    name: str  # "" for a collection

    @property
    def group(self) -> str:
        return NAMESPACED[self.plural][0] if self.namespace else ""

    @property
    def kind(self) -> str:
        return NAMESPACED[self.plural][1] if self.namespace else "Namespace"

    @property
    def resource(self) -> str:
        """As in API error messages: `rolebindings.rbac.authorization.k8s.io`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def key(self) -> str:
        base = f"/apis/{self.group}/v1" if self.group else "/api/v1"
        inner = f"/{self.namespace}/{self.plural}" if self.namespace else ""
        return f"{base}/namespaces{inner}/{self.name}"

    def details(self) -> dict:
        return {"name": self.name, "kind": self.plural} | (
            {"group": self.group} if self.group else {}
        )

    def not_found(self) -> KubernetesError:
        return KubernetesError(
            404, f'{self.resource} "{self.name}" not found', details=self.details()
        )

    def invalid(self, field_path: str, value: Any, detail: str) -> KubernetesError:
        message = f"{field_path}: Invalid value: {json.dumps(value)}: {detail}"
        title = f"{self.kind}.{self.group}" if self.group else self.kind
        cause = {"reason": "FieldValueInvalid", "message": message, "field": field_path}
        details = self.details() | {"kind": self.kind, "causes": [cause]}
        return KubernetesError(422, f'{title} "{self.name}" is invalid: {message}', details=details)


# GET /version (Kubernetes API reference: version.Info), read by the integrations page's test.
VERSION_INFO = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.2",
    "gitCommit": "5864a4677267e6adeae276ad85882a8714d69d9d",
    "gitTreeState": "clean",
    "buildDate": "2024-10-22T20:28:14Z",
    "goVersion": "go1.22.8",
    "compiler": "gc",
    "platform": "linux/amd64",
}


class KubernetesApiServer(ContractServer):
    """core/v1 namespaces, resourcequotas, limitranges; rbac/v1 rolebindings; networking/v1
    networkpolicies, with a bearer token. Deleting a namespace removes it and what it holds
    at once, unless `finalize_namespaces` is False (it then stays Terminating)."""

    def __init__(self, token: str = "portal-test-token") -> None:
        super().__init__()
        self.token = token
        self.objects: dict[str, dict] = {}
        self.finalize_namespaces = True
        self._version = 0

    def error_body(self, status: int, message: str) -> Any:
        return status_object(status, message, REASONS.get(status, ""))

    def get(self, key: str) -> dict | None:
        return copy.deepcopy(self.objects.get(key))

    def put(self, key: str, obj: dict) -> None:
        """Store an object directly, as if someone else made it (no checks, no call recorded)."""
        self.objects[key] = copy.deepcopy(obj)

    def handle(self, call: Call) -> Reply:
        try:
            self._authenticate(call)
            if call.method == "GET" and call.path.rstrip("/") == "/version":
                return Reply(200, VERSION_INFO)
            ref = self._route(call)
            status, body = self._dispatch(call, ref)
        except KubernetesError as error:
            return Reply(error.status["code"], error.status)
        return Reply(status, body)

    def _authenticate(self, call: Call) -> None:
        if call.headers.get("authorization") != f"Bearer {self.token}":
            raise KubernetesError(401, "Unauthorized")

    def _route(self, call: Call) -> Ref:
        match = K8S_ROUTE.match(call.path)
        if not match:
            raise KubernetesError(404, "the server could not find the requested resource")
        group, namespace, plural, name = match.group("group", "namespace", "plural", "name")
        if plural is None:
            if group:
                raise KubernetesError(404, "the server could not find the requested resource")
            return Ref("namespaces", "", namespace or "")
        if plural not in NAMESPACED or NAMESPACED[plural][0] != (group or ""):
            raise KubernetesError(404, "the server could not find the requested resource")
        return Ref(plural, namespace, name or "")

    def _dispatch(self, call: Call, ref: Ref) -> tuple[int, Any]:
        routes = {
            ("POST", True): self._create,
            ("GET", False): self._read,
            ("GET", True): self._list,
            ("PUT", False): self._replace,
            ("PATCH", False): self._patch,
            ("DELETE", False): self._delete,
        }
        collection = ref.name == ""
        action = routes.get((call.method, collection))
        if action is None:
            raise KubernetesError(
                405, "the server does not allow this method on the requested resource"
            )
        return action(call, ref)

    # --- verbs ------------------------------------------------------------------------------

    def _create(self, call: Call, ref: Ref) -> tuple[int, dict]:
        self._json_content(call)
        body = call.body if isinstance(call.body, dict) else {}
        ref = Ref(ref.plural, ref.namespace, (body.get("metadata") or {}).get("name", ""))
        self._validate(ref, body)
        if ref.namespace:
            self._writable_namespace(ref)
        if ref.key in self.objects:
            message = f'{ref.resource} "{ref.name}" already exists'
            raise KubernetesError(409, message, "AlreadyExists", ref.details())
        self.objects[ref.key] = self._stored(ref, body, None)
        return 201, self.get(ref.key)

    def _read(self, call: Call, ref: Ref) -> tuple[int, dict]:
        if ref.key not in self.objects:
            raise ref.not_found()
        return 200, self.get(ref.key)

    def _list(self, call: Call, ref: Ref) -> tuple[int, dict]:
        """A namespaced collection, filtered by an equality-based `labelSelector`."""
        if not ref.namespace:
            raise KubernetesError(405, "listing namespaces is not part of this contract")
        wanted = {}
        for term in filter(None, (call.query.get("labelSelector") or [""])[0].split(",")):
            key, sep, value = term.partition("=")
            if not sep or "!" in key:
                raise KubernetesError(400, f"unable to parse requirement: {term!r}")
            wanted[key.strip()] = value.lstrip("=").strip()
        prefix = ref.key  # ends with "/" for a collection
        items = [
            self.get(key)
            for key in sorted(self.objects)
            if key.startswith(prefix)
            and "/" not in key[len(prefix) :]
            and wanted.items() <= (self.objects[key]["metadata"].get("labels") or {}).items()
        ]
        version = "v1" if not ref.group else f"{ref.group}/v1"
        return 200, {
            "apiVersion": version,
            "kind": f"{ref.kind}List",
            "metadata": {"resourceVersion": str(self._version)},
            "items": items,
        }

    def _replace(self, call: Call, ref: Ref) -> tuple[int, dict]:
        self._json_content(call)
        current = self.objects.get(ref.key)
        if current is None:
            raise ref.not_found()
        body = call.body if isinstance(call.body, dict) else {}
        named = (body.get("metadata") or {}).get("name")
        if named != ref.name:
            raise KubernetesError(
                400,
                f"the name of the object ({named}) does not match the name on the URL ({ref.name})",
            )
        self._validate(ref, body)
        self._check_version(ref, body, current)
        if ref.plural == "rolebindings" and body.get("roleRef") != current.get("roleRef"):
            raise ref.invalid("roleRef", body.get("roleRef"), "cannot change roleRef")
        self.objects[ref.key] = self._stored(ref, body, current)
        return 200, self.get(ref.key)

    def _patch(self, call: Call, ref: Ref) -> tuple[int, dict]:
        content_type = call.headers.get("content-type", "").split(";")[0]
        if content_type not in MERGE_PATCHES:
            raise KubernetesError(
                415,
                "the body of the request was in an unknown format - accepted media types "
                f"include: {', '.join(sorted(MERGE_PATCHES))}",
            )
        current = self.objects.get(ref.key)
        if current is None:
            raise ref.not_found()
        patched = merge_patch(current, call.body)
        if patched["metadata"].get("name") != ref.name:
            raise ref.invalid(
                "metadata.name", patched["metadata"].get("name"), "field is immutable"
            )
        self._validate(ref, patched)
        self.objects[ref.key] = self._stored(ref, patched, current)
        return 200, self.get(ref.key)

    def _delete(self, call: Call, ref: Ref) -> tuple[int, dict]:
        current = self.objects.get(ref.key)
        if current is None:
            raise ref.not_found()
        if ref.namespace:
            del self.objects[ref.key]
            details = ref.details() | {"uid": current["metadata"]["uid"]}
            return 200, {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": details,
            }
        current["metadata"]["deletionTimestamp"] = TIMESTAMP
        current["status"] = {"phase": "Terminating"}
        if self.finalize_namespaces:
            inside = f"/namespaces/{ref.name}/"
            for key in [k for k in self.objects if inside in k or k == ref.key]:
                del self.objects[key]
        return 200, copy.deepcopy(current)

    # --- checks and server-side fields -------------------------------------------------------

    def _json_content(self, call: Call) -> None:
        # An empty Content-Type is read as JSON, the first type the API server accepts.
        content_type = call.headers.get("content-type", "application/json").split(";")[0]
        if content_type != "application/json":
            raise KubernetesError(
                415, f"the body of the request was in an unknown format: {content_type}"
            )

    def _writable_namespace(self, ref: Ref) -> None:
        namespace = self.objects.get(Ref("namespaces", "", ref.namespace).key)
        if namespace is None:
            raise Ref("namespaces", "", ref.namespace).not_found()
        if namespace.get("status", {}).get("phase") == "Terminating":
            message = (
                f'{ref.resource} "{ref.name}" is forbidden: unable to create new content in '
                f"namespace {ref.namespace} because it is being terminated"
            )
            raise KubernetesError(403, message, details=ref.details())

    def _check_version(self, ref: Ref, body: dict, current: dict) -> None:
        sent = (body.get("metadata") or {}).get("resourceVersion")
        if sent and sent != current["metadata"]["resourceVersion"]:
            message = (
                f'Operation cannot be fulfilled on {ref.resource} "{ref.name}": the object has '
                "been modified; please apply your changes to the latest version and try again"
            )
            raise KubernetesError(409, message, "Conflict", ref.details())

    def _validate(self, ref: Ref, body: dict) -> None:
        api_version = f"{ref.group}/v1" if ref.group else "v1"
        if (
            body.get("apiVersion", api_version) != api_version
            or body.get("kind", ref.kind) != ref.kind
        ):
            raise KubernetesError(
                400,
                f"the API version in the data ({body.get('apiVersion')}) does not match the "
                f"expected API version ({api_version})",
            )
        metadata = body.get("metadata") or {}
        if metadata.get("namespace", ref.namespace) != ref.namespace:
            raise KubernetesError(
                400,
                "the namespace of the provided object does not match the namespace sent on "
                "the request",
            )
        name_rule = DNS_SUBDOMAIN if ref.namespace else DNS_LABEL
        if (
            not ref.name
            or len(ref.name) > (253 if ref.namespace else 63)
            or not name_rule.match(ref.name)
        ):
            raise ref.invalid(
                "metadata.name",
                ref.name,
                "a lowercase RFC 1123 name must consist of lower case alphanumeric "
                "characters or '-'",
            )
        for key, value in (metadata.get("labels") or {}).items():
            if not isinstance(value, str) or len(value) > 63 or not LABEL.match(value):
                raise ref.invalid(
                    "metadata.labels",
                    value,
                    "a valid label must be an empty string or consist of alphanumeric "
                    "characters, '-', '_' or '.', and must start and end with an alphanumeric "
                    "character",
                )
            if not key.rpartition("/")[2] or not LABEL.match(key.rpartition("/")[2]):
                raise ref.invalid(
                    "metadata.labels",
                    key,
                    "name part must consist of alphanumeric characters, '-', '_' or '.'",
                )
        getattr(self, f"_validate_{ref.plural}", lambda ref, body: None)(ref, body)

    def _validate_resourcequotas(self, ref: Ref, body: dict) -> None:
        for resource, value in ((body.get("spec") or {}).get("hard") or {}).items():
            self._quantity(ref, f"spec.hard[{resource}]", value)

    def _validate_limitranges(self, ref: Ref, body: dict) -> None:
        for i, item in enumerate((body.get("spec") or {}).get("limits") or []):
            if item.get("type") not in ("Container", "Pod", "PersistentVolumeClaim"):
                raise ref.invalid(
                    f"spec.limits[{i}].type",
                    item.get("type"),
                    'supported values: "Container", "Pod", "PersistentVolumeClaim"',
                )
            for part in ("default", "defaultRequest", "max", "min"):
                for resource, value in (item.get(part) or {}).items():
                    self._quantity(ref, f"spec.limits[{i}].{part}[{resource}]", value)

    def _validate_rolebindings(self, ref: Ref, body: dict) -> None:
        role_ref = body.get("roleRef") or {}
        if (
            role_ref.get("apiGroup") != RBAC
            or role_ref.get("kind") not in ("Role", "ClusterRole")
            or not role_ref.get("name")
        ):
            raise ref.invalid(
                "roleRef",
                role_ref,
                'kind must be "Role" or "ClusterRole" in apiGroup rbac.authorization.k8s.io, '
                "with a name",
            )
        for i, subject in enumerate(body.get("subjects") or []):
            if subject.get("kind") not in ("User", "Group", "ServiceAccount") or not subject.get(
                "name"
            ):
                raise ref.invalid(
                    f"subjects[{i}].kind",
                    subject.get("kind"),
                    'supported values: "Group", "ServiceAccount", "User"',
                )
            if subject["kind"] != "ServiceAccount" and subject.get("apiGroup") != RBAC:
                raise ref.invalid(
                    f"subjects[{i}].apiGroup",
                    subject.get("apiGroup"),
                    f'supported values: "{RBAC}"',
                )

    def _validate_networkpolicies(self, ref: Ref, body: dict) -> None:
        spec = body.get("spec") or {}
        if not isinstance(spec.get("podSelector"), dict):
            raise ref.invalid("spec.podSelector", None, "Required value")
        for policy_type in spec.get("policyTypes") or []:
            if policy_type not in ("Ingress", "Egress"):
                raise ref.invalid(
                    "spec.policyTypes", policy_type, 'supported values: "Egress", "Ingress"'
                )
        for direction in ("ingress", "egress"):
            for rule in spec.get(direction) or []:
                for port in rule.get("ports") or []:
                    if port.get("protocol", "TCP") not in ("TCP", "UDP", "SCTP"):
                        raise ref.invalid(
                            f"spec.{direction}.ports.protocol",
                            port["protocol"],
                            'supported values: "SCTP", "TCP", "UDP"',
                        )

    def _quantity(self, ref: Ref, field_path: str, value: Any) -> None:
        if not isinstance(value, str | int) or not QUANTITY.match(str(value)):
            raise ref.invalid(
                field_path,
                value,
                "quantities must match the regular expression "
                "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
            )

    def _stored(self, ref: Ref, body: dict, current: dict | None) -> dict:
        """The object as the API server keeps it: server fields set, defaults applied."""
        obj = copy.deepcopy(body)
        obj.update(apiVersion=f"{ref.group}/v1" if ref.group else "v1", kind=ref.kind)
        self._version += 1
        kept = current["metadata"] if current else {}
        metadata = obj.setdefault("metadata", {})
        metadata["uid"] = kept.get("uid") or str(uuid.uuid4())
        metadata["creationTimestamp"] = kept.get("creationTimestamp") or TIMESTAMP
        metadata["resourceVersion"] = str(self._version)
        manager = {"manager": "OpenAPI-Generator", "operation": "Update", "time": TIMESTAMP}
        fields = {"apiVersion": obj["apiVersion"], "fieldsType": "FieldsV1", "fieldsV1": {}}
        metadata["managedFields"] = [manager | fields]
        if ref.namespace:
            metadata["namespace"] = ref.namespace
        getattr(self, f"_default_{ref.plural}")(obj)
        return obj

    def _default_namespaces(self, obj: dict) -> None:
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"][
            "name"
        ]
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj.setdefault("status", {"phase": "Active"})

    def _default_resourcequotas(self, obj: dict) -> None:
        hard = obj.get("spec", {}).get("hard", {})
        obj["status"] = {"hard": dict(hard), "used": {key: "0" for key in hard}}

    def _default_limitranges(self, obj: dict) -> None:
        for item in obj.get("spec", {}).get("limits", []):
            if item.get("type") == "Container":
                item["defaultRequest"] = {
                    **item.get("default", {}),
                    **item.get("defaultRequest", {}),
                }

    def _default_rolebindings(self, obj: dict) -> None:
        pass

    def _default_deployments(self, obj: dict) -> None:
        pass

    def _default_pods(self, obj: dict) -> None:
        pass

    def _default_networkpolicies(self, obj: dict) -> None:
        obj["metadata"]["generation"] = obj["metadata"].get("generation", 0) + 1
        for direction in ("ingress", "egress"):
            for rule in obj.get("spec", {}).get(direction) or []:
                for port in rule.get("ports") or []:
                    port.setdefault("protocol", "TCP")


def write_kubeconfig(
    path: Path, server_url: str, token: str, contexts: tuple[str, ...] = ("test",)
) -> Path:
    """A kubeconfig whose contexts (the first is current) all reach `server_url` with `token`."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "contract", "cluster": {"server": server_url}}],
        "users": [{"name": "portal", "user": {"token": token}}],
        "contexts": [
            {"name": n, "context": {"cluster": "contract", "user": "portal"}} for n in contexts
        ],
        "current-context": contexts[0],
    }
    path.write_text(yaml.safe_dump(config))
    return path


# --- Vault -----------------------------------------------------------------------------------


def _duration(value: Any) -> int:
    """Vault's parse of a duration field: seconds as a number, or "1h", "30m", "10s"."""
    text = str(value)
    if text.isdigit():
        return int(text)
    parts = re.findall(r"(\d+)(h|m|s)", text)
    if not parts or "".join(a + b for a, b in parts) != text:
        raise VaultError(
            400,
            f'error converting input {text} for field "token_ttl": time: invalid duration "{text}"',
        )
    return sum(int(n) * {"h": 3600, "m": 60, "s": 1}[unit] for n, unit in parts)


def _string_list(value: Any) -> list[str]:
    """Vault's comma-string-or-list fields."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return [str(item) for item in value or []]


class VaultError(Exception):
    def __init__(self, status: int, *errors: str):
        super().__init__(*errors)
        self.status, self.errors = status, list(errors)


class VaultServer(ContractServer):
    """sys/mounts, sys/policies/acl, auth/<mount>/role and login, and KV v1/v2 mounts.

    Starts like a dev server: a KV v2 engine at secret/ and the kubernetes auth method at
    auth/kubernetes/. `service_account_jwts` maps a JWT to the role it may log in as."""

    def __init__(self, token: str = "hvs.portal-test-token") -> None:
        super().__init__()
        self.tokens = {token}
        self.mounts: dict[str, dict] = {
            "secret": self._engine("kv", {"version": "2"}, "key/value secret storage")
        }
        self.auth_mounts = {"kubernetes"}
        self.policies: dict[str, str] = {}
        self.roles: dict[str, dict] = {}  # "auth/<mount>/role/<name>" → role
        self.kv: dict[str, dict] = {}  # "<mount>/<path>" → {"metadata": …, "versions": {n: …}}
        self.service_account_jwts: dict[str, str] = {}

    def error_body(self, status: int, message: str) -> Any:
        return {"errors": [message]}

    def handle(self, call: Call) -> Reply:
        path = call.path.removeprefix("/v1/").rstrip("/")
        try:
            login = path.startswith("auth/") and path.endswith("/login")
            if not login and call.headers.get("x-vault-token") not in self.tokens:
                raise VaultError(403, "permission denied")
            return self._route(call, path)
        except VaultError as error:
            return Reply(error.status, {"errors": error.errors})

    def _route(self, call: Call, path: str) -> Reply:
        if path.startswith("sys/mounts/"):
            return self._mounts(call, path.removeprefix("sys/mounts/"))
        if path.startswith("sys/policies/acl/"):
            return self._policy(call, path.removeprefix("sys/policies/acl/"))
        if path == "auth/token/lookup-self" and call.method == "GET":
            # The token's own properties (Vault API docs: auth/token, lookup-self).
            data = {"display_name": "token", "policies": ["root"], "ttl": 0, "renewable": False}
            return Reply(200, {"data": data | {"id": call.headers.get("x-vault-token")}})
        auth = re.match(r"^auth/([^/]+)/(login|role/[^/]+)$", path)
        if auth and auth.group(1) in self.auth_mounts:
            login = auth.group(2) == "login"
            return self._login(call, auth.group(1)) if login else self._role(call, path)
        mount, _, rest = path.partition("/")
        engine = self.mounts.get(mount) or {}
        kv_version = (
            (engine.get("options") or {}).get("version") if engine.get("type") == "kv" else None
        )
        section, _, key = rest.partition("/")
        if kv_version == "2" and section in ("data", "metadata") and key:
            return getattr(self, f"_kv_{section}")(call, mount, key)
        if kv_version == "1" and rest:
            return self._kv1(call, f"{mount}/{rest}")
        raise VaultError(404, f'no handler for route "{path}". route entry not found.')

    @staticmethod
    def _engine(kind: str, options: dict | None, description: str) -> dict:
        accessor = f"{kind}_{uuid.uuid4().hex[:8]}"
        config = {"default_lease_ttl": 0, "force_no_cache": False, "max_lease_ttl": 0}
        return {
            "accessor": accessor,
            "config": config,
            "description": description,
            "external_entropy_access": False,
            "local": False,
            "options": options,
            "seal_wrap": False,
            "type": kind,
            "uuid": str(uuid.uuid4()),
        }

    @staticmethod
    def _envelope(data: Any, *, sys: bool = False, warnings: list[str] | None = None) -> dict:
        """Vault's response wrapper; sys/ endpoints repeat the data at the top level too."""
        body = {
            "request_id": str(uuid.uuid4()),
            "lease_id": "",
            "renewable": False,
            "lease_duration": 0,
            "data": data,
            "wrap_info": None,
            "warnings": warnings,
            "auth": None,
        }
        return {**data, **body} if sys and isinstance(data, dict) else body

    # --- sys ----------------------------------------------------------------------------------

    def _mounts(self, call: Call, mount: str) -> Reply:
        if call.method == "GET":
            if mount not in self.mounts:
                raise VaultError(400, f"No secret engine mount at {mount}/")
            return Reply(200, self._envelope(self.mounts[mount], sys=True))
        if call.method == "POST":
            body = call.body or {}
            if mount in self.mounts:
                raise VaultError(400, f"path is already in use at {mount}/")
            kind, options = body.get("type"), dict(body.get("options") or {})
            if not kind:
                raise VaultError(400, "backend type must be specified")
            if kind == "kv-v2":
                kind, options["version"] = "kv", "2"
            if kind == "kv":
                options.setdefault("version", "1")
            self.mounts[mount] = self._engine(kind, options or None, body.get("description") or "")
            return Reply(204)
        raise VaultError(405, "unsupported operation")

    def _policy(self, call: Call, name: str) -> Reply:
        name = name.lower()  # Vault stores policy names in lower case
        if call.method == "GET":
            if name not in self.policies:
                raise VaultError(404)
            return Reply(
                200, self._envelope({"name": name, "policy": self.policies[name]}, sys=True)
            )
        if call.method in ("PUT", "POST"):
            policy = (call.body or {}).get("policy")
            if not policy:
                raise VaultError(400, "'policy' parameter not supplied or empty")
            if not re.search(r'path\s+"[^"]+"\s*\{', policy) or policy.count("{") != policy.count(
                "}"
            ):
                raise VaultError(400, "failed to parse policy: invalid HCL")
            self.policies[name] = policy
            return Reply(204)
        if call.method == "DELETE":
            self.policies.pop(name, None)
            return Reply(204)
        raise VaultError(405, "unsupported operation")

    # --- auth/kubernetes -------------------------------------------------------------------------

    def _role(self, call: Call, path: str) -> Reply:
        if call.method == "GET":
            if path not in self.roles:
                raise VaultError(404)
            return Reply(200, self._envelope(copy.deepcopy(self.roles[path])))
        if call.method == "DELETE":
            self.roles.pop(path, None)
            return Reply(204)
        if call.method not in ("POST", "PUT"):
            raise VaultError(405, "unsupported operation")
        role = self._role_fields(call.body or {}, self.roles.get(path))
        self.roles[path] = role
        if role["audience"]:
            return Reply(204)
        warning = (
            "This role does not specify an audience. In a future version of Vault, specifying "
            "an audience will be required."
        )
        return Reply(200, self._envelope(None, warnings=[warning]))

    def _role_fields(self, body: dict, current: dict | None) -> dict:
        """What path_role.go stores and reads back (token_* fields, durations in seconds)."""
        role = copy.deepcopy(current) or {
            "bound_service_account_names": [],
            "bound_service_account_namespaces": [],
            "bound_service_account_namespace_selector": "",
            "audience": "",
            "alias_name_source": "serviceaccount_uid",
            "token_bound_cidrs": [],
            "token_explicit_max_ttl": 0,
            "token_max_ttl": 0,
            "token_no_default_policy": False,
            "token_num_uses": 0,
            "token_period": 0,
            "token_policies": [],
            "token_ttl": 0,
            "token_type": "default",
        }
        for name in ("bound_service_account_names", "bound_service_account_namespaces"):
            if name in body:
                role[name] = _string_list(body[name])
        if "audience" in body:
            role["audience"] = str(body["audience"])
        for new, old in (("token_policies", "policies"), ("token_ttl", "ttl")):
            value = body.get(new, body.get(old))
            if value is not None:
                role[new] = _string_list(value) if new == "token_policies" else _duration(value)
        if not role["bound_service_account_names"]:
            raise VaultError(400, '"bound_service_account_names" can not be empty')
        if not role["bound_service_account_namespaces"]:
            raise VaultError(
                400,
                '"bound_service_account_namespaces" can not be empty if '
                '"bound_service_account_namespace_selector" is not set',
            )
        return role

    def _login(self, call: Call, mount: str) -> Reply:
        body = call.body or {}
        role = self.roles.get(f"auth/{mount}/role/{body.get('role')}")
        if role is None:
            raise VaultError(400, f'invalid role name "{body.get("role")}"')
        if self.service_account_jwts.get(body.get("jwt", "")) != body.get("role"):
            raise VaultError(403, "permission denied")
        token = f"hvs.{uuid.uuid4().hex}"
        self.tokens.add(token)
        auth = {
            "client_token": token,
            "accessor": uuid.uuid4().hex,
            "policies": ["default", *role["token_policies"]],
            "token_policies": ["default", *role["token_policies"]],
            "lease_duration": role["token_ttl"] or 2764800,
            "renewable": True,
            "metadata": {"role": body["role"]},
        }
        return Reply(200, self._envelope(None) | {"auth": auth})

    # --- KV ----------------------------------------------------------------------------------

    def seed_secret(self, mount: str, path: str, data: dict) -> None:
        """Write a version directly, as if someone else had (no call recorded)."""
        with self._lock:
            self._write_version(self._kv_entry(f"{mount}/{path}", create=True), data)

    def _kv_entry(self, key: str, create: bool = False) -> dict | None:
        if key not in self.kv and create:
            metadata = {
                "cas_required": False,
                "created_time": TIMESTAMP,
                "current_version": 0,
                "custom_metadata": None,
                "delete_version_after": "0s",
                "max_versions": 0,
                "oldest_version": 0,
                "updated_time": TIMESTAMP,
            }
            self.kv[key] = {"metadata": metadata, "versions": {}}
        return self.kv.get(key)

    def _write_version(self, entry: dict, data: dict) -> dict:
        metadata = entry["metadata"]
        metadata["current_version"] += 1
        version = {
            "created_time": TIMESTAMP,
            "deletion_time": "",
            "destroyed": False,
            "data": copy.deepcopy(data),
        }
        entry["versions"][metadata["current_version"]] = version
        keep = metadata["max_versions"] or 10
        for old in sorted(entry["versions"])[:-keep]:
            del entry["versions"][old]
        metadata["oldest_version"] = min(entry["versions"])
        return self._version_metadata(entry, metadata["current_version"])

    @staticmethod
    def _version_metadata(entry: dict, number: int) -> dict:
        version = entry["versions"][number]
        shown = {k: version[k] for k in ("created_time", "deletion_time", "destroyed")}
        return shown | {"custom_metadata": entry["metadata"]["custom_metadata"], "version": number}

    def _kv_data(self, call: Call, mount: str, path: str) -> Reply:
        entry = self._kv_entry(f"{mount}/{path}")
        if call.method == "GET":
            latest = entry and entry["versions"].get(entry["metadata"]["current_version"])
            if not latest:
                raise VaultError(404)
            data = None if latest["deletion_time"] or latest["destroyed"] else latest["data"]
            body = self._envelope(
                {
                    "data": copy.deepcopy(data),
                    "metadata": self._version_metadata(entry, entry["metadata"]["current_version"]),
                }
            )
            return Reply(200 if data is not None else 404, body)
        if call.method in ("POST", "PUT"):
            return self._kv_write(call.body or {}, mount, path)
        if call.method == "DELETE":
            if entry and entry["metadata"]["current_version"] in entry["versions"]:
                entry["versions"][entry["metadata"]["current_version"]]["deletion_time"] = TIMESTAMP
            return Reply(204)
        raise VaultError(405, "unsupported operation")

    def _kv_write(self, body: dict, mount: str, path: str) -> Reply:
        if not isinstance(body.get("data"), dict):
            raise VaultError(400, "no data provided")
        entry = self._kv_entry(f"{mount}/{path}")
        current = entry["metadata"]["current_version"] if entry else 0
        cas = (body.get("options") or {}).get("cas")
        if cas is None and entry and entry["metadata"]["cas_required"]:
            raise VaultError(400, "check-and-set parameter required for this call")
        if cas is not None and int(cas) != current:
            raise VaultError(400, "check-and-set parameter did not match the current version")
        written = self._write_version(self._kv_entry(f"{mount}/{path}", create=True), body["data"])
        return Reply(200, self._envelope(written))

    def _kv_metadata(self, call: Call, mount: str, path: str) -> Reply:
        key = f"{mount}/{path}"
        if call.method == "GET":
            entry = self._kv_entry(key)
            if entry is None:
                raise VaultError(404)
            versions = {
                str(n): {k: v for k, v in version.items() if k != "data"}
                for n, version in entry["versions"].items()
            }
            return Reply(
                200, self._envelope(copy.deepcopy(entry["metadata"]) | {"versions": versions})
            )
        if call.method in ("POST", "PUT"):
            self._kv_metadata_write(call.body or {}, key)
            return Reply(204)
        if call.method == "DELETE":
            self.kv.pop(key, None)
            return Reply(204)
        raise VaultError(405, "unsupported operation")

    def _kv_metadata_write(self, body: dict, key: str) -> None:
        custom = body.get("custom_metadata")
        if custom is not None:
            problems = [
                f"custom_metadata key {k!r} is longer than 128 characters"
                for k in custom
                if len(k) > 128
            ]
            problems += [
                f"custom_metadata value for key {k!r} is not a string of at most 512 characters"
                for k, v in custom.items()
                if not isinstance(v, str) or len(v) > 512
            ]
            problems += ["custom_metadata may have at most 64 keys"] if len(custom) > 64 else []
            if problems:
                raise VaultError(400, *problems)
        if not isinstance(body.get("max_versions", 0), int):
            raise VaultError(400, 'error converting input for field "max_versions"')
        metadata = self._kv_entry(key, create=True)["metadata"]
        for name in ("max_versions", "cas_required", "delete_version_after"):
            if name in body:
                metadata[name] = body[name]
        if custom is not None:
            metadata["custom_metadata"] = dict(custom)
        metadata["updated_time"] = TIMESTAMP

    def _kv1(self, call: Call, key: str) -> Reply:
        if call.method == "GET":
            if key not in self.kv:
                raise VaultError(404)
            return Reply(200, self._envelope(copy.deepcopy(self.kv[key])))
        if call.method in ("POST", "PUT"):
            self.kv[key] = copy.deepcopy(call.body or {})
            return Reply(204)
        raise VaultError(405, "unsupported operation")
