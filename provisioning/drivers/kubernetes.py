"""Kubernetes driver: a team's namespace with its quota, default limits, access and network policy.

`ensure` converges five objects, each read → created if absent → replaced if different → left
alone when it already matches:

1. Namespace <name>, labelled with the plan's tags and extra labels (other labels are kept).
2. ResourceQuota default-quota: `spec.hard` is the plan's quota.
3. LimitRange default-limits: one Container item with the plan's default limits and requests.
4. RoleBinding team-<role>: ClusterRole <role> bound to the owning team's Group.
5. NetworkPolicy default-deny: no ingress and no egress for any pod, except DNS to the cluster's
   DNS pods in kube-system. When the plan has `default_deny: false`, an existing one is deleted.

The bodies and their comparison with what the cluster holds are pure functions at the top of
the module; `KubernetesDriver` does the network work around them with the official client.
"""

import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import urllib3
from django.conf import settings
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from provisioning.drivers.base import (
    DriverError,
    EnsureResult,
    NotConnectedError,
    Outcome,
    PermanentError,
    PlannedResource,
    ResourceDriver,
    ResourceMissing,
    TransientError,
)

logger = logging.getLogger(__name__)

NOT_CONNECTED = "not connected: KUBECONFIG is not set and the portal is not running in a cluster"
RETRY = "the portal will retry"
RBAC_GROUP = "rbac.authorization.k8s.io"
# What the default deny still allows: DNS to the cluster's DNS pods (CoreDNS keeps the
# k8s-app=kube-dns label in kubeadm, EKS, GKE and AKS), or nothing in the namespace resolves.
DNS_EGRESS = {
    "to": [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ],
    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
}
# The top-level fields of each kind that the plan owns; labels are compared separately.
OWNED_FIELDS = {
    "Namespace": (),
    "ResourceQuota": ("spec",),
    "LimitRange": ("spec",),
    "RoleBinding": ("roleRef", "subjects"),
    "NetworkPolicy": ("spec",),
}

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_TEXT = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
LABEL_RULE = (
    "at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
)
QUANTITY = re.compile(
    r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E))?$"
)
MULTIPLIERS = {"m": Decimal("0.001")}
MULTIPLIERS |= {suffix: Decimal(10) ** (3 * (i + 1)) for i, suffix in enumerate("kMGTPE")}
MULTIPLIERS |= {f"{s}i": Decimal(2) ** (10 * (i + 1)) for i, s in enumerate("KMGTPE")}


@dataclass(frozen=True)
class ObjectKind:
    """How the client reaches one kind: its API class and the suffix of its methods."""

    kind: str
    api: Callable[[k8s.ApiClient], Any]
    methods: str  # the client's read_<methods>, create_<methods>, replace_<methods>, …
    plural: str  # as named in RBAC rules


NAMESPACE = ObjectKind("Namespace", k8s.CoreV1Api, "namespace", "namespaces")
QUOTA = ObjectKind("ResourceQuota", k8s.CoreV1Api, "namespaced_resource_quota", "resourcequotas")
LIMITS = ObjectKind("LimitRange", k8s.CoreV1Api, "namespaced_limit_range", "limitranges")
BINDING = ObjectKind(
    "RoleBinding", k8s.RbacAuthorizationV1Api, "namespaced_role_binding", "rolebindings"
)
NETWORK_POLICY = ObjectKind(
    "NetworkPolicy", k8s.NetworkingV1Api, "namespaced_network_policy", "networkpolicies"
)


# --- The plan, as Kubernetes objects (pure) -------------------------------------------------


def label_problem(key: str, value: str) -> str:
    """Why `key: value` cannot be a Kubernetes label, or "" when it can."""
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN.match(prefix)):
        return "the key's prefix must be a DNS subdomain such as example.com"
    if len(name) > 63 or not LABEL_TEXT.match(name):
        return f"the key must be {LABEL_RULE}"
    if value and (len(value) > 63 or not LABEL_TEXT.match(value)):
        return f"the value must be {LABEL_RULE}"
    return ""


