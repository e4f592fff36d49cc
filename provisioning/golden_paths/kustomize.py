"""`kustomize build` for the forms the portal writes, over files read from git (pure).

Supported: `resources` (files and kustomization folders), `components` (kustomize Components,
built onto the objects accumulated so far), `patches` (JSON 6902 ops with a kind/name target,
or a strategic-merge mapping), `replicas`, `namespace` and `images`, applied in kustomize's
order. Anything else raises KustomizeError saying what, so the caller can report "cannot
compare" instead of guessing. The parity check builds what a repository *holds*, hand edits
included; manifests.effective_objects builds what the portal *writes*, to validate it.
"""

import copy
import posixpath

import yaml

MAX_DEPTH = 5  # kustomizations including kustomizations
KUSTOMIZATION_KEYS = {"apiVersion", "kind", "namespace", "resources", "components", "images"}
KUSTOMIZATION_KEYS |= {"patches", "replicas"}
REPLICA_KINDS = {"Deployment", "StatefulSet", "ReplicaSet"}


class KustomizeError(Exception):
    """A kustomization this module cannot interpret; the message says which file and why."""


def read_kustomization(files: dict[str, str], folder: str) -> dict:
    where = f"{folder}/kustomization.yaml"
    if where not in files:
        raise KustomizeError(f"{where} is missing")
    (doc,) = _documents(files[where], where, single=True)
    unknown = sorted(set(doc) - KUSTOMIZATION_KEYS, key=str)
    if unknown:
        raise KustomizeError(
            f"{where} uses {', '.join(map(str, unknown))}, which the portal does not "
            "interpret: keep to resources, components, namespace, images, replicas and patches"
        )
    return doc


def _documents(text: str, where: str, single: bool = False) -> list[dict]:
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise KustomizeError(f"{where} is not valid YAML{line}") from e
    if not all(isinstance(d, dict) for d in docs) or (single and len(docs) != 1):
        raise KustomizeError(f"{where} must hold {'one mapping' if single else 'mappings'}")
    return docs


def build(files: dict[str, str], folder: str, depth: int, objects: list | None = None) -> list:
    """What `kustomize build <folder>` yields, for the forms the portal writes. A Component
    (`components:`) is built onto the objects accumulated so far, as kustomize does."""
    if depth > MAX_DEPTH:
        raise KustomizeError(f"{folder} nests kustomizations more than {MAX_DEPTH} deep")
    k = read_kustomization(files, folder)
    objects = [] if objects is None else objects
    for entry in _list_of(k, "resources", folder, str):
        path = resource_path(folder, entry)
        if f"{path}/kustomization.yaml" in files:
            objects += build(files, path, depth + 1)
        elif path in files:
            objects += [copy.deepcopy(d) for d in _documents(files[path], path)]
        else:
            raise KustomizeError(f"{folder}/kustomization.yaml lists {entry}, which is not there")
    for entry in _list_of(k, "components", folder, str):
        path = resource_path(folder, entry)
        if f"{path}/kustomization.yaml" not in files:
            raise KustomizeError(f"{folder}/kustomization.yaml lists component {entry}, not there")
        build(files, path, depth + 1, objects)
    for patch in _list_of(k, "patches", folder, dict):
        _apply_patch(files, folder, objects, patch)
    _set_replicas(objects, _list_of(k, "replicas", folder, dict), folder)
    if "namespace" in k:
        for obj in objects:
            _member(obj, "metadata")["namespace"] = k["namespace"]
    for image in _list_of(k, "images", folder, dict):
        _set_image(objects, image, folder)
    return objects


def _list_of(k: dict, key: str, folder: str, kind: type) -> list:
    value = k.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, kind) for v in value):
        noun = "names" if kind is str else "mappings"
        raise KustomizeError(f"{folder}/kustomization.yaml: {key} must be a list of {noun}")
    return value


def resource_path(folder: str, entry: str) -> str:
    path = posixpath.normpath(posixpath.join(folder, entry))
    if path.startswith("..") or "://" in entry or posixpath.isabs(entry):
        raise KustomizeError(f"{folder}/kustomization.yaml reaches outside the service: {entry}")
    return path


# --- kustomize's transformers ---------------------------------------------------------------


def _apply_patch(files: dict[str, str], folder: str, objects: list[dict], patch: dict) -> None:
    where = f"{folder}/kustomization.yaml"
    text = patch.get("patch")
    if text is None and isinstance(patch.get("path"), str):
        path = resource_path(folder, patch["path"])
        if path not in files:
            raise KustomizeError(f"{where}: patch file {patch['path']} is not there")
        text = files[path]
    try:
        body = yaml.safe_load(text) if isinstance(text, str) else None
    except yaml.YAMLError as e:
        raise KustomizeError(f"{where}: a patch is not valid YAML") from e
    target = patch.get("target")
    if isinstance(body, dict) and target is None:
        target = _selector(body)  # a strategic-merge patch names its object itself
    if not isinstance(body, (list, dict)) or not isinstance(target, dict):
        raise KustomizeError(f"{where}: a patch must be JSON 6902 ops with a target, or a mapping")
    if set(target) - {"kind", "name"}:
        raise KustomizeError(f"{where}: patch targets may only select by kind and name")
    for obj in objects:
        if all(_selector(obj)[k] == v for k, v in target.items()):
            if isinstance(body, dict):
                strategic_merge(obj, body, where)
            for op in body if isinstance(body, list) else []:
                apply_op(obj, op, where)


