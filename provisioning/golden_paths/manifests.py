"""A service's Kubernetes objects and their kustomize layout (pure: values in, values out).

`apps/<service>/base/` holds the objects every environment shares (ServiceAccount, Deployment,
Service, HorizontalPodAutoscaler, PodDisruptionBudget, NetworkPolicy); each
`apps/<service>/overlays/<env>/` sets the namespace, the image tag, the environment's replicas
and resources (JSON patches), adds an ExternalSecret that reads the environment's Vault path
and lists the kustomize Components kept beside it (the observability bundle in
`apps/<service>/<env>/observability/`).
`effective_objects` builds an overlay with its Components from these files with kustomize.build,
so what is validated is what the cluster receives.
"""

import posixpath
import re
from dataclasses import dataclass

import yaml

from provisioning.golden_paths import kustomize
from provisioning.planning import EnvironmentSpec

MANAGED_BY = "idp-portal"
SECRET_STORE = "vault"  # the ClusterSecretStore the platform runs in every cluster
BUILT_IN_DEFAULTS = {
    "replicas": 2,
    "max_replicas": 4,
    "cpu_request": "100m",
    "cpu_limit": "500m",
    "memory_request": "128Mi",
    "memory_limit": "256Mi",
    "liveness_path": "/healthz",
    "readiness_path": "/readyz",
    "cpu_target_utilization": 70,
}


@dataclass(frozen=True)
class Workload:
    """What the manifests need to know about the service."""

    name: str
    team: str
    image: str  # registry/name, without tag
    port: int
    golden_path: str  # "<slug>@<version>", recorded as an annotation
    defaults: dict  # the golden path's deployment_defaults
    observability: dict  # the golden path's observability_defaults


QUANTITY_RE = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")


def defaults_problems(defaults: object) -> list[str]:
    """Why these deployment defaults cannot make valid objects; [] when they can."""
    if not isinstance(defaults, dict) or not all(isinstance(v, dict) for v in defaults.values()):
        return ['deployment defaults must map "default" and environment names to objects']
    problems = []
    for env in defaults:
        s = settings_for(defaults, env)
        where = f"deployment defaults for {env!r}"
        for key in ("replicas", "max_replicas", "cpu_target_utilization"):
            if not isinstance(s[key], int) or isinstance(s[key], bool) or s[key] < 1:
                problems.append(f"{where}: {key} must be a whole number of at least 1")
        if not problems and s["max_replicas"] < s["replicas"]:
            problems.append(f"{where}: max_replicas must be at least replicas")
        for key in ("cpu_request", "cpu_limit", "memory_request", "memory_limit"):
            if not isinstance(s[key], str) or not QUANTITY_RE.match(s[key]):
                problems.append(
                    f"{where}: {key} must be a Kubernetes quantity such as 250m or 256Mi"
                )
        for key in ("liveness_path", "readiness_path"):
            if not isinstance(s[key], str) or not s[key].startswith("/"):
                problems.append(f"{where}: {key} must be a path starting with '/'")
    return list(dict.fromkeys(problems))


def settings_for(defaults: dict, env: str) -> dict:
    """Built-in defaults, overlaid by the golden path's "default", then by its `env` entry."""
    return {**BUILT_IN_DEFAULTS, **defaults.get("default", {}), **defaults.get(env, {})}


def namespace_for(w: Workload, env: EnvironmentSpec) -> str:
    return env.namespace_pattern.format(team=w.team, service=w.name, env=env.name).lower()


def vault_key(w: Workload, env: EnvironmentSpec) -> str:
    return f"{w.team}/{w.name}/{env.name}"


def _labels(w: Workload) -> dict:
    return {
        "app.kubernetes.io/name": w.name,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "team": w.team,
    }


def _meta(w: Workload, name: str = "") -> dict:
    return {"name": name or w.name, "labels": _labels(w)}


def _resources(s: dict) -> dict:
    return {
        "requests": {"cpu": s["cpu_request"], "memory": s["memory_request"]},
        "limits": {"cpu": s["cpu_limit"], "memory": s["memory_limit"]},
    }