def plan_labels(resource: PlannedResource) -> dict[str, str]:
    """The labels every object gets: the plan's extra labels overlaid with its tags."""
    for source, labels in (("label", resource.config.get("labels", {})), ("tag", resource.tags)):
        for key, value in labels.items():
            if problem := label_problem(key, str(value)):
                raise PermanentError(
                    f"{source} {key}={value!r} cannot be a Kubernetes label: {problem}"
                )
    return {**resource.config.get("labels", {}), **resource.tags}


def validate_plan(resource: PlannedResource) -> None:
    """Refuse a plan that Kubernetes would reject, before any call is made."""
    if len(resource.name) > 63 or not DNS_LABEL.match(resource.name):
        raise PermanentError(
            f"{resource.name!r} cannot be a namespace name: use at most 63 lowercase letters, "
            "digits and '-', starting and ending with a letter or digit"
        )
    for key in ("quota", "limit_range", "team_group", "role"):
        if not resource.config.get(key):
            raise PermanentError(
                f"the plan for namespace {resource.name} has no {key!r}: re-plan the request, "
                "or ask the platform team to fix the resource type"
            )
    plan_labels(resource)


def _object(api_version: str, kind: str, name: str, labels: dict[str, str], **fields) -> dict:
    metadata = {"name": name, "labels": dict(labels)}
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **fields}


def namespace_body(resource: PlannedResource) -> dict:
    return _object("v1", "Namespace", resource.name, plan_labels(resource))


def quota_body(config: dict, labels: dict[str, str]) -> dict:
    return _object("v1", "ResourceQuota", "default-quota", labels, spec={"hard": config["quota"]})


def limit_range_body(config: dict, labels: dict[str, str]) -> dict:
    default = dict(config["limit_range"].get("default", {}))
    # The API server copies each default missing from defaultRequest; doing the same here keeps
    # the comparison with what it stored exact.
    request = {**default, **config["limit_range"].get("default_request", {})}
    item = {"type": "Container"} | ({"default": default} if default else {})
    item |= {"defaultRequest": request} if request else {}
    return _object("v1", "LimitRange", "default-limits", labels, spec={"limits": [item]})


def role_binding_body(config: dict, labels: dict[str, str]) -> dict:
    role_ref = {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": config["role"]}
    subjects = [{"kind": "Group", "apiGroup": RBAC_GROUP, "name": config["team_group"]}]
    name, api_version = f"team-{config['role']}", f"{RBAC_GROUP}/v1"
    return _object(api_version, "RoleBinding", name, labels, roleRef=role_ref, subjects=subjects)


def network_policy_body(labels: dict[str, str]) -> dict:
    spec = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "egress": [DNS_EGRESS]}
    return _object("networking.k8s.io/v1", "NetworkPolicy", "default-deny", labels, spec=spec)


def planned_objects(resource: PlannedResource) -> list[tuple[ObjectKind, dict]]:
    """The objects inside the namespace, in the order `ensure` converges them."""
    config, labels = resource.config, plan_labels(resource)
    objects = [
        (QUOTA, quota_body(config, labels)),
        (LIMITS, limit_range_body(config, labels)),
        (BINDING, role_binding_body(config, labels)),
    ]
    if config.get("default_deny", True):
        objects.append((NETWORK_POLICY, network_policy_body(labels)))
    return objects


def parse_quantity(text: str) -> Decimal | None:
    """A Kubernetes quantity ("500m", "8Gi", "1e3") as a number, or None if `text` is not one."""
    match = QUANTITY.match(text)
    if not match:
        return None
    number, exponent, suffix = match.groups()
    try:
        return Decimal(number + (exponent or "")) * MULTIPLIERS.get(suffix or "", Decimal(1))
    except InvalidOperation:
        return None


