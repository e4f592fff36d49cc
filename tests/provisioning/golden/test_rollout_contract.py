"""The live rollout status read with the real kubernetes client from a contract server: the
exact calls (the Deployment, then its pods by label), and each answer turned into words."""

import pytest

from provisioning.golden_paths.cluster import NOT_CONNECTED, rollout_status
from tests.contract_server import KubernetesApiServer, write_kubeconfig

NS = "payments-petstore-staging"
NAME = "petstore"
DEPLOYMENT = f"/apis/apps/v1/namespaces/{NS}/deployments/{NAME}"
PODS = f"/api/v1/namespaces/{NS}/pods/"
LABELS = {"app.kubernetes.io/name": NAME}


@pytest.fixture
def cluster(settings, tmp_path):
    with KubernetesApiServer() as server:
        settings.KUBECONFIG = str(
            write_kubeconfig(tmp_path / "kubeconfig", server.url, server.token, ("staging",))
        )
        settings.KUBERNETES_IN_CLUSTER = False
        yield server


def deployment(tag: str, replicas: int = 2, updated: int = 2, available: int = 2) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME, "namespace": NS, "labels": LABELS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": LABELS},
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {"containers": [{"name": NAME, "image": f"ghcr.io/acme/{NAME}:{tag}"}]},
            },
        },
        "status": {"updatedReplicas": updated, "availableReplicas": available},
    }


def pod(name: str, restarts: int, labels: dict = LABELS) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": labels},
        "status": {"containerStatuses": [{"name": NAME, "restartCount": restarts}]},
    }


def seed(server: KubernetesApiServer, dep: dict, pods: list[dict]) -> None:
    server.put(DEPLOYMENT, dep)
    for p in pods:
        server.put(f"{PODS}{p['metadata']['name']}", p)


def test_a_complete_rollout_reads_the_deployment_then_its_pods_by_label(cluster):
    other = pod("billing-1", 7, {"app.kubernetes.io/name": "billing"})
    seed(cluster, deployment("abc123"), [pod("petstore-1", 1), pod("petstore-2", 2), other])

    status = rollout_status("staging", NS, NAME, "abc123")

    assert cluster.lines() == [f"GET {DEPLOYMENT}", f"GET {PODS.rstrip('/')}"]
    pods_call = cluster.calls[1]
    assert pods_call.query["labelSelector"] == [f"app.kubernetes.io/name={NAME}"]
    assert cluster.calls[0].headers["authorization"] == f"Bearer {cluster.token}"
    # billing's restarts are not petstore's
    assert (status.text, status.complete, status.restarts) == (
        "rollout complete: 2/2 ready, 3 restarts",
        True,
        3,
    )


def test_a_rollout_in_progress_says_how_far_it_got(cluster):
    seed(cluster, deployment("abc123", replicas=3, updated=1, available=2), [pod("petstore-1", 0)])

    status = rollout_status("staging", NS, NAME, "abc123")

    assert status.text == "rolling out: 1/3 updated, 2 ready, 0 restarts"
    assert not status.complete


def test_an_older_image_in_the_cluster_means_argo_cd_has_not_synced(cluster):
    seed(cluster, deployment("old999"), [])

    status = rollout_status("staging", NS, NAME, "abc123def456789")

    assert status.text == "waiting for Argo CD to sync abc123def456"


def test_a_deployment_not_in_the_cluster_yet_is_said_so(cluster):
    status = rollout_status("staging", NS, NAME, "abc123")

    assert cluster.lines() == [f"GET {DEPLOYMENT}"]
    assert (
        status.text == f"committed to GitOps; not in the cluster yet (Argo CD has not synced {NS})"
    )


def test_a_refused_token_is_reported_not_raised(cluster, settings, tmp_path):
    settings.KUBECONFIG = str(write_kubeconfig(tmp_path / "bad", cluster.url, "wrong-token"))

    status = rollout_status("", NS, NAME, "abc123")

    assert status.text == "committed to GitOps; the cluster answered 401 Unauthorized"


def test_an_unreachable_cluster_is_reported_not_raised(settings, tmp_path):
    settings.KUBECONFIG = str(write_kubeconfig(tmp_path / "kc", "http://127.0.0.1:9", "t"))
    settings.KUBERNETES_IN_CLUSTER = False

    status = rollout_status("", NS, NAME, "abc123")

    assert status.text.startswith("committed to GitOps; the cluster could not be reached (")


def test_without_a_cluster_it_says_not_connected(settings):
    settings.KUBECONFIG = ""
    settings.KUBERNETES_IN_CLUSTER = False

    assert rollout_status("", NS, NAME, "abc123").text == NOT_CONNECTED
