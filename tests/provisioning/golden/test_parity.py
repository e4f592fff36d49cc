"""Environment parity: the pure comparison, the service page's section and the report page."""

import subprocess

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext

from provisioning import engine
from provisioning.choices import RequestState
from provisioning.git_host.local import ensure_repository
from provisioning.git_host.plumbing import commit_files, read_files
from provisioning.golden_paths import deployments, kustomize, manifests, parity, services
from provisioning.golden_paths.sections import gitops_files, parity_section
from provisioning.models import Environment, ProvisioningRequest, ServiceOrigin
from provisioning.planning import EnvironmentSpec
from tests.factories import make_component, make_team, make_user

ENVS = ["dev", "staging", "prod"]
SPECS = {name: EnvironmentSpec(name, "eu-west-1") for name in ENVS}
DEFAULTS = {"dev": {"replicas": 1}, "prod": {"replicas": 3, "max_replicas": 10, "cpu_limit": "1"}}
REPORT = "/provisioning/parity/"
CONTAINER = manifests.base_objects(
    manifests.Workload("checkout", "payments", "ghcr.io/acme/checkout", 8080, "", {}, {})
)["deployment.yaml"]["spec"]["template"]["spec"]["containers"][0]["name"]
PAGE = "/catalog/services/default/checkout/"


def workload(name="checkout") -> manifests.Workload:
    return manifests.Workload(
        name, "payments", f"ghcr.io/acme/{name}", 8080, "python-http@1", DEFAULTS, {}
    )


def service_files(tags=None, name="checkout") -> dict[str, str]:
    """What the portal writes under apps/<name>/: the base and one overlay per environment."""
    w = workload(name)
    tags = {"dev": "a1", "staging": "b2", "prod": "c3"} if tags is None else tags
    files = {f"base/{p}": t for p, t in manifests.base_files(w).items()}
    for env, tag in tags.items():
        overlay = manifests.overlay_files(w, SPECS[env], tag)
        files |= {f"overlays/{env}/{p}": t for p, t in overlay.items()}
    return files


def edit_kustomization(files: dict, env: str, change) -> dict:
    path = f"overlays/{env}/kustomization.yaml"
    doc = yaml.safe_load(files[path])
    change(doc)
    return {**files, path: manifests.to_yaml(doc)}


def add_env_var(name: str, value: str, service: str = "checkout"):
    op = {"op": "add", "path": "/spec/template/spec/containers/0/env/-"}
    op["value"] = {"name": name, "value": value}

    def change(doc):
        doc["patches"].append(
            {"target": {"kind": "Deployment", "name": service}, "patch": manifests.to_yaml([op])}
        )

    return change


# --- The pure comparison --------------------------------------------------------------------


def test_overlays_that_differ_only_where_allowed_match():
    result = parity.compare_service(service_files(), ENVS)
    assert result.matches and result.problems == () and result.compared == tuple(ENVS)
    assert {"replicas", "resources", "image tag", "namespace", "environment name"} <= set(
        result.allowed_kinds
    )
    assert not result.flagged


def test_an_overlay_is_applied_to_the_base_as_kustomize_would():
    files = service_files()
    built = kustomize.build(files, "overlays/prod", 0)
    expected = manifests.effective_objects(workload(), SPECS["prod"], "c3")
    key = parity.object_key
    assert sorted(built, key=key) == sorted(expected, key=key)


def test_a_hand_edited_env_var_in_prod_is_flagged_with_each_value():
    files = edit_kustomization(service_files(), "staging", add_env_var("LOG_LEVEL", "info"))
    files = edit_kustomization(files, "prod", add_env_var("LOG_LEVEL", "debug"))
    result = parity.compare_service(files, ENVS)
    (flagged,) = result.flagged
    assert flagged.obj == "Deployment/checkout"
    assert flagged.path == f"spec.template.spec.containers[{CONTAINER}].env[LOG_LEVEL].value"
    assert flagged.values == (("dev", parity.ABSENT), ("staging", "info"), ("prod", "debug"))
    assert not result.matches and result.issue_count == 1


