"""Each overlay of deploy/ builds with `kubectl kustomize`, every object is valid Kubernetes
(kubernetes-validate, strict, at a pinned version), and the promises of the README hold."""

import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from provisioning.drivers import kubernetes as driver
from tests.helpers import ROOT

ENVIRONMENTS = ["staging", "production"]
# The cluster version the manifests are checked against (this machine's kubectl is 1.32).
KUBERNETES_VERSION = "1.32.0"
NAMESPACES = {"staging": "idp-portal-staging", "production": "idp-portal"}
# What provisioning/drivers/kubernetes.py calls on each kind (`_call(api, verb, …)`), as RBAC
# verbs: read → get, replace → update.
DRIVER_VERBS = {
    driver.NAMESPACE.plural: {"get", "create", "patch", "delete"},
    driver.QUOTA.plural: {"get", "create", "update"},
    driver.LIMITS.plural: {"get", "create", "update"},
    driver.BINDING.plural: {"get", "create", "update", "delete"},
    driver.NETWORK_POLICY.plural: {"get", "create", "update", "delete"},
}


def build(environment: str) -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail(
            "kubectl is not installed: the deploy manifests cannot be built. Install it "
            "(e.g. apt-get install kubectl, or the google-cloud-sdk's) and run again."
        )
    result = subprocess.run(
        [kubectl, "kustomize", str(ROOT / "deploy" / "overlays" / environment)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"kubectl kustomize {environment} failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def overlay(request):
    return request.param, build(request.param)


def objects(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_specs(docs: list[dict]) -> dict[str, dict]:
    """Every pod template's spec, by its Deployment's or Job's name."""
    return {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]
        for d in docs
        if d["kind"] in {"Deployment", "Job"}
    }


def containers(spec: dict) -> list[dict]:
    return spec.get("initContainers", []) + spec["containers"]


def config(docs: list[dict]) -> dict[str, str]:
    (configmap,) = objects(docs, "ConfigMap").values()
    return configmap["data"]


def test_every_object_is_valid_kubernetes_in_strict_mode(overlay):
    environment, docs = overlay
    assert len(docs) > 15
    for doc in docs:
        # Raises ValidationError naming the field, e.g. an unknown one in strict mode.
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_strict_validation_refuses_an_unknown_field():
    web = objects(build("staging"), "Deployment")["idp-portal-web"]
    web["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}  # misspelt
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, KUBERNETES_VERSION, strict=True)


def test_web_is_ready_on_readyz_and_alive_on_healthz_with_an_allowed_host(overlay):
    _, docs = overlay
    web = pod_specs(docs)["idp-portal-web"]["containers"][0]
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in (web["readinessProbe"], web["livenessProbe"]):
        (host,) = probe["httpGet"]["httpHeaders"]
        assert host["name"] == "Host"
        assert host["value"] in config(docs)["ALLOWED_HOSTS"].split(",")


def test_exactly_one_beat_and_the_old_one_stops_before_the_new_one_starts(overlay):
    _, docs = overlay
    beat = objects(docs, "Deployment")["idp-portal-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    scaled = {
        h["spec"]["scaleTargetRef"]["name"]
        for h in objects(docs, "HorizontalPodAutoscaler").values()
    }
    assert "idp-portal-beat" not in scaled
    assert int(config(docs)["BEAT_LOCK_SECONDS"]) >= 10


def test_every_pod_runs_non_root_on_a_read_only_root_without_privileges(overlay):
    _, docs = overlay
    for name, spec in pod_specs(docs).items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] != 0, name
        for container in containers(spec):
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, (name, container["name"])
            assert security["allowPrivilegeEscalation"] is False, (name, container["name"])
            assert security["capabilities"]["drop"] == ["ALL"], (name, container["name"])
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert {"/tmp", "/var/lib/portal"} <= mounts, (name, container["name"])


def test_every_container_has_cpu_and_memory_requests_and_limits(overlay):
    _, docs = overlay
    for name, spec in pod_specs(docs).items():
        for container in containers(spec):
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) == {"cpu", "memory"}, (name, bound)


def test_web_and_workers_autoscale_and_their_deployments_leave_the_count_to_it(overlay):
    _, docs = overlay
    deployments = objects(docs, "Deployment")
    targets = {
        h["spec"]["scaleTargetRef"]["name"]: h
        for h in objects(docs, "HorizontalPodAutoscaler").values()
    }
    assert set(targets) == {"idp-portal-web", "idp-portal-worker"}
    for name, hpa in targets.items():
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert name in deployments
        # A replicas field would reset the autoscaler's count at every apply.
        assert "replicas" not in deployments[name]["spec"]
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_production_runs_more_than_staging():
    minimum = {
        env: {
            h["metadata"]["name"]: h["spec"]["minReplicas"]
            for h in objects(build(env), "HorizontalPodAutoscaler").values()
        }
        for env in ENVIRONMENTS
    }
    for name, count in minimum["production"].items():
        assert count > minimum["staging"][name], name


def test_disruption_budgets_keep_web_and_workers_serving(overlay):
    _, docs = overlay
    budgets = objects(docs, "PodDisruptionBudget")
    assert set(budgets) == {"idp-portal-web", "idp-portal-worker"}
    deployments = objects(docs, "Deployment")
    for name, budget in budgets.items():
        pods = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert budget["spec"]["selector"]["matchLabels"].items() <= pods.items()


