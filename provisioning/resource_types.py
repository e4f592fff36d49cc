"""The resource types engineers can request: what each gives, its form and its planner."""

from collections.abc import Callable
from dataclasses import dataclass

from provisioning import forms, planning


@dataclass(frozen=True)
class ResourceType:
    slug: str
    title: str
    what_you_get: str
    typical_time: str
    cost_hint: str
    providers: tuple[str, ...]
    form: type[forms.ResourceRequestForm]
    planner: Callable[[planning.PlanContext, dict], planning.Plan]
    # Why an environment cannot hold this type ("" when it can): the form marks it, the planner
    # refuses it, with the same words.
    placement_problem: Callable[[object], str] = lambda env: ""
    noun: str = ""  # the title mid-sentence ("New PostgreSQL database"), when not just lowercase

    @property
    def in_a_sentence(self) -> str:
        return self.noun or self.title.lower()

    def unavailable_environments(self, environments) -> dict[str, str]:
        """Environment name → why this type can't be requested there."""
        problems = {env.name: self.placement_problem(env) for env in environments}
        return {name: why for name, why in problems.items() if why}


RESOURCE_TYPES: dict[str, ResourceType] = {
    t.slug: t
    for t in [
        ResourceType(
            "s3-bucket",
            "Object storage bucket",
            "An S3 bucket named and tagged for your service: encrypted, versioned, public access "
            "blocked, with an optional lifecycle rule.",
            "under a minute",
            "about $0.023 per GB-month",
            ("aws",),
            forms.S3BucketForm,
            planning.plan_s3_bucket,
        ),
        ResourceType(
            "postgres-database",
            "PostgreSQL database",
            "An RDS PostgreSQL instance in the environment's private subnets, reachable only from "
            "workloads, encrypted, backed up; credentials go straight to Vault.",
            "10–15 minutes",
            "from about $15 a month (small)",
            ("aws", "vault"),
            forms.PostgresDatabaseForm,
            planning.plan_postgres_database,
            planning.network_placement_problem,
            "PostgreSQL database",
        ),
        ResourceType(
            "queue",
            "Message queue",
            "An SQS queue with a dead-letter queue and redrive policy, standard or FIFO.",
            "under a minute",
            "about $0.40 per million requests",
            ("aws",),
            forms.QueueForm,
            planning.plan_queue,
        ),
        ResourceType(
            "kubernetes-namespace",
            "Kubernetes namespace",
            "A namespace with resource quota, default limits, your team's RoleBinding and a "
            "default-deny network policy.",
            "under a minute",
            "no direct cost; the quota caps it",
            ("kubernetes",),
            forms.KubernetesNamespaceForm,
            planning.plan_kubernetes_namespace,
            noun="Kubernetes namespace",
        ),
        ResourceType(
            "secrets-path",
            "Secrets path",
            "A Vault KV path for your service and environment, a read policy, and a Kubernetes "
            "auth role so your pods can read it.",
            "under a minute",
            "no cost",
            ("vault",),
            forms.SecretsPathForm,
            planning.plan_secrets_path,
        ),
    ]
}


# What the requests that are not a resource are called, in words (the request page's title,
# the request lists, the plan): one definition, read through request_title().
OTHER_REQUEST_TITLES = {
    "service": "New service",
    "deploy": "Deployment",
    "decommission": "Decommission",
    "reconcile": "Reconcile",
    "golden-path-upgrade": "Golden-path upgrade",
    "pipeline-rollout": "Pipeline roll-out",
    "observability-backfill": "Observability backfill",
}


def request_titles() -> dict[str, str]:
    """Every request type's name in words: resource types by their title, then the others."""
    return {**{slug: t.title for slug, t in RESOURCE_TYPES.items()}, **OTHER_REQUEST_TITLES}


def request_title(request_type: str) -> str:
    """'Object storage bucket', not 's3-bucket'; an unknown type as it is."""
    return request_titles().get(request_type, request_type)