def strategic_merge(target: dict, patch: dict, where: str = "patch") -> None:
    """kustomize's strategic merge for the shapes patches use: mappings merge, null deletes,
    lists of named items (containers, env vars, volumes) merge by name, other lists replace."""
    for key, value in patch.items():
        if isinstance(key, str) and key.startswith("$"):
            raise KustomizeError(f"{where}: patch directives such as {key} are not compared")
        current = target.get(key)
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(current, dict):
            strategic_merge(current, value, where)
        elif isinstance(value, list) and _all_named(value) and _all_named(current):
            for item in value:
                match = next((c for c in current if c["name"] == item["name"]), None)
                if match is None:
                    current.append(_without_nulls(item))
                else:
                    strategic_merge(match, item, where)
        else:
            target[key] = _without_nulls(value)


def _without_nulls(value):
    """A copy of a patch value as it lands where nothing was: a null deletes nothing, so it
    is dropped rather than written."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _all_named(value) -> bool:
    return isinstance(value, list) and all(isinstance(i, dict) and "name" in i for i in value)


def _selector(obj: dict) -> dict:
    return {"kind": obj.get("kind"), "name": _member(obj, "metadata").get("name")}


def _member(obj: dict, key: str) -> dict:
    """obj[key] as a mapping, made if absent; a hand edit may have made it something else."""
    value = obj.setdefault(key, {})
    if not isinstance(value, dict):
        raise KustomizeError(f"{obj.get('kind')} has a {key} that is not a mapping")
    return value


def apply_op(doc: dict, op: object, where: str = "patch") -> None:
    """One JSON Patch add/replace/remove, in place. (manifests.apply_ops trusts the portal's
    own ops; hand-written ones also remove, and their mistakes must be named, not raised.)"""
    if not isinstance(op, dict) or op.get("op") not in ("add", "replace", "remove"):
        raise KustomizeError(f"{where}: only add, replace and remove ops can be compared")
    path = op.get("path")
    if (
        not isinstance(path, str)
        or not path.startswith("/")
        or ("value" not in op) != (op["op"] == "remove")
    ):
        raise KustomizeError(f"{where}: op {op['op']} needs a /path and (except remove) a value")
    *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]
    try:
        target = doc
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        _apply_at(target, op, last)
    except (KeyError, IndexError, ValueError, TypeError) as e:
        raise KustomizeError(f"{where}: {op['op']} {path} does not fit the object") from e


def _apply_at(target, op: dict, last: str) -> None:
    if isinstance(target, list):
        index = len(target) if last == "-" and op["op"] == "add" else int(last)
        if not 0 <= index <= len(target) - (op["op"] != "add"):
            raise IndexError(index)
        if op["op"] == "add":
            target.insert(index, op["value"])
        elif op["op"] == "replace":
            target[index] = op["value"]
        else:
            del target[index]
    elif op["op"] == "add":
        target[last] = op["value"]
    elif op["op"] == "replace":
        target[last]  # noqa: B018 - replace needs the member to exist
        target[last] = op["value"]
    else:
        del target[last]


def _set_replicas(objects: list[dict], entries: list[dict], folder: str) -> None:
    for entry in entries:
        if not isinstance(entry.get("count"), int):
            raise KustomizeError(f"{folder}/kustomization.yaml: replicas need a name and a count")
        for obj in objects:
            if obj.get("kind") in REPLICA_KINDS and _selector(obj)["name"] == entry.get("name"):
                _member(obj, "spec")["replicas"] = entry["count"]


def split_image(image: str) -> tuple[str, str]:
    """("registry/name", ":tag" or "@digest" or "")."""
    name, at, digest = image.partition("@")
    if at:
        return name, f"@{digest}"
    slash = image.rfind("/")
    colon = image.rfind(":")
    return (image[:colon], image[colon:]) if colon > slash else (image, "")


def _set_image(objects: list[dict], image: dict, folder: str) -> None:
    if not isinstance(image.get("name"), str):
        raise KustomizeError(f"{folder}/kustomization.yaml: every images entry needs a name")
    for container in _containers(objects):
        name, suffix = split_image(str(container.get("image", "")))
        if name != image["name"]:
            continue
        if image.get("newTag") is not None:
            suffix = f":{image['newTag']}"
        if image.get("digest"):
            suffix = f"@{image['digest']}"
        container["image"] = f"{image.get('newName') or name}{suffix}"


def _containers(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key in {"containers", "initContainers"} and isinstance(item, list):
                yield from (c for c in item if isinstance(c, dict))
            else:
                yield from _containers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _containers(item)