def _probe(path: str, delay: int) -> dict:
    return {
        "httpGet": {"path": path, "port": "http"},
        "initialDelaySeconds": delay,
        "periodSeconds": 10,
        "timeoutSeconds": 2,
        "failureThreshold": 3,
    }


def _env_vars(w: Workload) -> list[dict]:
    obs = w.observability
    return [
        {"name": "PORT", "value": str(w.port)},
        {"name": "LOG_FORMAT", "value": str(obs.get("log_format", "json"))},
        {"name": "OTEL_SERVICE_NAME", "value": w.name},
        {
            "name": "OTEL_EXPORTER_OTLP_ENDPOINT",
            "value": str(obs.get("otlp_endpoint", "http://otel-collector.observability:4317")),
        },
        {"name": "OTEL_TRACES_SAMPLER", "value": "parentbased_traceidratio"},
        {"name": "OTEL_TRACES_SAMPLER_ARG", "value": str(obs.get("trace_sample_ratio", 0.1))},
    ]


def _container(w: Workload, s: dict) -> dict:
    return {
        # Named after the service: patches from Components (the observability bundle's)
        # find the container by this name.
        "name": w.name,
        "image": w.image,
        "ports": [{"name": "http", "containerPort": w.port, "protocol": "TCP"}],
        "env": _env_vars(w),
        "envFrom": [{"secretRef": {"name": f"{w.name}-secrets", "optional": True}}],
        "resources": _resources(s),
        "livenessProbe": _probe(s["liveness_path"], 5),
        "readinessProbe": _probe(s["readiness_path"], 2),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def deployment(w: Workload, s: dict) -> dict:
    selector = {"app.kubernetes.io/name": w.name}
    metrics_path = str(w.observability.get("metrics_path", "/metrics"))
    pod_annotations = {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(w.port),
        "prometheus.io/path": metrics_path,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {**_meta(w), "annotations": {"portal.internal/golden-path": w.golden_path}},
        "spec": {
            "replicas": s["replicas"],
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "template": {
                "metadata": {"labels": _labels(w), "annotations": pod_annotations},
                "spec": {
                    "serviceAccountName": w.name,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [_container(w, s)],
                },
            },
        },
    }


def service(w: Workload) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(w),
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": w.name},
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def autoscaler(w: Workload, s: dict) -> dict:
    target = {"type": "Utilization", "averageUtilization": s["cpu_target_utilization"]}
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _meta(w),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": w.name},
            "minReplicas": s["replicas"],
            "maxReplicas": s["max_replicas"],
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": target}}],
        },
    }


def disruption_budget(w: Workload) -> dict:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta(w),
        "spec": {
            # maxUnavailable rather than minAvailable: a one-replica dev service can still be
            # evicted when a node drains.
            "maxUnavailable": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": w.name}},
        },
    }


def service_account(w: Workload) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _meta(w),
        "automountServiceAccountToken": False,
    }


def network_policy(w: Workload) -> dict:
    """Open what the namespace's default deny closes: the HTTP port in, OTLP and HTTPS out."""
    tcp = [{"protocol": "TCP", "port": port} for port in (4317, 4318, 443)]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(w),
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": w.name}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [{"namespaceSelector": {}}],
                    "ports": [{"protocol": "TCP", "port": w.port}],
                }
            ],
            "egress": [{"ports": tcp}],
        },
    }


def external_secret(w: Workload, env: EnvironmentSpec) -> dict:
    return {
        "apiVersion": "external-secrets.io/v1beta1",
        "kind": "ExternalSecret",
        "metadata": _meta(w, f"{w.name}-secrets"),
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": SECRET_STORE},
            "target": {"name": f"{w.name}-secrets", "creationPolicy": "Owner"},
            "dataFrom": [{"extract": {"key": vault_key(w, env)}}],
        },
    }


BASE_FILES = {
    "serviceaccount.yaml": lambda w, s: service_account(w),
    "deployment.yaml": deployment,
    "service.yaml": lambda w, s: service(w),
    "hpa.yaml": autoscaler,
    "pdb.yaml": lambda w, s: disruption_budget(w),
    "networkpolicy.yaml": lambda w, s: network_policy(w),
}


