"""Extract the GitHub webhook payload schemas the portal reads (workflow_run completed,
deployment_status created, push, ping), with every definition they reference, from
@octokit/webhooks-schemas' `schema.json` into the small committed `schemas_extract.json`.

Usage: npm pack @octokit/webhooks-schemas@7.6.1 && tar xzf octokit-webhooks-schemas-7.6.1.tgz
       python tests/provisioning/github_webhooks/extract_schemas.py package/schema.json 7.6.1
(MIT licence; see SOURCES.md).
"""

import json
import sys
from pathlib import Path

EVENTS = ["workflow_run$completed", "deployment_status$created", "push$event", "ping$event"]
OUT = Path(__file__).with_name("schemas_extract.json")


def refs(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        return found.union(*(refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(refs(v) for v in node))
    return set()


def extract(schema: dict, version: str) -> dict:
    wanted, todo = set(), set(EVENTS)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo |= refs(schema["definitions"][name])
    return {
        "$schema": schema["$schema"],
        "$comment": f"@octokit/webhooks-schemas@{version} (MIT), extracted by extract_schemas.py",
        "definitions": {name: schema["definitions"][name] for name in sorted(wanted)},
    }


if __name__ == "__main__":
    source, version = Path(sys.argv[1]), sys.argv[2]
    OUT.write_text(json.dumps(extract(json.loads(source.read_text()), version), indent=1) + "\n")
