"""Environment parity: how a service's environments differ, beyond what should (pure).

The input is what is really in the GitOps repository (people hand-edit it), not what the portal
would render: the files under `apps/<service>/`. Each environment's overlay is applied to the
base with kustomize's semantics for the forms the portal writes (`resources`, `namespace`,
`images`, `replicas`, inline or file `patches` of JSON 6902 ops); anything else makes that
environment "cannot compare", never an exception. The objects are then compared field by
field; a difference is *allowed* when environments are meant to differ there (replicas,
resources, hostnames, image tag, trace sampling, namespace, the environment's own name), else
*flagged*.
"""

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from provisioning.golden_paths.kustomize import (
    REPLICA_KINDS,
    KustomizeError,
    build,
    read_kustomization,
    resource_path,
    split_image,
)

TRACE_SAMPLING_RE = re.compile(r"(^data\.|\.env\[)OTEL_TRACES_SAMPLER_ARG(\]\.value)?$")
ABSENT = "—"  # shown where an environment lacks the field or object
MAX_FIELDS = 5000  # per object: a hand-made YAML alias bomb must not flatten forever
HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$", re.I
)
CONTAINER_RE = re.compile(r"\.(init)?[cC]ontainers\[[^]]*\]")


class CannotCompare(Exception):
    """An overlay or base the parity check cannot interpret; the message says why."""


@dataclass(frozen=True)
class Difference:
    """One field (or object, or overlay) whose value is not the same in every environment."""

    obj: str  # "Deployment/checkout"; "" for a whole overlay
    path: str  # "spec.template.spec.containers[app].env[LOG_LEVEL].value"; "" for the object
    values: tuple[tuple[str, str], ...]  # (environment, value as shown), in environment order
    allowed: str = ""  # why environments may differ here ("replicas", …); "" when flagged

    @property
    def flagged(self) -> bool:
        return not self.allowed

    @property
    def what(self) -> str:
        """The difference in words, for a list: "no overlay for prod", "Deployment/x: spec.y"."""
        if not self.obj:
            missing = [env for env, value in self.values if value == ABSENT]
            return f"no overlay for {', '.join(missing)}"
        return f"{self.obj}: {self.path}" if self.path else f"{self.obj} (whole object)"


@dataclass(frozen=True)
class Parity:
    """The comparison of one service's environments."""

    differences: tuple[Difference, ...] = ()
    problems: tuple[str, ...] = ()  # "cannot compare prod: …"
    not_deployed: tuple[str, ...] = ()  # overlays without the base: nothing runs there yet
    compared: tuple[str, ...] = ()

    @property
    def flagged(self) -> list[Difference]:
        return [d for d in self.differences if d.flagged]

    @property
    def allowed_kinds(self) -> list[str]:
        return sorted({d.allowed for d in self.differences if d.allowed})

    @property
    def issue_count(self) -> int:
        """What the parity report ranks by: flagged differences plus environments it could
        not read, both of which need a person to look."""
        return len(self.flagged) + len(self.problems)

    @property
    def matches(self) -> bool:
        return not self.issue_count


@dataclass
class Built:
    """One environment's objects, keyed "Kind/name", and whether its overlay includes the base."""

    objects: dict[str, dict] = field(default_factory=dict)
    deployed: bool = False
    namespace: str = ""


# --- Reading the repository's files ---------------------------------------------------------


def files_by_service(files: dict[str, str]) -> dict[str, dict[str, str]]:
    """`apps/`-relative files ("checkout/base/x.yaml") grouped by service folder."""
    grouped: dict[str, dict[str, str]] = {}
    for path, text in files.items():
        service, _, rest = path.partition("/")
        if rest:
            grouped.setdefault(service, {})[rest] = text
    return grouped


