"""Cut the operations the portal calls, and every component they reference, out of a vendor's
OpenAPI description, so the contract servers validate against a small pinned file.

    python tests/contracts/extract_openapi.py pagerduty <path to openapiv3.json>
    python tests/contracts/extract_openapi.py grafana <path to openapi3.json>

Sources, versions and licences: SOURCES.md ("PagerDuty and Grafana API descriptions").
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OPERATIONS = {
    "pagerduty": {
        "/abilities": ["get"],
        "/escalation_policies": ["get", "post"],
        "/services": ["get", "post"],
        "/services/{id}": ["get"],
        "/services/{id}/integrations": ["post"],
        "/services/{id}/integrations/{integration_id}": ["get"],
        "/oncalls": ["get"],
        "/users": ["get"],
    },
    "grafana": {
        "/search": ["get"],
        "/folders": ["post"],
        "/folders/{folder_uid}": ["get"],
        "/dashboards/db": ["post"],
    },
}
OUTPUT = {"pagerduty": "pagerduty-rest.json", "grafana": "grafana-http.json"}


def refs(node) -> set[str]:
    """Every "#/components/…" reference inside `node`."""
    found = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            found.add(ref)
        for value in node.values():
            found |= refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= refs(value)
    return found


def extract(spec: dict, wanted: dict[str, list[str]]) -> dict:
    paths = {}
    for path, methods in wanted.items():
        item = spec["paths"][path]
        paths[path] = {m: item[m] for m in methods}
        if "parameters" in item:
            paths[path]["parameters"] = item["parameters"]
    components: dict[str, dict] = {}
    pending, seen = refs(paths), set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        name = name.split("/")[0]  # a ref may point inside a component: keep it whole
        node = spec["components"][kind][name]
        components.setdefault(kind, {})[name] = node
        pending |= refs(node) - seen
    for kind in components:
        components[kind] = dict(sorted(components[kind].items()))
    head = {key: spec[key] for key in ("openapi", "info", "servers") if key in spec}
    return {**head, "paths": paths, "components": components}


def main(vendor: str, source: str) -> None:
    spec = json.loads(Path(source).read_text())
    out = HERE / OUTPUT[vendor]
    out.write_text(json.dumps(extract(spec, OPERATIONS[vendor]), indent=1, sort_keys=True) + "\n")
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main(*sys.argv[1:3])