def test_a_missing_overlay_is_flagged():
    files = {p: t for p, t in service_files().items() if not p.startswith("overlays/prod/")}
    result = parity.compare_service(files, ENVS)
    (flagged,) = result.flagged
    assert flagged.what == "no overlay for prod"
    assert result.compared == ("dev", "staging")


def test_a_service_missing_from_the_repository_is_flagged_for_every_environment():
    (flagged,) = parity.compare_service({}, ENVS).flagged
    assert flagged.what == "no overlay for dev, staging, prod"


def test_an_unparseable_overlay_cannot_be_compared_and_the_others_still_are():
    files = service_files()
    files["overlays/prod/kustomization.yaml"] = "resources: [../../base\nnamespace: x:\n"
    result = parity.compare_service(files, ENVS)
    (problem,) = result.problems
    assert problem.startswith("cannot compare prod: overlays/prod/kustomization.yaml is not valid")
    assert result.compared == ("dev", "staging") and not result.matches


@pytest.mark.parametrize(
    "path, text, says",
    [
        ("overlays/prod/kustomization.yaml", "- just\n- a list\n", "must hold one mapping"),
        (
            "overlays/prod/kustomization.yaml",
            "resources: [../../base]\nconfigMapGenerator: []\n",
            "uses configMapGenerator",
        ),
        ("overlays/prod/kustomization.yaml", "resources: ../../base\n", "resources must be a list"),
        ("overlays/prod/kustomization.yaml", "resources: [1, 2]\n", "resources must be a list"),
        ("overlays/prod/kustomization.yaml", "resources: [../../../other]\n", "reaches outside"),
        ("overlays/prod/kustomization.yaml", "resources: [gone.yaml]\n", "gone.yaml, which is not"),
        ("overlays/prod/kustomization.yaml", "images: [{newTag: x}]\n", "needs a name"),
        ("base/service.yaml", "kind: [\n", "base/service.yaml is not valid YAML"),
    ],
)
def test_overlays_it_cannot_interpret_are_named_not_raised(path, text, says):
    files = {**service_files(), path: text}
    result = parity.compare_service(files, ENVS)
    assert any(says in p for p in result.problems), result.problems


@pytest.mark.parametrize(
    "op, says",
    [
        ({"op": "move", "from": "/a", "path": "/b"}, "only add, replace and remove"),
        ({"op": "replace", "path": "/spec/nothing/here", "value": 1}, "does not fit"),
        ({"op": "replace", "path": "/spec/template/spec/containers/7", "value": 1}, "does not fit"),
        ({"op": "add", "path": "spec/replicas", "value": 1}, "needs a /path"),
        ("not an op", "only add, replace and remove"),
        ({"op": {"op": "add"}, "path": "/x", "value": 1}, "only add, replace and remove"),
        ({"op": "replace", "path": "/metadata", "value": [1]}, "metadata that is not a mapping"),
    ],
)
def test_patch_ops_it_cannot_apply_are_named_not_raised(op, says):
    def change(doc):
        doc["patches"][0]["patch"] = manifests.to_yaml([op])

    result = parity.compare_service(edit_kustomization(service_files(), "prod", change), ENVS)
    (problem,) = result.problems
    assert problem.startswith("cannot compare prod:") and says in problem


def test_a_strategic_merge_directive_cannot_be_compared():
    def change(doc):
        patch = {"kind": "Deployment", "metadata": {"name": "checkout"}, "$patch": "delete"}
        doc["patches"].append({"patch": manifests.to_yaml(patch)})

    result = parity.compare_service(edit_kustomization(service_files(), "prod", change), ENVS)
    assert "$patch" in result.problems[0]