def compare_service(files: dict[str, str], environments: list[str]) -> Parity:
    """Compare the overlays of one service; `files` are relative to `apps/<service>/`.

    1. Build the base once (a problem there makes the whole service "cannot compare").
    2. Build each environment's overlay on it; a missing overlay is a flagged difference, an
       uninterpretable one a problem that leaves that environment out.
    3. Compare what was built.
    """
    try:
        base = (
            _objects_by_key(build(files, "base", 0)) if "base/kustomization.yaml" in files else {}
        )
    except (CannotCompare, KustomizeError) as e:
        return Parity(problems=(f"cannot compare: {e}",))
    built: dict[str, Built] = {}
    problems, missing = [], []
    for env in environments:
        folder = f"overlays/{env}"
        if f"{folder}/kustomization.yaml" not in files:
            missing.append(env)
            continue
        try:
            built[env] = _build_overlay(files, folder)
        except (CannotCompare, KustomizeError) as e:
            problems.append(f"cannot compare {env}: {e}")
    parity = compare_objects(built, set(base), environments)
    gone = ()
    if missing:
        values = tuple((env, ABSENT if env in missing else "present") for env in environments)
        gone = (Difference("", "overlays", values),)
    problems += parity.problems
    return Parity(gone + parity.differences, tuple(problems), parity.not_deployed, parity.compared)


def _build_overlay(files: dict[str, str], folder: str) -> Built:
    objects = _objects_by_key(build(files, folder, 0))
    k = read_kustomization(files, folder)
    deployed = any(resource_path(folder, r) == "base" for r in k.get("resources") or [])
    return Built(objects, deployed, str(k.get("namespace") or ""))


def _objects_by_key(objects: list[dict]) -> dict[str, dict]:
    keyed = {}
    for obj in objects:
        key = object_key(obj)
        if key in keyed:
            raise CannotCompare(f"{key} is defined twice")
        keyed[key] = obj
    return keyed


def object_key(obj: dict) -> str:
    """Objects are matched across environments by kind and name; namespaces differ by design."""
    metadata = obj.get("metadata")
    return f"{obj.get('kind')}/{metadata.get('name') if isinstance(metadata, dict) else None}"


# --- Comparing ------------------------------------------------------------------------------


def compare_objects(
    built: dict[str, Built], base_keys: set[str], environments: list[str]
) -> Parity:
    """Differences among the environments' objects. An environment whose overlay leaves out the
    base (nothing deployed yet) is only expected to have its own objects, not the base's."""
    envs = [e for e in environments if e in built]
    keys = sorted({k for b in built.values() for k in b.objects})
    differences = []
    for key in keys:
        # Base objects are expected where the base is included; an overlay's own objects
        # (the ExternalSecret, anything added by hand) in every overlay.
        expected = [
            e for e in envs if key in built[e].objects or built[e].deployed or key not in base_keys
        ]
        if len(expected) < 2:
            continue
        try:
            objects = {e: built[e].objects.get(key) for e in expected}
            differences += _compare_one(key, objects, {e: built[e].namespace for e in expected})
        except CannotCompare as e:
            return Parity(problems=(f"cannot compare: {e}",), compared=tuple(envs))
    not_deployed = tuple(e for e in envs if not built[e].deployed)
    return Parity(tuple(differences), (), not_deployed, tuple(envs))


def _compare_one(
    key: str, objects: dict[str, dict | None], namespaces: dict[str, str]
) -> list[Difference]:
    envs = list(objects)
    if any(o is None for o in objects.values()):
        shown = tuple((e, ABSENT if objects[e] is None else "present") for e in envs)
        return [Difference(key, "", shown)]
    # Field names may carry the environment's name (a dashboard's data key "checkout-prod.json").
    flat = {e: {generic(p, e): v for p, v in flatten(o, key).items()} for e, o in objects.items()}
    paths = list(dict.fromkeys(p for f in flat.values() for p in f))
    differences = []
    for path in paths:
        values = {e: flat[e].get(path, _MISSING) for e in envs}
        if len({_show(v) for v in values.values()}) > 1:
            kind = key.partition("/")[0]
            shown = tuple((e, _show(values[e])) for e in envs)
            allowed = classify(kind, path, values, namespaces)
            differences.append(Difference(key, path, shown, allowed))
    return differences


_MISSING = object()


def _show(value) -> str:
    if value is _MISSING:
        return ABSENT
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def flatten(obj: dict, where: str) -> dict[str, object]:
    """Leaf values by dotted path; list items that all carry a unique `name` (containers, env
    vars, ports) are addressed by it, so an inserted variable does not shift the others."""
    leaves: dict[str, object] = {}
    _flatten(obj, "", leaves, where)
    return leaves


