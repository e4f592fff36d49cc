"""Extract the Argo CD API operations the portal calls, with the schemas they reference, from
Argo CD's published `assets/swagger.json` into the small committed `swagger_extract.json`.

Usage: python tests/provisioning/argocd/extract_swagger.py <path to swagger.json> <commit>
(the source: github.com/argoproj/argo-cd, Apache-2.0; see SOURCES.md).
"""

import json
import sys
from pathlib import Path

OPERATIONS = {
    "/api/v1/applications": ["get"],
    "/api/v1/applications/{name}": ["get"],
    "/api/v1/applications/{name}/sync": ["post"],
    "/api/version": ["get"],  # the integrations page's "Test connection"
}
OUT = Path(__file__).with_name("swagger_extract.json")


def refs(node: object) -> set[str]:
    """The definition names a schema fragment references, directly."""
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        return found.union(*(refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(refs(v) for v in node))
    return set()


def extract(spec: dict, commit: str) -> dict:
    paths = {p: {m: spec["paths"][p][m] for m in methods} for p, methods in OPERATIONS.items()}
    wanted, todo = set(), refs(paths)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo |= refs(spec["definitions"][name])
    return {
        "swagger": spec["swagger"],
        "info": {"title": spec["info"]["title"], "x-source": f"argoproj/argo-cd@{commit}"},
        "consumes": spec.get("consumes", []),
        "produces": spec.get("produces", []),
        "paths": paths,
        "definitions": {name: spec["definitions"][name] for name in sorted(wanted)},
    }


if __name__ == "__main__":
    source, commit = Path(sys.argv[1]), sys.argv[2]
    OUT.write_text(json.dumps(extract(json.loads(source.read_text()), commit), indent=1) + "\n")
