"""The standard observability bundle of one service in one environment, as GitOps files. Pure.

The files go to `apps/<service>/<env>/observability/` in the GitOps repository, beside the
service's manifests, as a kustomize `Component` the environment's kustomization lists:

- workload-patch.yaml (logs, traces): patch of the `Deployment <service>`: pod labels, the
  Fluent Bit parser annotation, OpenTelemetry variables read from otel-env;
- log-pipeline.yaml (logs): ConfigMap with a Fluent Bit filter adding service, team and
  environment fields, picked up by the log agent's config sidecar (label portal.idp/log-pipeline);
- otel-env.yaml (traces): ConfigMap: service name, resource attributes, OTLP endpoint, sampling;
- servicemonitor.yaml (metrics): Prometheus Operator `ServiceMonitor`;
- dashboard.yaml (dashboard): Grafana dashboard JSON in a ConfigMap labelled grafana_dashboard;
- prometheusrule.yaml (alerts): error-rate, p99-latency and pod-restart alerts from baselines;
- alertmanagerconfig.yaml (alerts): critical alerts → the team's PagerDuty receiver, when the
  team has an on-call target;
- pagerduty-secret.yaml (alerts): when the portal stored the team's integration key in Vault
  ("Connect PagerDuty"), an ExternalSecret that syncs it into the Secret the receiver reads.
"""

import hashlib
import json
import re
from dataclasses import dataclass

import yaml

from observability import alerting, dashboards
from observability.conf import DEFAULT_OTLP_ENDPOINT
from observability.thresholds import Thresholds

KUSTOMIZATION = "kustomization.yaml"
WORKLOAD_PATCH = "workload-patch.yaml"
LOG_PIPELINE = "log-pipeline.yaml"
OTEL_ENV = "otel-env.yaml"
SERVICE_MONITOR = "servicemonitor.yaml"
DASHBOARD = "dashboard.yaml"
PROMETHEUS_RULE = "prometheusrule.yaml"
ALERTMANAGER_CONFIG = "alertmanagerconfig.yaml"
PAGERDUTY_SECRET = "pagerduty-secret.yaml"
SECRET_STORE = "vault"  # the ClusterSecretStore every cluster runs (as golden paths' manifests)

# A signal is configured in an environment when all of its files are in the bundle's folder.
SIGNAL_FILES = {
    "logs": (LOG_PIPELINE, WORKLOAD_PATCH),
    "metrics": (SERVICE_MONITOR,),
    "traces": (OTEL_ENV, WORKLOAD_PATCH),
    "dashboard": (DASHBOARD,),
    "alerts": (PROMETHEUS_RULE,),
}
LOG_PIPELINE_LABEL = "portal.idp/log-pipeline"  # the Fluent Bit config sidecar's selector
TRACE_SAMPLING = {"default": 1.0, "approval-gated": 0.1}
_NOT_DNS = re.compile(r"[^a-z0-9-]+")

_Base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter is several times faster


class _Dumper(_Base):
    """Plain YAML for people to read in the GitOps repository: no &anchors or *aliases."""

    def ignore_aliases(self, data) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    """Multi-line values (a pipeline file, dashboard JSON) as readable literal blocks."""
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def k8s_name(name: str) -> str:
    """A catalog name as a Kubernetes object name (DNS-1123 label)."""
    return _NOT_DNS.sub("-", name.lower()).strip("-")[:63] or "service"


def bundle_folder(service: str, environment: str) -> str:
    return f"apps/{service}/{environment}/observability"


