"""What the cluster made of a deployment: rollout state and restarts, read with the kubernetes
client when Kubernetes is connected. `summarize` is pure; `rollout_status` does the reading."""

import json
from dataclasses import dataclass

from provisioning.drivers.base import DriverError
from provisioning.drivers.kubernetes import KubernetesDriver

# Argo CD (its own line, when connected) may still confirm the rollout; the pods are not read.
NOT_CONNECTED = "committed to GitOps; pods not shown: Kubernetes is not connected"


@dataclass(frozen=True)
class Rollout:
    text: str
    complete: bool = False
    restarts: int = 0


def summarize(deployment: dict, pods: list[dict], tag: str) -> Rollout:
    """From a Deployment's status and its pods: rolled out with this tag or not, restarts."""
    spec, status = deployment.get("spec", {}), deployment.get("status", {})
    wanted = spec.get("replicas", 1)
    images = [
        c.get("image", "") for c in spec.get("template", {}).get("spec", {}).get("containers", [])
    ]
    restarts = sum(
        cs.get("restartCount", 0)
        for pod in pods
        for cs in pod.get("status", {}).get("containerStatuses", []) or []
    )
    if not any(image.endswith(f":{tag}") for image in images):
        return Rollout(f"waiting for Argo CD to sync {tag[:12]}", restarts=restarts)
    updated, available = status.get("updatedReplicas", 0), status.get("availableReplicas", 0)
    if updated >= wanted and available >= wanted:
        return Rollout(
            f"rollout complete: {available}/{wanted} ready, {restarts} restarts", True, restarts
        )
    return Rollout(
        f"rolling out: {updated}/{wanted} updated, {available} ready, {restarts} restarts",
        restarts=restarts,
    )


def rollout_status(cluster: str, namespace: str, name: str, tag: str) -> Rollout:
    """Read the Deployment and its pods; a readable sentence whatever happens."""
    connected, _ = KubernetesDriver.connection_status()
    if not connected:
        return Rollout(NOT_CONNECTED)
    from kubernetes import client as k8s
    from kubernetes.client.exceptions import ApiException

    try:
        api = KubernetesDriver()._api_client(cluster)
    except DriverError as exc:
        return Rollout(f"committed to GitOps; the cluster could not be read ({exc})")
    try:
        apps, core = k8s.AppsV1Api(api), k8s.CoreV1Api(api)
        # Raw JSON, not the client's models: a cluster newer or older than the client may send
        # fields the models reject, and only a few status fields are read here.
        deployment = json.loads(
            apps.read_namespaced_deployment(
                name, namespace, _request_timeout=5, _preload_content=False
            ).data
        )
        pods = json.loads(
            core.list_namespaced_pod(
                namespace,
                label_selector=f"app.kubernetes.io/name={name}",
                _request_timeout=5,
                _preload_content=False,
            ).data
        )
    except ApiException as exc:
        if exc.status == 404:
            return Rollout(
                f"committed to GitOps; not in the cluster yet (Argo CD has not synced {namespace})"
            )
        return Rollout(f"committed to GitOps; the cluster answered {exc.status} {exc.reason}")
    except Exception as exc:  # network trouble: say so, never break the page
        return Rollout(
            f"committed to GitOps; the cluster could not be reached ({exc.__class__.__name__})"
        )
    finally:
        api.close()
    return summarize(deployment, pods.get("items", []), tag)
