"""Backstage's own code against the portal: @backstage/catalog-client calling the API, and
@backstage/catalog-model validating what the API serves and what export writes.

The Node project in tests/catalog/backstage_client pins both packages; `npm ci` installs them
into its node_modules the first time. Without node and npm the tests are skipped, except in CI
(CI set), where that is a failure.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test import Client

from catalog.backstage.exporting import export_catalog
from catalog.demo import seed_demo_catalog
from catalog.models import Team
from tests.factories import add_member, make_user

NODE_PROJECT = Path(__file__).resolve().parent / "backstage_client"


@pytest.fixture(scope="session")
def node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        if os.environ.get("CI"):
            pytest.fail("CI must run Backstage's client against the API, but node/npm are missing")
        pytest.skip("node and npm are not installed: install Node.js 20 to run Backstage's client")
    if not (NODE_PROJECT / "node_modules/@backstage/catalog-client").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_PROJECT, check=True,
                       capture_output=True, timeout=600)  # fmt: skip
    return node


def run_node(node: str, script: str, *args: str, stdin: str = "") -> dict:
    result = subprocess.run([node, script, *args], cwd=NODE_PROJECT, input=stdin,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def signed_in_cookie(transactional_db) -> str:
    seed_demo_catalog()
    user = make_user("backstage-client")
    add_member(Team.objects.get(name="payments"), user)
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_backstages_catalog_client_works_against_the_api(node, live_server, signed_in_cookie):
    base_url = live_server.url.replace("localhost", "127.0.0.1") + "/api/catalog"
    got = run_node(node, "client_check.js", base_url, signed_in_cookie)

    assert got["entityCount"] == 60 and got["invalid"] == []
    assert got["defaultPageCount"] == 50
    assert {"kind": "Component", "metadata": {"name": "payments-service"}} in got["components"]
    assert got["ordered"][:3] == ["search", "recommendations", "payments"]
    paged = got["paged"]
    flat = [name for page in paged["pages"] for name in page]
    assert paged["totalItems"] == 32 and [len(p) for p in paged["pages"]] == [10, 10, 10, 2]
    assert flat == sorted(flat) and len(set(flat)) == 32
    assert paged["previousPage"] == paged["pages"][2]
    assert got["searched"] == ["ledger-db", "ledger-service"]
    assert [len(page) for page in got["streamed"]] == [3, 3, 2]
    assert got["byRef"]["name"] == "fraud-scoring"
    assert {"type": "ownedBy", "targetRef": "group:default/payments"} in got["byRef"]["relations"]
    assert got["byRef"]["status"]["items"][0]["level"] == "error"
    assert got["missing"] == "undefined"
    assert got["byRefs"] == [
        {"kind": "API", "metadata": {"name": "payments-api"}},
        "undefined",
        {"kind": "Group", "metadata": {"name": "search"}},
    ]
    assert got["facets"] == {"facets": {
        "kind": [{"value": "Component", "count": 9}],
        "spec.lifecycle": [{"value": "production", "count": 8},
                           {"value": "experimental", "count": 1}],
    }}  # fmt: skip
    assert got["notSignedIn"] == {"name": "ResponseError", "status": 401}


def test_exported_descriptors_pass_backstages_validators(node, tmp_path, db):
    seed_demo_catalog()
    add_member(Team.objects.get(name="search"), make_user("carla", first_name="Carla"))
    export_catalog(tmp_path)
    documents = [doc for path in sorted(tmp_path.rglob("*.yaml"))
                 for doc in yaml.safe_load_all(path.read_text())]  # fmt: skip
    assert {doc["kind"] for doc in documents} == {
        "API", "Component", "Domain", "Group", "Location", "Resource", "System", "User",
    }  # fmt: skip
    got = run_node(node, "validate_descriptors.js", stdin=json.dumps(documents))
    assert got == {"checked": 61, "problems": []}


def test_the_validators_do_reject_a_broken_descriptor(node):
    broken = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
              "metadata": {"name": "-bad-"}, "spec": {"type": "service"}}  # fmt: skip
    got = run_node(node, "validate_descriptors.js", stdin=json.dumps([broken]))
    assert got["checked"] == 1 and "metadata.name" in got["problems"][0]["problem"]
