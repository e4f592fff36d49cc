"""Cut the operations the portal calls, and everything they reference, out of GitHub's OpenAPI.

Usage: npm pack @octokit/openapi@23.0.2 && tar xzf octokit-openapi-23.0.2.tgz &&
       python tests/provisioning/github_openapi/extract.py package/generated/api.github.com.json

The full description is 13 MB; the contract server needs only these operations, so the extract
(api.github.com.extract.json beside this script) is committed and this script says how it was
made. Examples are dropped (the server builds its own answers from the schemas).
"""

import json
import sys
from pathlib import Path

OPERATIONS = [
    ("post", "/app/installations/{installation_id}/access_tokens"),
    ("post", "/orgs/{org}/repos"),
    ("get", "/repos/{owner}/{repo}"),
    ("patch", "/repos/{owner}/{repo}"),
    ("put", "/repos/{owner}/{repo}/topics"),
    ("get", "/repos/{owner}/{repo}/branches/{branch}/protection"),
    ("put", "/repos/{owner}/{repo}/branches/{branch}/protection"),
    ("put", "/orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}"),
    ("post", "/repos/{owner}/{repo}/actions/variables"),
    ("get", "/repos/{owner}/{repo}/actions/variables/{name}"),
    ("patch", "/repos/{owner}/{repo}/actions/variables/{name}"),
    ("get", "/repos/{owner}/{repo}/actions/secrets/public-key"),
    ("put", "/repos/{owner}/{repo}/actions/secrets/{secret_name}"),
    ("get", "/repos/{owner}/{repo}/actions/runs"),
    ("get", "/repos/{owner}/{repo}/pulls"),
    ("post", "/repos/{owner}/{repo}/pulls"),
]
HERE = Path(__file__).parent


def strip_examples(node):
    if isinstance(node, dict):
        return {k: strip_examples(v) for k, v in node.items() if k not in ("examples", "example")}
    if isinstance(node, list):
        return [strip_examples(v) for v in node]
    return node


def refs(node, found):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.add(node["$ref"])
        for value in node.values():
            refs(value, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, found)


def main(source: str) -> None:
    spec = json.loads(Path(source).read_text())
    paths: dict = {}
    for method, path in OPERATIONS:
        paths.setdefault(path, {})[method] = strip_examples(spec["paths"][path][method])
    components: dict = {}
    pending, seen = set(), set()
    refs(paths, pending)
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        if kind == "examples":
            continue
        node = strip_examples(spec["components"][kind][name])
        components.setdefault(kind, {})[name] = node
        refs(node, pending)
    extract = {
        "openapi": spec["openapi"],
        "info": {**spec["info"], "x-extract": "tests/provisioning/github_openapi/extract.py"},
        "paths": paths,
        "components": {k: dict(sorted(v.items())) for k, v in sorted(components.items())},
    }
    out = HERE / "api.github.com.extract.json"
    out.write_text(json.dumps(extract, indent=1, sort_keys=False) + "\n")
    print(f"{out}: {len(OPERATIONS)} operations, {sum(map(len, components.values()))} components")


if __name__ == "__main__":
    main(sys.argv[1])