def dashboard_uid(service: str, environment: str) -> str:
    """Grafana uids are at most 40 characters; long names keep a hash to stay unique."""
    uid = f"{k8s_name(service)}-{environment}"
    if len(uid) <= 40:
        return uid
    digest = hashlib.sha1(uid.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{uid[:31]}-{digest}"


@dataclass(frozen=True)
class OnCallRef:
    """A team's PagerDuty target, by reference: the key stays in the named Secret."""

    pagerduty_service: str
    secret_name: str
    secret_key: str
    vault_key: str = ""  # path under the KV mount when the portal keeps the key in Vault


@dataclass(frozen=True)
class BundleSpec:
    """Everything the bundle depends on; equal specs render byte-identical files."""

    service: str
    team: str
    system: str
    tier: int
    environment: str
    namespace: str
    thresholds: Thresholds
    runbook_url: str = ""
    on_call: OnCallRef | None = None
    otlp_endpoint: str = DEFAULT_OTLP_ENDPOINT
    trace_sampling_ratio: float = 1.0
    metrics_port: str = "http"
    metrics_path: str = "/metrics"

    @property
    def workload(self) -> str:
        return k8s_name(self.service)

    @property
    def folder(self) -> str:
        return bundle_folder(self.service, self.environment)

    @property
    def dashboard_uid(self) -> str:
        return dashboard_uid(self.service, self.environment)

    @property
    def dashboard_tags(self) -> list[str]:
        return [
            "idp-portal",
            f"service:{self.workload}",
            f"team:{self.team}",
            f"env:{self.environment}",
            f"tier:{self.tier}",
        ]

    def labels(self) -> dict[str, str]:
        labels = {
            "app.kubernetes.io/name": self.workload,
            "app.kubernetes.io/managed-by": "idp-portal",
            "portal.idp/team": self.team,
            "portal.idp/environment": self.environment,
            "portal.idp/tier": str(self.tier),
        }
        if self.system:
            labels["app.kubernetes.io/part-of"] = self.system
        return labels

    def metadata(self, name: str, labels: dict | None = None, **extra) -> dict:
        meta = {"name": name, "namespace": self.namespace, "labels": self.labels() | (labels or {})}
        return meta | extra


def otel_variables(spec: BundleSpec) -> dict[str, str]:
    attributes = {
        "service.namespace": spec.system or spec.team,
        "deployment.environment.name": spec.environment,
        "team": spec.team,
        "service.tier": str(spec.tier),
    }
    http = spec.otlp_endpoint.rstrip("/").endswith(":4318")
    return {
        "OTEL_SERVICE_NAME": spec.workload,
        "OTEL_RESOURCE_ATTRIBUTES": ",".join(f"{k}={v}" for k, v in attributes.items()),
        "OTEL_EXPORTER_OTLP_ENDPOINT": spec.otlp_endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf" if http else "grpc",
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": f"{spec.trace_sampling_ratio:g}",
        "OTEL_PROPAGATORS": "tracecontext,baggage",
        # Logs go to stdout and through the cluster's log agent; not twice.
        "OTEL_LOGS_EXPORTER": "none",
    }


def workload_patch(spec: BundleSpec) -> dict:
    """Strategic-merge patch of the container named after the service: `env` merges by name,
    so the Deployment's own variables stay. Each variable also sets `value: ""`: a Deployment
    that gives one of them a literal value (the golden paths' do) would otherwise end up with
    both `value` and `valueFrom`, which the API server refuses; an empty value counts as none."""
    config_map = f"{spec.workload}-otel"
    env = [
        {
            "name": key,
            "value": "",
            "valueFrom": {"configMapKeyRef": {"name": config_map, "key": key}},
        }
        for key in otel_variables(spec)
    ]
    pod_labels = {k: v for k, v in spec.labels().items() if k != "app.kubernetes.io/managed-by"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": spec.workload},
        "spec": {
            "template": {
                "metadata": {
                    "labels": pod_labels,
                    # Fluent Bit's kubernetes filter (K8S-Logging.Parser On) parses JSON lines.
                    "annotations": {"fluentbit.io/parser": "json"},
                },
                "spec": {"containers": [{"name": spec.workload, "env": env}]},
            }
        },
    }


def log_pipeline(spec: BundleSpec) -> dict:
    pipeline = {
        "pipeline": {
            "filters": [
                {
                    "name": "modify",
                    "match": f"kube.var.log.containers.{spec.workload}-*_{spec.namespace}_"
                    f"{spec.workload}-*.log",
                    "add": [
                        f"service {spec.workload}",
                        f"team {spec.team}",
                        f"environment {spec.environment}",
                    ],
                }
            ]
        }
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": spec.metadata(
            f"{spec.workload}-log-pipeline", {LOG_PIPELINE_LABEL: "fluent-bit"}
        ),
        "data": {f"{spec.workload}.yaml": _yaml(pipeline)},
    }