def test_the_migration_job_migrates_and_new_pods_wait_for_it(overlay):
    _, docs = overlay
    (job,) = objects(docs, "Job").values()
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    for name in ("idp-portal-web", "idp-portal-worker", "idp-portal-beat"):
        (wait,) = pod_specs(docs)[name]["initContainers"]
        assert "manage.py migrate --check" in wait["command"][-1], name
        assert wait["image"] == migrate["image"] == pod_specs(docs)[name]["containers"][0]["image"]


def test_shutdowns_fit_in_the_grace_periods(overlay):
    _, docs = overlay
    settings, specs = config(docs), pod_specs(docs)
    web = specs["idp-portal-web"]
    sleep = int(web["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][1])
    assert web["terminationGracePeriodSeconds"] > sleep + int(settings["GUNICORN_GRACEFUL_TIMEOUT"])
    worker = specs["idp-portal-worker"]
    assert {"name": "REMAP_SIGTERM", "value": "SIGQUIT"} in worker["containers"][0]["env"]
    soft = int(settings["CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT"])
    assert 0 < soft < worker["terminationGracePeriodSeconds"]


def test_rbac_grants_exactly_what_the_kubernetes_driver_calls(overlay):
    environment, docs = overlay
    (role,) = objects(docs, "ClusterRole").values()
    granted: dict[str, set[str]] = {}
    for rule in role["rules"]:
        assert "*" not in rule["verbs"] and "*" not in rule["resources"]
        for resource in rule["resources"]:
            granted.setdefault(resource, set()).update(rule["verbs"])
    bind = [r for r in role["rules"] if r["resources"] == ["clusterroles"]]
    assert granted.pop("clusterroles") == {"bind"}
    # Only the ClusterRole the namespace plan binds teams to (provisioning/planning.py).
    assert bind[0]["resourceNames"] == ["edit"]
    assert '"role": "edit"' in (ROOT / "provisioning" / "planning.py").read_text()
    assert granted == DRIVER_VERBS
    assert not objects(docs, "Role")  # nothing namespaced beyond that


def test_only_the_worker_gets_an_api_token_and_the_role(overlay):
    environment, docs = overlay
    (binding,) = objects(docs, "ClusterRoleBinding").values()
    (subject,) = binding["subjects"]
    assert subject == {
        "kind": "ServiceAccount",
        "name": "idp-portal-worker",
        "namespace": NAMESPACES[environment],
    }
    accounts = objects(docs, "ServiceAccount")
    specs = pod_specs(docs)
    assert specs["idp-portal-worker"]["serviceAccountName"] == "idp-portal-worker"
    for name in ("idp-portal-web", "idp-portal-beat", "idp-portal-migrate"):
        account = accounts[specs[name]["serviceAccountName"]]
        assert account["automountServiceAccountToken"] is False, name


def test_settings_come_from_the_configmap_and_a_secret_made_by_hand(overlay):
    _, docs = overlay
    assert not objects(docs, "Secret"), "secret values must not live in the repository"
    (configmap,) = objects(docs, "ConfigMap")
    for name, spec in pod_specs(docs).items():
        for container in containers(spec):
            sources = container["envFrom"]
            assert {"configMapRef": {"name": configmap}} in sources, name
            assert {"secretRef": {"name": "idp-portal-secrets"}} in sources, name
    secret_like = ("SECRET", "PASSWORD", "TOKEN", "DATABASE_URL", "BROKER_URL", "CACHE_URL")
    assert not [key for key in config(docs) if any(word in key for word in secret_like)]
    assert config(docs)["DEBUG"] == "false"


def test_postgres_and_redis_are_external_services(overlay):
    environment, docs = overlay
    services = objects(docs, "Service")
    for name in ("postgres", "redis"):
        assert services[name]["spec"]["type"] == "ExternalName"
        assert environment[:4] in services[name]["spec"]["externalName"]


def test_network_policy_lets_only_the_ingress_controller_reach_web(overlay):
    environment, docs = overlay
    policies = objects(docs, "NetworkPolicy")
    everyone = policies["idp-portal"]["spec"]
    assert set(everyone["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in everyone  # no ingress for any pod but what the next one allows
    ports = {p["port"] for rule in everyone["egress"] for p in rule["ports"]}
    assert {53, 5432, 6379, 443} <= ports
    web = policies["idp-portal-web-ingress"]["spec"]
    assert web["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "web"
    (rule,) = web["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8000}]
    (source,) = rule["from"]
    assert source == {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
    }


def test_the_namespace_enforces_the_restricted_pod_security_standard(overlay):
    environment, docs = overlay
    (namespace,) = objects(docs, "Namespace").values()
    assert namespace["metadata"]["name"] == NAMESPACES[environment]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_pods_run_as_the_images_user_with_its_data_folder(overlay):
    _, docs = overlay
    dockerfile = (ROOT / "Dockerfile").read_text()
    (user,) = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    for name, spec in pod_specs(docs).items():
        context = spec["securityContext"]
        assert f"{context['runAsUser']}:{context['runAsGroup']}" == user, name
    assert f"IDP_DATA_DIR={config(docs)['IDP_DATA_DIR']}" in dockerfile
