"""One Argo CD `Application` per environment, pointing at the service's overlay (pure)."""

from provisioning.git_host import DEFAULT_BRANCH
from provisioning.golden_paths.manifests import Workload, namespace_for, to_yaml
from provisioning.planning import EnvironmentSpec

ARGOCD_NAMESPACE = "argocd"
IN_CLUSTER = "https://kubernetes.default.svc"


def application(w: Workload, env: EnvironmentSpec, gitops_url: str) -> dict:
    """Synced automatically: a commit to the overlay is the deployment; prune and self-heal
    keep the cluster equal to git."""
    destination = {"namespace": namespace_for(w, env)}
    # An environment's cluster is a kubeconfig context name, which is also how Argo CD names
    # the clusters it was given; without one, the cluster Argo CD runs in.
    destination |= (
        {"name": env.kubernetes_cluster} if env.kubernetes_cluster else {"server": IN_CLUSTER}
    )
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": f"{w.name}-{env.name}",
            "namespace": ARGOCD_NAMESPACE,
            "labels": {"app.kubernetes.io/name": w.name, "team": w.team, "environment": env.name},
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": "default",
            "source": {
                "repoURL": gitops_url,
                "targetRevision": DEFAULT_BRANCH,
                "path": f"apps/{w.name}/overlays/{env.name}",
            },
            "destination": destination,
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true"],
                "retry": {
                    "limit": 5,
                    "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"},
                },
            },
        },
    }


def application_files(w: Workload, envs: list[EnvironmentSpec], gitops_url: str) -> dict[str, str]:
    return {f"{w.name}-{env.name}.yaml": to_yaml(application(w, env, gitops_url)) for env in envs}