def test_a_removed_field_is_flagged():
    op = {"op": "remove", "path": "/spec/template/spec/containers/0/readinessProbe"}

    def change(doc):
        doc["patches"][0]["patch"] += manifests.to_yaml([op])

    result = parity.compare_service(edit_kustomization(service_files(), "prod", change), ENVS)
    paths = {d.path for d in result.flagged}
    assert f"spec.template.spec.containers[{CONTAINER}].readinessProbe.httpGet.path" in paths
    assert all(d.values[-1] == ("prod", parity.ABSENT) for d in result.flagged)


def test_hostnames_may_differ_but_not_the_rest_of_a_url():
    files = edit_kustomization(service_files(), "dev", add_env_var("API_HOST", "api.dev.acme.io"))
    files = edit_kustomization(files, "staging", add_env_var("API_HOST", "api.stg.acme.io"))
    files = edit_kustomization(files, "prod", add_env_var("API_HOST", "api.acme.io"))
    for env, url in (("dev", "https://x.dev.io/v1"), ("staging", "https://y.io/v1")):
        files = edit_kustomization(files, env, add_env_var("API_URL", url))
    files = edit_kustomization(files, "prod", add_env_var("API_URL", "https://x.io/v2"))
    result = parity.compare_service(files, ENVS)
    by_path = {d.path.rsplit(".", 2)[-2]: d for d in result.differences}
    assert by_path["env[API_HOST]"].allowed == "hostname"
    assert by_path["env[API_URL]"].flagged


def test_another_image_repository_is_flagged_but_another_tag_is_not():
    def change(doc):
        doc["images"][0]["newName"] = "docker.io/someone/checkout"

    result = parity.compare_service(edit_kustomization(service_files(), "prod", change), ENVS)
    (flagged,) = result.flagged
    assert flagged.path.endswith(f"containers[{CONTAINER}].image")
    assert ("prod", "docker.io/someone/checkout:c3") in flagged.values


def test_environments_with_nothing_deployed_only_compare_their_own_objects():
    result = parity.compare_service(
        service_files({"dev": None, "staging": "b2", "prod": None}), ENVS
    )
    assert result.matches and result.not_deployed == ("dev", "prod")


def test_an_object_added_by_hand_to_one_overlay_is_flagged():
    files = service_files()
    files["overlays/prod/extra.yaml"] = "kind: ConfigMap\nmetadata: {name: feature-flags}\n"
    files = edit_kustomization(files, "prod", lambda doc: doc["resources"].append("extra.yaml"))
    (flagged,) = parity.compare_service(files, ENVS).flagged
    assert flagged.what == "ConfigMap/feature-flags (whole object)"
    assert flagged.values == (
        ("dev", parity.ABSENT),
        ("staging", parity.ABSENT),
        ("prod", "present"),
    )


def component_files(env: str, ratio: str) -> dict[str, str]:
    """An observability-style kustomize Component: its own ConfigMap and a strategic-merge patch."""
    folder = f"{env}/observability"
    patch = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "checkout"},
        "spec": {"template": {"spec": {"containers": [
            {"name": CONTAINER, "env": [{"name": "OTEL_TRACES_SAMPLER_ARG", "value": ratio}]}
        ]}}},
    }  # fmt: skip
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "checkout-dashboard"},
        "data": {f"checkout-{env}.json": f'{{"title": "checkout in {env}"}}'},
    }
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1alpha1",
        "kind": "Component",
        "resources": ["dashboard.yaml"],
        "patches": [{"path": "patch.yaml", "target": {"kind": "Deployment", "name": "checkout"}}],
    }
    return {
        f"{folder}/kustomization.yaml": manifests.to_yaml(kustomization),
        f"{folder}/patch.yaml": manifests.to_yaml(patch),
        f"{folder}/dashboard.yaml": manifests.to_yaml(config),
    }