def base_objects(w: Workload) -> dict[str, dict]:
    s = settings_for(w.defaults, "")
    return {path: build(w, s) for path, build in BASE_FILES.items()}


def overlay_patches(w: Workload, env: str) -> list[dict]:
    """kustomize JSON 6902 patches that turn the base into `env`'s objects."""
    s = settings_for(w.defaults, env)
    container = "/spec/template/spec/containers/0"
    deployment_ops = [
        {"op": "replace", "path": "/spec/replicas", "value": s["replicas"]},
        {"op": "replace", "path": f"{container}/resources", "value": _resources(s)},
        {
            "op": "add",
            "path": f"{container}/env/-",
            "value": {"name": "DEPLOY_ENVIRONMENT", "value": env},
        },
    ]
    hpa_ops = [
        {"op": "replace", "path": "/spec/minReplicas", "value": s["replicas"]},
        {"op": "replace", "path": "/spec/maxReplicas", "value": s["max_replicas"]},
    ]
    return [
        {"target": {"kind": "Deployment", "name": w.name}, "ops": deployment_ops},
        {"target": {"kind": "HorizontalPodAutoscaler", "name": w.name}, "ops": hpa_ops},
    ]


def overlay_kustomization(
    w: Workload, env: EnvironmentSpec, tag: str | None, components: tuple[str, ...] = ()
) -> dict:
    """With no tag (nothing deployed there yet) the overlay holds only the ExternalSecret and
    the Components: Argo CD has an Application for the environment but no workload to run (a
    Component's patch that finds no Deployment changes nothing)."""
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": namespace_for(w, env),
        "resources": ["externalsecret.yaml"],
    }
    if components:
        kustomization["components"] = list(components)
    if tag is None:
        return kustomization
    return kustomization | {
        "resources": ["../../base", "externalsecret.yaml"],
        "images": [{"name": w.image, "newTag": tag}],
        "patches": [
            {"target": p["target"], "patch": to_yaml(p["ops"])}
            for p in overlay_patches(w, env.name)
        ],
    }


def base_files(w: Workload) -> dict[str, str]:
    objects = base_objects(w)
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": list(objects),
    }
    return {"kustomization.yaml": to_yaml(kustomization)} | {
        path: to_yaml(obj) for path, obj in objects.items()
    }


def overlay_files(
    w: Workload, env: EnvironmentSpec, tag: str | None, components: tuple[str, ...] = ()
) -> dict[str, str]:
    return {
        "kustomization.yaml": to_yaml(overlay_kustomization(w, env, tag, components)),
        "externalsecret.yaml": to_yaml(external_secret(w, env)),
    }


def overlay_folder(service: str, env: str) -> str:
    return f"apps/{service}/overlays/{env}"


def listed_components(text: str | None) -> list[str]:
    """The `components:` an overlay's kustomization.yaml lists ([] when absent or unreadable:
    the overlay is then rewritten whole)."""
    try:
        doc = yaml.safe_load(text or "")
    except yaml.YAMLError:
        return []
    listed = doc.get("components") if isinstance(doc, dict) else None
    return [c for c in listed if isinstance(c, str)] if isinstance(listed, list) else []


def effective_objects(
    w: Workload,
    env: EnvironmentSpec,
    tag: str | None,
    components: dict[str, dict[str, str]] | None = None,
) -> list[dict]:
    """What `kustomize build overlays/<env>` yields from the files the portal writes: the base,
    the overlay and the Components it lists ({path the overlay lists: {file name: text}}),
    built by kustomize.build, the same reading the parity check applies to the repository, so
    what is validated is what the cluster receives. KustomizeError when it cannot be built."""
    components = components or {}
    overlay = f"overlays/{env.name}"  # paths relative to apps/<service>/
    files = {f"base/{path}": text for path, text in base_files(w).items()}
    overlay_texts = overlay_files(w, env, tag, tuple(components))
    files |= {f"{overlay}/{path}": text for path, text in overlay_texts.items()}
    for listed, component in components.items():
        folder = posixpath.normpath(posixpath.join(overlay, listed))
        files |= {f"{folder}/{path}": text for path, text in component.items()}
    return kustomize.build(files, overlay, 0)


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the overlays' patches) as readable `|` blocks."""


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(value) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100)