def otel_env(spec: BundleSpec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": spec.metadata(f"{spec.workload}-otel"),
        "data": otel_variables(spec),
    }


def service_monitor(spec: BundleSpec) -> dict:
    relabel = [
        {"action": "replace", "targetLabel": name, "replacement": value}
        for name, value in (
            ("team", spec.team),
            ("environment", spec.environment),
            ("tier", str(spec.tier)),
        )
    ]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": spec.metadata(spec.workload),
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": spec.workload}},
            "namespaceSelector": {"matchNames": [spec.namespace]},
            "endpoints": [
                {
                    "port": spec.metrics_port,
                    "path": spec.metrics_path,
                    "interval": "30s",
                    "scrapeTimeout": "10s",
                    "relabelings": relabel,
                }
            ],
        },
    }


def dashboard_config_map(spec: BundleSpec) -> dict:
    body = json.dumps(dashboards.dashboard(spec), indent=2, sort_keys=True)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": spec.metadata(
            f"{spec.workload}-dashboard",
            {"grafana_dashboard": "1"},
            annotations={"grafana_folder": spec.team},
        ),
        "data": {f"{spec.workload}-{spec.environment}.json": body + "\n"},
    }


def pagerduty_secret(spec: BundleSpec) -> dict | None:
    """The ExternalSecret that copies the team's key from Vault into the receiver's Secret."""
    on_call = spec.on_call
    if on_call is None or not on_call.vault_key:
        return None
    return {
        "apiVersion": "external-secrets.io/v1beta1",
        "kind": "ExternalSecret",
        "metadata": spec.metadata(on_call.secret_name),
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": SECRET_STORE},
            "target": {"name": on_call.secret_name, "creationPolicy": "Owner"},
            "data": [
                {
                    "secretKey": on_call.secret_key,
                    "remoteRef": {"key": on_call.vault_key, "property": on_call.secret_key},
                }
            ],
        },
    }


def documents(spec: BundleSpec) -> dict[str, dict]:
    """Every artifact as a Kubernetes object (the kustomization last, listing the others)."""
    docs = {
        WORKLOAD_PATCH: workload_patch(spec),
        LOG_PIPELINE: log_pipeline(spec),
        OTEL_ENV: otel_env(spec),
        SERVICE_MONITOR: service_monitor(spec),
        DASHBOARD: dashboard_config_map(spec),
        PROMETHEUS_RULE: alerting.prometheus_rule(spec),
    }
    if route := alerting.alertmanager_config(spec):
        docs[ALERTMANAGER_CONFIG] = route
    if secret := pagerduty_secret(spec):
        docs[PAGERDUTY_SECRET] = secret
    docs[KUSTOMIZATION] = {
        "apiVersion": "kustomize.config.k8s.io/v1alpha1",
        "kind": "Component",
        "resources": [name for name in docs if name != WORKLOAD_PATCH],
        "patches": [
            {"path": WORKLOAD_PATCH, "target": {"kind": "Deployment", "name": spec.workload}}
        ],
    }
    return docs


def render(spec: BundleSpec) -> dict[str, str]:
    """The bundle's files: {path relative to the folder: YAML text}."""
    header = (
        f"# Generated by the platform portal for {spec.service} in {spec.environment}; "
        "edit the baselines in the portal, not this file.\n"
    )
    return {name: header + _yaml(doc) for name, doc in documents(spec).items()}


def _yaml(document: dict) -> str:
    # A wide line: PromQL expressions stay on one line instead of folding mid-selector.
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=4096, allow_unicode=True)


def git_blob_sha(text: str) -> str:
    """The id git gives a file with this content (so a digest can be compared to ls-tree)."""
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def digest_of_blobs(blobs: dict[str, str]) -> str:
    """One fingerprint of a folder from {relative path: git blob id}."""
    joined = "\n".join(f"{path}\0{sha}" for path, sha in sorted(blobs.items()))
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


def digest(files: dict[str, str]) -> str:
    return digest_of_blobs({path: git_blob_sha(text) for path, text in files.items()})


def configured_signals(paths: set[str] | list[str]) -> list[str]:
    present = set(paths)
    return [signal for signal, needed in SIGNAL_FILES.items() if present.issuperset(needed)]