def _normal(value: Any) -> Any:
    """`value` with empty maps and lists dropped and quantities as numbers, for comparing."""
    if isinstance(value, dict):
        kept = {key: _normal(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item is not None} or None
    if isinstance(value, list):
        return [_normal(item) for item in value] or None
    if isinstance(value, str) and (number := parse_quantity(value)) is not None:
        return ("quantity", number)
    return value


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(value, sort_keys=True)


def field_differences(path: str, wanted: Any, actual: Any) -> list[str]:
    """Sentences naming each place below `path` where `actual` differs from `wanted`."""
    if isinstance(wanted, dict) and isinstance(actual, dict):
        keys = sorted(set(wanted) | set(actual))
        nested = (field_differences(f"{path}.{k}", wanted.get(k), actual.get(k)) for k in keys)
        return [sentence for sentences in nested for sentence in sentences]
    if _normal(wanted) == _normal(actual):
        return []
    if _normal(actual) is None:
        return [f"{path} is missing (the plan says {_show(wanted)})"]
    if _normal(wanted) is None:
        return [f"{path} is {_show(actual)}, which the plan does not set"]
    return [f"{path} is {_show(actual)}, the plan says {_show(wanted)}"]


def differences(desired: dict, actual: dict) -> list[str]:
    """How `actual` differs from `desired`: the plan's labels (others may be added) and fields."""
    labels = (actual.get("metadata") or {}).get("labels") or {}
    found = [
        f"label {key} is {labels[key]!r}, the plan says {value!r}"
        if key in labels
        else f"label {key} is missing (the plan says {value!r})"
        for key, value in desired["metadata"]["labels"].items()
        if labels.get(key) != value
    ]
    for field in OWNED_FIELDS[desired["kind"]]:
        found += field_differences(field, desired.get(field), actual.get(field))
    return [f"{desired['kind']} {desired['metadata']['name']}: {sentence}" for sentence in found]


# --- Talking to the cluster -----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One object in the cluster: its kind, name and (for namespaced kinds) namespace."""

    kind: ObjectKind
    name: str
    namespace: str = ""

    def __str__(self) -> str:
        where = f" in namespace {self.namespace}" if self.namespace else ""
        return f"{self.kind.kind} {self.name}{where}"

    def args(self) -> tuple[str, ...]:
        return (self.name, self.namespace) if self.namespace else (self.name,)


class _NotFound(DriverError):
    """404 from the API server."""


class _AlreadyExists(DriverError):
    """409 AlreadyExists on create: someone made the object since it was read."""


def _status(error: ApiException) -> dict:
    """The Status object the API server answered with, or a stand-in when it sent none."""
    try:
        status = json.loads(error.body)
    except (TypeError, ValueError):
        status = None
    return status if isinstance(status, dict) else {"message": str(error.reason or error.status)}


def api_error(error: ApiException, verb: str, target: Target) -> DriverError:
    """The driver error that says what an API server's refusal means for the requester."""
    code, status = error.status or 0, _status(error)
    message = status.get("message", "")
    if code == 404:
        return _NotFound(message)
    if code == 409 and status.get("reason") == "AlreadyExists":
        return _AlreadyExists(message)
    if code == 403 and "being terminated" in message:
        return TransientError(f"namespace {target.namespace} is being deleted: {RETRY}")
    if code in (401, 403):
        where = f" in namespace {target.namespace}" if target.namespace else ""
        return PermanentError(
            f"the portal's credentials may not {verb} {target.kind.plural}{where}: "
            f"ask the platform team to grant it (Kubernetes said: {message})"
        )
    if code in (409, 429) or code >= 500:
        return TransientError(f"Kubernetes could not {verb} {target} ({code}: {message}): {RETRY}")
    if code in (400, 422):
        return PermanentError(f"Kubernetes refused to {verb} {target}: {message}")
    return PermanentError(f"Kubernetes answered {code} to {verb} {target}: {message}")


class KubernetesDriver(ResourceDriver):
    """Team namespaces, through the kubeconfig in KUBECONFIG or the pod's service account."""

    provider = "kubernetes"
    kinds = frozenset({"namespace"})
    # (connect, read) seconds per call; a slow API server is a transient failure, retried later.
    request_timeout: tuple[float, float] = (5, 30)

    @classmethod
    def connection_status(cls) -> tuple[bool, str]:
        path = settings.KUBECONFIG
        if path and not Path(path).is_file():
            return False, f"not connected: KUBECONFIG is {path}, but there is no file there"
        if path:
            return True, f"configured: the kubeconfig at {path}"
        if settings.KUBERNETES_IN_CLUSTER:
            return True, "configured: in-cluster, as the portal's service account"
        return False, NOT_CONNECTED

    def ensure(self, resource: PlannedResource, secrets: dict | None = None) -> EnsureResult:
        self._check(resource)
        outcomes: dict[str, Outcome] = {}
        with self._session(resource) as api:
            outcomes[f"Namespace/{resource.name}"] = self._ensure_namespace(api, resource)
            for kind, desired in planned_objects(resource):
                target = Target(kind, desired["metadata"]["name"], resource.name)
                current = self._read(api, target)
                outcomes[f"{kind.kind}/{target.name}"] = self._converge(
                    api, target, desired, current
                )
            if not resource.config.get("default_deny", True):
                stale = Target(NETWORK_POLICY, "default-deny", resource.name)
                outcomes["NetworkPolicy/default-deny"] = self._remove(api, stale)
        return _result(resource, outcomes)

    def check_drift(self, resource: PlannedResource) -> list[str]:
        self._check(resource)
        with self._session(resource) as api:
            namespace = self._read(api, Target(NAMESPACE, resource.name))
            if namespace is None:
                raise ResourceMissing(f"namespace {resource.name} no longer exists in the cluster")
            found = differences(namespace_body(resource), namespace)
            for kind, desired in planned_objects(resource):
                found += self._drift(
                    api, Target(kind, desired["metadata"]["name"], resource.name), desired
                )
            stale = Target(NETWORK_POLICY, "default-deny", resource.name)
            if not resource.config.get("default_deny", True) and self._read(api, stale):
                found.append("NetworkPolicy default-deny exists, but the plan has no default deny")
        return found

    def decommission(self, resource: PlannedResource) -> EnsureResult:
        self._check(resource)
        with self._session(resource) as api:
            try:
                self._call(api, "delete", Target(NAMESPACE, resource.name), "delete")
            except _NotFound:
                return EnsureResult(
                    "deleted", resource.name, f"namespace {resource.name} was already gone"
                )
        logger.info("deleted namespace %s", resource.name)
        message = (
            f"deleted namespace {resource.name}; Kubernetes removes its contents in the background"
        )
        return EnsureResult("deleted", resource.name, message)

    # --- steps ---------------------------------------------------------------------------

    def _check(self, resource: PlannedResource) -> None:
        if resource.kind not in self.kinds:
            raise PermanentError(
                f"the Kubernetes driver cannot make a {resource.kind!r}: only a namespace"
            )
        validate_plan(resource)

    def _ensure_namespace(self, api: k8s.ApiClient, resource: PlannedResource) -> Outcome:
        target = Target(NAMESPACE, resource.name)
        namespace = self._read(api, target)
        if namespace and (namespace.get("status") or {}).get("phase") == "Terminating":
            raise TransientError(
                f"namespace {resource.name} is still being deleted: {RETRY} once Kubernetes has "
                "finished deleting it"
            )
        return self._converge(api, target, namespace_body(resource), namespace)

    def _converge(
        self, api: k8s.ApiClient, target: Target, desired: dict, current: dict | None
    ) -> Outcome:
        """Create `desired` if absent, else update it if different; a lost create race converges."""
        if current is None:
            try:
                self._call(api, "create", target, "create", *target.args()[1:], desired)
                logger.info("created %s", target)
                return "created"
            except _AlreadyExists:
                current = self._read(api, target)
            if current is None:
                raise TransientError(f"{target} was created and deleted by someone else: {RETRY}")
        found = differences(desired, current)
        if not found:
            return "unchanged"
        self._update(api, target, desired, current)
        logger.info("updated %s: %s", target, "; ".join(found))
        return "updated"

    def _update(self, api: k8s.ApiClient, target: Target, desired: dict, current: dict) -> None:
        if target.kind is NAMESPACE:
            labels = {"metadata": {"labels": desired["metadata"]["labels"]}}
            self._call(api, "patch", target, "patch", target.name, labels)
            return
        if target.kind is BINDING and _normal(current["roleRef"]) != _normal(desired["roleRef"]):
            # roleRef is immutable: the API server only accepts a new binding.
            self._call(api, "delete", target, "delete")
            self._call(api, "create", target, "create", target.namespace, desired)
            return
        metadata = current["metadata"]
        labels = {**(metadata.get("labels") or {}), **desired["metadata"]["labels"]}
        # Sending the read resourceVersion makes a concurrent change a 409, not a lost update.
        replaced = {
            **desired["metadata"],
            "labels": labels,
            "resourceVersion": metadata.get("resourceVersion"),
        }
        self._call(
            api, "update", target, "replace", *target.args(), {**desired, "metadata": replaced}
        )

    def _drift(self, api: k8s.ApiClient, target: Target, desired: dict) -> list[str]:
        current = self._read(api, target)
        if current is None:
            return [f"{target.kind.kind} {target.name} is missing"]
        return differences(desired, current)

    def _remove(self, api: k8s.ApiClient, target: Target) -> Outcome:
        try:
            self._call(api, "delete", target, "delete")
        except _NotFound:
            return "unchanged"
        logger.info("deleted %s", target)
        return "deleted"

    # --- the client ------------------------------------------------------------------------

    def _read(self, api: k8s.ApiClient, target: Target) -> dict | None:
        try:
            found = self._call(api, "get", target, "read")
        except _NotFound:
            return None
        return api.sanitize_for_serialization(found)

    def _call(self, api: k8s.ApiClient, verb: str, target: Target, method: str, *args: Any) -> Any:
        """Call `<method>_<kind>` on the client (by default with the target's name and namespace),
        turning its failures into driver errors."""
        call = getattr(target.kind.api(api), f"{method}_{target.kind.methods}")
        try:
            return call(*(args or target.args()), _request_timeout=self.request_timeout)
        except ApiException as error:
            raise api_error(error, verb, target) from error
        except urllib3.exceptions.HTTPError as error:
            raise TransientError(
                f"could not reach the Kubernetes API to {verb} {target} ({error}): {RETRY}"
            ) from error

    @contextmanager
    def _session(self, resource: PlannedResource) -> Iterator[k8s.ApiClient]:
        api = self._api_client(resource.config.get("cluster", ""))
        try:
            yield api
        finally:
            api.close()

    def _api_client(self, cluster: str) -> k8s.ApiClient:
        connected, status = self.connection_status()
        if not connected:
            raise NotConnectedError(status)
        configuration = k8s.Configuration()
        # Retry a refused connection briefly but never a read that timed out (it may have been
        # applied): the engine retries the whole step, with backoff.
        configuration.retries = urllib3.Retry(total=2, read=0, backoff_factor=0.1)
        try:
            return _configured_client(cluster, configuration)
        except ConfigException as error:
            context = f" with context {cluster!r}" if cluster else ""
            raise PermanentError(
                f"the portal cannot use its Kubernetes configuration{context} ({error}): "
                "ask the platform team to fix KUBECONFIG or the environment's cluster name"
            ) from error


def _configured_client(cluster: str, configuration: k8s.Configuration) -> k8s.ApiClient:
    """A client for `cluster` (a kubeconfig context; "" for the current one or in-cluster)."""
    if settings.KUBECONFIG:
        return k8s_config.new_client_from_config(
            config_file=settings.KUBECONFIG,
            context=cluster or None,
            client_configuration=configuration,
            persist_config=False,
        )
    if cluster:
        raise PermanentError(
            f"the plan asks for cluster {cluster!r}, but the portal runs in-cluster without a "
            "kubeconfig: set KUBECONFIG to a file with that context, or plan for cluster ''"
        )
    k8s_config.load_incluster_config(client_configuration=configuration)
    return k8s.ApiClient(configuration)


def _result(resource: PlannedResource, outcomes: dict[str, Outcome]) -> EnsureResult:
    if outcomes[f"Namespace/{resource.name}"] == "created":
        overall: Outcome = "created"
    else:
        overall = "updated" if any(o != "unchanged" for o in outcomes.values()) else "unchanged"
    changed = [f"{key} {outcome}" for key, outcome in outcomes.items() if outcome != "unchanged"]
    message = f"{overall} namespace {resource.name}" + (
        f" ({', '.join(changed)})" if changed else ""
    )
    cluster = resource.config.get("cluster", "")
    details = {"namespace": resource.name, "cluster": cluster, "objects": outcomes}
    return EnsureResult(overall, resource.name, message, details)
