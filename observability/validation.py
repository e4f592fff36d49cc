"""Check every artifact of a bundle against its schema, and every PromQL expression with a
real PromQL parser, before anything is committed.

Schemas live in observability/schemas/ (sources in extract.py and each file's `$comment`).
CRD schemas do not forbid unknown fields (the API server prunes them silently); here they are
applied strictly, as `kubectl apply --validate=strict` does, so a misspelt field is an error.
PromQL is parsed with `promql-parser` (the Rust parser of GreptimeDB, as a Python wheel);
Grafana's own variables are replaced by sample values first, as Grafana does before querying.
"""

import copy
import json
from functools import cache
from pathlib import Path

import promql_parser
import yaml
from jsonschema import Draft7Validator

SCHEMAS = Path(__file__).resolve().parent / "schemas"
OBJECT_META_REF = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta#"
KIND_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule.json",
    ("monitoring.coreos.com/v1alpha1", "AlertmanagerConfig"): "alertmanagerconfig.json",
    ("v1", "ConfigMap"): "configmap.json",
    ("kustomize.config.k8s.io/v1alpha1", "Component"): "kustomize-component.json",
    ("apps/v1", "Deployment"): "deployment-patch.json",
    ("external-secrets.io/v1beta1", "ExternalSecret"): "externalsecret.json",
}
# Schemas from the registry packages, applied strictly; ours say what they allow themselves.
STRICT = {"servicemonitor.json", "prometheusrule.json", "alertmanagerconfig.json", "configmap.json"}
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}


def _strict(node, object_meta: dict):
    """Inline ObjectMeta and forbid properties a schema does not list."""
    if isinstance(node, list):
        return [_strict(item, object_meta) for item in node]
    if not isinstance(node, dict):
        return node
    refs = [node, *node.get("oneOf", [])]
    # `metadata: oneOf [ObjectMeta, null]`: the bundle always sets it, so errors point inside.
    if any(isinstance(ref, dict) and ref.get("$ref") == OBJECT_META_REF for ref in refs):
        return object_meta
    strict = {key: _strict(value, object_meta) for key, value in node.items()}
    if (
        strict.get("properties")
        and "additionalProperties" not in strict
        and not strict.get("x-kubernetes-preserve-unknown-fields")
    ):
        strict["additionalProperties"] = False
    return strict


@cache
def _load(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())


@cache
def validator(name: str) -> Draft7Validator:
    schema = _load(name)
    if name in STRICT:
        schema = _strict(copy.deepcopy(schema), _load("objectmeta.json"))
    return Draft7Validator(schema)


def _where(error) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return path.lstrip(".") or "(top level)"


def schema_problems(schema_name: str, document) -> list[str]:
    errors = sorted(validator(schema_name).iter_errors(document), key=lambda e: list(e.path))
    return [f"{_where(e)}: {e.message}" for e in errors]


def promql_problem(expr: str, grafana: bool = False) -> str:
    """'' when `expr` parses, else the parser's message."""
    if grafana:
        for variable, sample in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, sample)
    try:
        promql_parser.parse(expr)
    except ValueError as exc:
        return f"PromQL does not parse ({exc}): {expr}"
    return ""


def _rule_problems(document: dict) -> list[str]:
    exprs = [
        (f"spec.groups[{g}].rules[{r}].expr", rule.get("expr", ""))
        for g, group in enumerate(document.get("spec", {}).get("groups", []))
        for r, rule in enumerate(group.get("rules", []))
    ]
    return [f"{where}: {p}" for where, expr in exprs if (p := promql_problem(str(expr)))]


def dashboard_problems(dashboard: dict) -> list[str]:
    problems = schema_problems("grafana-dashboard.json", dashboard)
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            if problem := promql_problem(target.get("expr", ""), grafana=True):
                problems.append(f"panel '{panel.get('title')}' {target.get('refId')}: {problem}")
    return problems


def _config_map_problems(document: dict) -> list[str]:
    problems = []
    for key, text in (document.get("data") or {}).items():
        if key.endswith(".json"):
            try:
                content = json.loads(text)
            except ValueError as exc:
                problems.append(f"data.{key}: not JSON ({exc})")
                continue
            problems += [f"data.{key}: {p}" for p in dashboard_problems(content)]
        elif key.endswith(".yaml"):
            try:
                yaml.safe_load(text)
            except yaml.YAMLError as exc:
                problems.append(f"data.{key}: not YAML ({exc})")
    return problems


def document_problems(document: dict) -> list[str]:
    """What is wrong with one Kubernetes object (or kustomize file); [] when valid."""
    key = (document.get("apiVersion"), document.get("kind"))
    schema_name = KIND_SCHEMAS.get(key)
    if schema_name is None:
        return [f"no schema for {key[1]} ({key[0]}): the bundle should not contain it"]
    problems = schema_problems(schema_name, document)
    if key[1] == "PrometheusRule":
        problems += _rule_problems(document)
    if key[1] == "ConfigMap":
        problems += _config_map_problems(document)
    return problems


def bundle_problems(files: dict[str, str]) -> dict[str, list[str]]:
    """Each file's problems, for the files that have any."""
    found = {}
    for name, text in files.items():
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            found[name] = [f"not YAML: {exc}"]
            continue
        if problems := document_problems(document):
            found[name] = problems
    return found