def with_components(ratios: dict[str, str]) -> dict[str, str]:
    files = service_files()
    for env, ratio in ratios.items():
        files |= component_files(env, ratio)
        files = edit_kustomization(
            files, env, lambda doc, env=env: doc.setdefault("components", []).append(
                f"../../{env}/observability"
            )
        )  # fmt: skip
    return files


def test_components_are_applied_and_their_per_environment_names_allowed():
    files = with_components({e: "0.1" for e in ENVS})
    built = kustomize.build(files, "overlays/prod", 0)
    deployment = next(o for o in built if o["kind"] == "Deployment")
    env = {
        v["name"]: v["value"]
        for v in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["OTEL_TRACES_SAMPLER_ARG"] == "0.1" and env["DEPLOY_ENVIRONMENT"] == "prod"
    assert parity.compare_service(files, ENVS).matches


def test_a_component_value_that_differs_is_compared_like_the_overlays_own():
    """The bundle's sampling differs by design (less where approval gates); it is compared
    through the Component's patch and allowed as trace sampling, not flagged."""
    result = parity.compare_service(
        with_components({"dev": "1.0", "staging": "0.1", "prod": "0.1"}), ENVS
    )
    assert result.matches and not result.flagged
    sampled = [d for d in result.differences if d.allowed == "trace sampling"]
    assert sampled and sampled[0].path.endswith("env[OTEL_TRACES_SAMPLER_ARG].value")
    assert sampled[0].values[0] == ("dev", "1.0")


def test_a_huge_object_cannot_be_compared():
    files = service_files()
    big = {
        "kind": "ConfigMap",
        "metadata": {"name": "big"},
        "data": {str(i): "x" for i in range(6000)},
    }
    for env in ENVS:
        files[f"overlays/{env}/big.yaml"] = manifests.to_yaml(big)
        files = edit_kustomization(files, env, lambda doc: doc["resources"].append("big.yaml"))
    assert "more than" in parity.compare_service(files, ENVS).problems[0]


def test_files_are_grouped_by_service_folder():
    grouped = parity.files_by_service({"a/base/x.yaml": "1", "b/overlays/dev/y": "2", "top": "3"})
    assert grouped == {"a": {"base/x.yaml": "1"}, "b": {"overlays/dev/y": "2"}}


# --- Reading the repository -----------------------------------------------------------------


def add_binary_file(repo, path: str, data: bytes) -> None:
    """Commit bytes that are not UTF-8, as someone pushing an image would."""

    def git(*args, stdin=None, env=None):
        return subprocess.run(
            ["git", f"--git-dir={repo}", *args], input=stdin, capture_output=True, check=True,
            env={"PATH": "/usr/bin:/bin", "GIT_AUTHOR_NAME": "x", "GIT_AUTHOR_EMAIL": "x@x",
                 "GIT_COMMITTER_NAME": "x", "GIT_COMMITTER_EMAIL": "x@x", **(env or {})},
        ).stdout.decode().strip()  # fmt: skip

    index = {"GIT_INDEX_FILE": str(repo / "test-index")}
    blob = git("hash-object", "-w", "--stdin", stdin=data)
    git("read-tree", "main", env=index)
    git("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=index)
    commit = git("commit-tree", git("write-tree", env=index), "-p", "main", "-m", "binary")
    git("update-ref", "refs/heads/main", commit)


def test_the_tree_is_read_whole_and_a_file_that_is_not_text_does_not_break_it(git_dir):
    repo, _ = ensure_repository("gitops")
    files = {"a/x.yaml": "héllo: wörld\n", "a/sub/y.yaml": "", "b/z.yaml": "z\n" * 1000}
    commit_files(repo, "main", files, "seed", "apps")
    commit_files(repo, "main", {"other.yaml": "no"}, "elsewhere")
    assert gitops_files("apps") == files
    assert read_files(repo, "missing-branch", "apps", errors="replace") == {}
    assert read_files(git_dir / "absent.git", "main", "apps", errors="replace") == {}
    add_binary_file(repo, "apps/a/logo.png", b"\x89PNG\xff\xfe")
    read = gitops_files("apps")
    assert read["a/x.yaml"] == files["a/x.yaml"] and read["a/logo.png"].startswith("\ufffdPNG")


# --- The service page's section -------------------------------------------------------------


@pytest.fixture
def live(personas, python_http):
    """checkout, created from the Python golden path, deployed to staging and to dev."""
    staging = Environment.objects.get(name="staging")
    request = services.submit_new_service(
        personas.teammate, python_http, "checkout", personas.team, "Takes card payments",
        {"port": 8080, "python_version": "3.12"}, staging,
    )  # fmt: skip
    assert engine.apply(request.pk, "w1").state == RequestState.SUCCEEDED
    origin = ServiceOrigin.objects.get(name="checkout")
    deployments.deploy(personas.teammate, origin, Environment.objects.get(name="dev"), "3f9c2e1")
    assert (
        engine.apply(ProvisioningRequest.objects.latest("pk").pk, "w2").state
        == RequestState.SUCCEEDED
    )
    return origin


def hand_edit(git_dir, env: str, change) -> None:
    """Commit a change to an overlay's kustomization.yaml, as a person editing the repo would."""
    repo = git_dir / "gitops.git"
    folder = f"apps/checkout/overlays/{env}"
    files = edit_kustomization(
        {
            f"overlays/{env}/kustomization.yaml": read_files(repo, "main", folder)[
                "kustomization.yaml"
            ]
        },
        env,
        change,
    )
    commit_files(
        repo,
        "main",
        {"kustomization.yaml": files[f"overlays/{env}/kustomization.yaml"]},
        "hand edit",
        folder,
    )


def test_the_section_says_environments_match_for_a_fresh_service(member_client, live):
    html = member_client.get(PAGE).content.decode()
    assert "Environment parity" in html and "<strong>Environments match</strong>" in html
    assert "Nothing deployed yet in prod" in html


def test_the_section_flags_a_hand_edit_committed_to_the_gitops_repository(
    member_client, live, git_dir
):
    hand_edit(git_dir, "staging", add_env_var("FEATURE_X", "on"))
    html = member_client.get(PAGE).content.decode()
    assert "Environments match" not in html
    assert (
        f"Deployment/checkout: spec.template.spec.containers[{CONTAINER}].env[FEATURE_X].value"
        in html
    )
    assert "staging: <code" in html and 'title="on"' in html
    assert f'dev: <code title="{parity.ABSENT}">' in html


def test_the_section_says_not_connected_when_the_git_host_is_not_local(
    member_client, live, settings
):
    settings.GIT_HOST = "github"
    html = member_client.get(PAGE).content.decode()
    assert "Environment parity can't be checked" in html and "not connected" in html


def test_the_section_is_left_out_for_services_not_made_from_a_golden_path(owner_client, personas):
    component = make_component("petstore", owner=personas.team)
    html = owner_client.get(component.get_absolute_url()).content.decode()
    assert "Environment parity" not in html and 'id="section-parity"' not in html


def test_the_section_costs_one_query(rf, live, personas):
    request = rf.get("/")
    request.user = personas.teammate
    plain = make_component("petstore", owner=personas.team)
    for component in (live.component, plain):
        with CaptureQueriesContext(connection) as queries:
            parity_section(request, component)
        assert len(queries) == 1


# --- The report page ------------------------------------------------------------------------


def make_service(name: str, gp, team, files: dict[str, str] | None) -> ServiceOrigin:
    """A golden-path service row with `files` committed under apps/<name>/ (None: nothing)."""
    component = make_component(name, owner=team)
    origin = ServiceOrigin.objects.create(
        name=name, component=component, golden_path=gp, team=team, image=f"ghcr.io/acme/{name}"
    )
    if files is not None:
        repo, _ = ensure_repository("gitops")
        commit_files(repo, "main", files, f"write {name}", f"apps/{name}")
    return origin


def flagged_files(name: str, count: int) -> dict[str, str]:
    files = service_files(name=name)
    for i in range(count):
        files = edit_kustomization(files, "prod", add_env_var(f"HAND_{i}", "x", name))
    return files


@pytest.fixture
def fleet(python_http, personas):
    return [
        make_service("alpha", python_http, personas.team, service_files(name="alpha")),
        make_service("beta", python_http, personas.team, flagged_files("beta", 2)),
        make_service("gamma", python_http, personas.team, flagged_files("gamma", 1)),
    ]


def test_the_report_lists_services_worst_first(platform_client, fleet):
    response = platform_client.get(REPORT)
    assert response.status_code == 200
    names = [row["origin"].name for row in response.context["rows"]]
    assert names == ["beta", "gamma", "alpha"]
    counts = [len(row["parity"].flagged) for row in response.context["rows"]]
    assert counts == [2, 1, 0]
    html = response.content.decode()
    assert 'href="/catalog/services/default/beta/#section-parity"' in html
    assert "environments match" in html


def test_the_report_filters_by_team(platform_client, fleet, python_http, personas):
    other = make_team("orders")
    make_service("delta", python_http, other, None)
    response = platform_client.get(REPORT, {"team": "orders"})
    (row,) = response.context["rows"]
    assert row["origin"].name == "delta" and row["parity"].flagged[0].what.startswith("no overlay")
    assert len(platform_client.get(REPORT).context["rows"]) == 4


def test_an_unknown_team_in_the_filter_says_what_to_do(platform_client, fleet):
    response = platform_client.get(REPORT, {"team": "nobody"})
    assert "pick one from the list" in response.content.decode()
    assert len(response.context["rows"]) == 3


def test_the_report_is_for_platform_admins_only(client, owner_client, fleet):
    response = owner_client.get(REPORT)
    assert response.status_code == 403
    assert "for platform admins" in response.content.decode()
    client.logout()
    assert client.get(REPORT)["Location"].startswith("/accounts/login/")


def test_the_report_refuses_writes(platform_client):
    assert platform_client.post(REPORT).status_code == 405


def test_the_report_says_not_connected_when_the_git_host_is_not_local(
    platform_client, fleet, settings
):
    settings.GIT_HOST = "github"
    response = platform_client.get(REPORT)
    assert response.status_code == 200 and "not connected" in response.content.decode()
    assert response.context["rows"] == []


def test_the_report_costs_the_same_queries_however_many_services(
    platform_client, python_http, personas
):
    make_service("one", python_http, personas.team, service_files(name="one"))
    with CaptureQueriesContext(connection) as few:
        platform_client.get(REPORT)
    for name in ("two", "three", "four"):
        make_service(name, python_http, personas.team, flagged_files(name, 1))
    with CaptureQueriesContext(connection) as many:
        platform_client.get(REPORT)
    assert len(many) == len(few)


def test_the_report_is_linked_from_the_provisioning_page_for_admins_only(client, personas):
    client.force_login(make_user("platform", is_staff=True))
    assert REPORT in client.get("/provisioning/").content.decode()
    client.force_login(personas.owner)
    assert REPORT not in client.get("/provisioning/").content.decode()


def test_trace_sampling_may_differ_but_other_tracing_settings_may_not():
    sampling = {"dev": "1", "staging": "1", "prod": "0.1"}
    assert parity.classify("ConfigMap", "data.OTEL_TRACES_SAMPLER_ARG", sampling) == (
        "trace sampling"
    )
    env_path = "spec.template.spec.containers[checkout].env[OTEL_TRACES_SAMPLER_ARG].value"
    assert parity.classify("Deployment", env_path, sampling) == "trace sampling"
    exporter = {"dev": "grpc", "staging": "grpc", "prod": "http/protobuf"}
    assert parity.classify("ConfigMap", "data.OTEL_EXPORTER_OTLP_PROTOCOL", exporter) == ""
