"""Check generated objects against the real schemas stored in schemas/ (see SOURCES.md).

Kubernetes kinds are checked against the v1.33 strict schemas (unknown fields are errors), the
CI workflow against SchemaStore's github-workflow schema, every kustomization.yaml (base,
overlays, Components) against SchemaStore's kustomization schema. Each problem names the object,
the field path and what the schema says.
"""

import json
import re
from functools import cache
from pathlib import Path

import yaml
from jsonschema.validators import validator_for

SCHEMAS = Path(__file__).resolve().parent / "schemas"
# Argo CD Application and ExternalSecret: their CRD validators run in the test suite (Node).
CRD_KINDS = {"argoproj.io/v1alpha1/Application", "external-secrets.io/v1beta1/ExternalSecret"}


class _Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 booleans (only true/false), as GitHub reads workflows: `on:` stays a key."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf")
)


def load_yaml(text: str):
    return yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader subclass


@cache
def _kubernetes() -> dict:
    return json.loads((SCHEMAS / "kubernetes.json").read_text())


@cache
def _kind_validator(key: str):
    schemas = _kubernetes()
    schema = {"$schema": schemas["$schema"], **schemas["kinds"][key], "$defs": schemas["$defs"]}
    return validator_for(schema)(schema)


@cache
def _kustomization_validator():
    schema = json.loads((SCHEMAS / "kustomization.json").read_text())
    return validator_for(schema)(schema)


@cache
def _workflow_validator():
    schema = json.loads((SCHEMAS / "github-workflow.json").read_text())
    return validator_for(schema)(schema)


def _messages(validator, instance, prefix: str) -> list[str]:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [
        f"{prefix}: {'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}"
        for e in errors
    ]


def object_key(obj: dict) -> str:
    return f"{obj.get('apiVersion')}/{obj.get('kind')}"


def kubernetes_problems(obj: dict) -> list[str]:
    """What the Kubernetes schema finds wrong with one object; [] when valid."""
    key, name = object_key(obj), obj.get("metadata", {}).get("name", "?")
    if key in CRD_KINDS:
        return []
    if key not in _kubernetes()["kinds"]:
        return [f"{obj.get('kind')} {name}: no schema for {key} is stored in schemas/"]
    return _messages(_kind_validator(key), obj, f"{obj.get('kind')} {name}")


def has_schema(obj: dict) -> bool:
    """Whether kubernetes_problems can judge `obj` (a stored kind or a CRD checked elsewhere)."""
    key = object_key(obj)
    return key in CRD_KINDS or key in _kubernetes()["kinds"]


# What kustomize accepts at the top of a kustomization.yaml: the schema leaves them free.
KUSTOMIZE_KINDS = {
    "Kustomization": "kustomize.config.k8s.io/v1beta1",
    "Component": "kustomize.config.k8s.io/v1alpha1",
}


def kustomization_problems(text: str, name: str = "kustomization.yaml") -> list[str]:
    """What SchemaStore's kustomization schema (and kustomize's kinds) find wrong; [] when valid."""
    try:
        doc = load_yaml(text)
    except yaml.YAMLError as exc:
        return [f"{name}: not valid YAML ({exc})"]
    problems = _messages(_kustomization_validator(), doc, name)
    if isinstance(doc, dict) and KUSTOMIZE_KINDS.get(doc.get("kind")) != doc.get("apiVersion"):
        kinds = ", ".join(f"{v} {k}" for k, v in KUSTOMIZE_KINDS.items())
        problems.append(f"{name}: apiVersion and kind must be one of: {kinds}")
    return problems


def workflow_problems(text: str, name: str = "workflow") -> list[str]:
    try:
        workflow = load_yaml(text)
    except yaml.YAMLError as exc:
        return [f"{name}: not valid YAML ({exc})"]
    return _messages(_workflow_validator(), workflow, name)