def _flatten(value, path: str, leaves: dict, where: str, named: bool = False) -> None:
    if len(leaves) > MAX_FIELDS:
        raise CannotCompare(f"{where} has more than {MAX_FIELDS} fields")
    if isinstance(value, dict) and value:
        for key, item in value.items():
            if not (named and key == "name"):  # already in the path: env[LOG_LEVEL]
                _flatten(item, f"{path}.{key}" if path else str(key), leaves, where)
    elif isinstance(value, list) and value:
        names = [str(i.get("name")) for i in value if isinstance(i, dict) and "name" in i]
        named = len(names) == len(value) and len(set(names)) == len(names)
        for index, item in enumerate(value):
            label = names[index] if named else f"#{index}"
            _flatten(item, f"{path}[{label}]", leaves, where, named)
    else:
        leaves[path] = value


def classify(
    kind: str, path: str, values: dict[str, object], namespaces: dict[str, str] | None = None
) -> str:
    """Why environments may differ at `path` ("replicas", "resources", "hostname", "image tag",
    "trace sampling", "namespace", "environment name"), or "" when they should not."""
    if (kind in REPLICA_KINDS and path == "spec.replicas") or (
        kind == "HorizontalPodAutoscaler" and path in {"spec.minReplicas", "spec.maxReplicas"}
    ):
        return "replicas"
    if re.search(r"\.(init)?[cC]ontainers\[[^]]*\]\.resources(\.|$)", path):
        return "resources"
    if path == "metadata.namespace":
        return "namespace"
    if TRACE_SAMPLING_RE.search(path):
        return "trace sampling"  # the observability bundle samples less where approval gates
    present = [v for v in values.values() if v is not _MISSING]
    if len(present) < len(values):
        return ""
    if CONTAINER_RE.search(path) and path.endswith(".image") and _same(present, _image_name):
        return "image tag"
    if _is_host_field(kind, path) or (
        re.search(r"\.env\[[^]]*\]\.value$", path) and _same(present, _without_host)
    ):
        return "hostname"
    if all(isinstance(v, str) for v in present) and _only_env_names_differ(values, namespaces):
        return "environment name"
    return ""


def _same(values: list, key) -> bool:
    keys = [key(v) for v in values]
    return None not in keys and len(set(keys)) == 1


def _image_name(value) -> str | None:
    return split_image(value)[0] if isinstance(value, str) else None


def _is_host_field(kind: str, path: str) -> bool:
    if kind == "Ingress":
        return bool(
            re.fullmatch(r"spec\.(rules\[[^]]*\]\.host|tls\[[^]]*\]\.hosts\[[^]]*\])", path)
        )
    return kind == "HTTPRoute" and bool(re.fullmatch(r"spec\.hostnames\[[^]]*\]", path))


def _without_host(value) -> str | None:
    """The value with its hostname taken out, or None when it holds none: "api.example.com"
    and "https://api.example.com/v1" → "" and "https://<host>/v1"."""
    if not isinstance(value, str):
        return None
    if HOSTNAME_RE.match(value):
        return ""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return None
    if not parts.scheme or not host or not HOSTNAME_RE.match(host):
        return None
    return parts._replace(netloc=parts.netloc.replace(host, "<host>", 1)).geturl()


def generic(text: str, env: str, namespace: str = "") -> str:
    """`text` with the environment's namespace and its name (as a whole word) as placeholders."""
    if namespace:
        text = text.replace(namespace, "<namespace>")
    return re.sub(rf"(?<![A-Za-z0-9]){re.escape(env)}(?![A-Za-z0-9])", "<env>", text)


def _only_env_names_differ(values: dict[str, object], namespaces: dict[str, str] | None) -> bool:
    """True when the values are the same once each environment's namespace and name are
    placeholders: a Vault key "payments/checkout/staging", a label "env: prod"."""
    namespaces = namespaces or {}
    return len({generic(str(v), env, namespaces.get(env, "")) for env, v in values.items()}) == 1
