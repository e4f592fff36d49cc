"""Turn a validated request into its plan: the exact resources, names, tags and placement.

Pure: values in, values out, no database or network. Each resource type's planner returns the
`PlannedResource`s in the order they must be ensured, or raises `PlanError` whose messages are
keyed by the form field the requester should change.
"""

from dataclasses import dataclass, field

from provisioning.drivers.base import PlannedResource
from provisioning.policy import (
    NamingPolicy,
    build_tags,
    namespace_problems,
    rds_identifier_problems,
    render_name,
    s3_bucket_problems,
    sqs_queue_problems,
    tag_problems,
    vault_path_problems,
)


class PlanError(Exception):
    """The request cannot be planned as given; `errors` maps a field to what to do instead."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class EnvironmentSpec:
    name: str
    region: str
    vpc_id: str = ""
    subnet_ids: tuple[str, ...] = ()
    app_cidr: str = "10.0.0.0/16"
    db_subnet_group: str = ""
    kubernetes_cluster: str = ""
    namespace_pattern: str = "{team}-{service}-{env}"
    vault_mount: str = "secret"
    cost_center: str = "engineering"
    display_name: str = ""  # what people call it ("Production"); messages use it, names don't


@dataclass(frozen=True)
class PlanContext:
    team: str
    service: str
    environment: EnvironmentSpec
    policy: NamingPolicy = field(default_factory=NamingPolicy)
    extra_tags: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    resources: list[PlannedResource]
    monthly_cost_usd: int
    summary: str

    def to_json(self) -> dict:
        return {
            "resources": [r.to_json() for r in self.resources],
            "monthly_cost_usd": self.monthly_cost_usd,
            "summary": self.summary,
        }


DB_SIZES = {
    "small": {"instance_class": "db.t4g.micro", "allocated_storage": 20, "monthly_cost_usd": 15},
    "medium": {"instance_class": "db.t4g.medium", "allocated_storage": 100, "monthly_cost_usd": 75},
    "large": {"instance_class": "db.m6g.large", "allocated_storage": 500, "monthly_cost_usd": 260},
}
NAMESPACE_SIZES = {
    "small": {
        "requests.cpu": "2",
        "requests.memory": "4Gi",
        "limits.cpu": "4",
        "limits.memory": "8Gi",
        "pods": "20",
    },
    "medium": {
        "requests.cpu": "4",
        "requests.memory": "8Gi",
        "limits.cpu": "8",
        "limits.memory": "16Gi",
        "pods": "50",
    },
    "large": {
        "requests.cpu": "16",
        "requests.memory": "32Gi",
        "limits.cpu": "32",
        "limits.memory": "64Gi",
        "pods": "150",
    },
}


def _tags(ctx: PlanContext) -> dict[str, str]:
    env = ctx.environment
    tags = build_tags(ctx.policy, ctx.team, ctx.service, env.name, env.cost_center, ctx.extra_tags)
    if problems := tag_problems(tags, ctx.policy):
        raise PlanError({"tags": problems})
    return tags


def _name(ctx: PlanContext, purpose: str) -> str:
    return render_name(ctx.policy, ctx.team, ctx.service, ctx.environment.name, purpose)


def _check(field_name: str, problems: list[str]) -> None:
    if problems:
        raise PlanError({field_name: problems})


def plan_s3_bucket(ctx: PlanContext, params: dict) -> Plan:
    name = _name(ctx, params["purpose"])
    _check("purpose", s3_bucket_problems(name))
    lifecycle = {
        "none": None,
        "expire-noncurrent-30": {"expire_noncurrent_days": 30, "transition_to_ia_days": None},
        "archive-ia-90": {"expire_noncurrent_days": 90, "transition_to_ia_days": 90},
    }[params.get("lifecycle", "none")]
    config = {
        "region": ctx.environment.region,
        "versioning": bool(params.get("versioning", True)),
        "encryption": params.get("encryption", "AES256"),
        "kms_key_id": None,
        "lifecycle": lifecycle,
        "block_public_access": True,
    }
    bucket = PlannedResource("aws", "s3-bucket", name, _tags(ctx), config)
    return Plan([bucket], 5, f"S3 bucket {name} in {ctx.environment.region}, encrypted, private")


def plan_queue(ctx: PlanContext, params: dict) -> Plan:
    fifo = bool(params.get("fifo", False))
    suffix = ".fifo" if fifo else ""
    base = _name(ctx, params["purpose"])
    name, dlq_name = base + suffix, f"{base}-dlq{suffix}"
    _check("purpose", sqs_queue_problems(name, fifo) + sqs_queue_problems(dlq_name, fifo))
    tags, region = _tags(ctx), ctx.environment.region
    retention = int(params.get("retention_days", 4)) * 86400
    common = {
        "region": region,
        "fifo": fifo,
        "visibility_timeout": int(params.get("visibility_timeout", 30)),
    }
    resources = []
    dead_letter = None
    if params.get("dead_letter", True):
        dlq_config = {**common, "message_retention_seconds": 1209600, "dead_letter": None}
        resources.append(PlannedResource("aws", "sqs-queue", dlq_name, tags, dlq_config))
        dead_letter = {
            "target_name": dlq_name,
            "max_receive_count": int(params.get("max_receive_count", 5)),
        }
    main = {**common, "message_retention_seconds": retention, "dead_letter": dead_letter}
    resources.append(PlannedResource("aws", "sqs-queue", name, tags, main))
    what = "FIFO queue" if fifo else "queue"
    dlq_text = f" with dead-letter queue {dlq_name}" if dead_letter else ""
    return Plan(resources, 1, f"SQS {what} {name}{dlq_text}")


def network_placement_problem(env) -> str:
    """Why a database cannot be placed in `env` (an Environment row or an EnvironmentSpec), or "".

    The request form uses it to mark environments it cannot offer; the planner refuses with it.
    """
    if env.vpc_id and env.subnet_ids:
        return ""
    title = env.display_name or env.name
    return (
        f"not set up for databases yet in {title}: there is no network placement (VPC and "
        f"private subnets). Pick another environment, or ask the platform team to complete {title}"
    )


def plan_postgres_database(ctx: PlanContext, params: dict) -> Plan:
    env = ctx.environment
    if problem := network_placement_problem(env):
        raise PlanError({"environment": [problem]})
    identifier = _name(ctx, params.get("purpose") or "db")
    _check("purpose", rds_identifier_problems(identifier))
    size = DB_SIZES[params.get("size", "small")]
    tags = _tags(ctx)
    sg_name, subnet_group = f"{identifier}-db", env.db_subnet_group or f"{identifier}-subnets"
    secret_path = f"{ctx.team}/{ctx.service}/{env.name}/{params.get('purpose') or 'db'}"
    _check("purpose", vault_path_problems(secret_path))
    resources = [
        PlannedResource(
            "aws",
            "security-group",
            sg_name,
            tags,
            {
                "region": env.region,
                "vpc_id": env.vpc_id,
                "description": f"PostgreSQL {identifier}: reachable from workloads only",
                "ingress": [
                    {
                        "protocol": "tcp",
                        "port": 5432,
                        "cidr": env.app_cidr,
                        "source_group_name": None,
                    }
                ],
            },
        ),
    ]
    if not env.db_subnet_group:
        resources.append(
            PlannedResource(
                "aws",
                "db-subnet-group",
                subnet_group,
                tags,
                {
                    "region": env.region,
                    "description": f"Private subnets for {identifier}",
                    "subnet_ids": list(env.subnet_ids),
                },
            )
        )
    resources.append(
        PlannedResource(
            "vault",
            "kv-secret",
            f"{env.vault_mount}/{secret_path}",
            tags,
            {
                "mount": env.vault_mount,
                "path": secret_path,
                "keys": ["username", "password", "host", "port", "dbname"],
            },
        )
    )
    resources.append(
        PlannedResource(
            "aws",
            "rds-instance",
            identifier,
            tags,
            {
                "region": env.region,
                "engine": "postgres",
                "engine_version": params.get("engine_version", "16"),
                "instance_class": size["instance_class"],
                "allocated_storage": size["allocated_storage"],
                "multi_az": bool(params.get("high_availability", False)),
                "storage_encrypted": True,
                "publicly_accessible": False,
                "db_subnet_group": subnet_group,
                "security_group": sg_name,
                "master_username": "app",
                "db_name": ctx.service.replace("-", "_")[:63],
                "backup_retention_days": int(params.get("backup_retention_days", 7)),
                "deletion_protection": env.name == "prod",
                "credentials_path": {"mount": env.vault_mount, "path": secret_path},
            },
        )
    )
    cost = size["monthly_cost_usd"] * (2 if params.get("high_availability") else 1)
    return Plan(
        resources,
        cost,
        f"PostgreSQL {identifier} ({size['instance_class']}), private, encrypted; "
        f"credentials in Vault at {env.vault_mount}/{secret_path}",
    )


def plan_kubernetes_namespace(ctx: PlanContext, params: dict) -> Plan:
    env = ctx.environment
    name = env.namespace_pattern.format(team=ctx.team, service=ctx.service, env=env.name).lower()
    _check("service", namespace_problems(name))
    config = {
        "cluster": env.kubernetes_cluster,
        "labels": {},
        "quota": NAMESPACE_SIZES[params.get("size", "small")],
        "limit_range": {
            "default": {"cpu": "500m", "memory": "512Mi"},
            "default_request": {"cpu": "100m", "memory": "128Mi"},
        },
        "team_group": f"team-{ctx.team}",
        "role": "edit",
        "default_deny": True,
    }
    ns = PlannedResource("kubernetes", "namespace", name, _tags(ctx), config)
    return Plan([ns], 0, f"Namespace {name} with quota, limits, team RoleBinding and default-deny")


def plan_secrets_path(ctx: PlanContext, params: dict) -> Plan:
    env = ctx.environment
    path = f"{ctx.team}/{ctx.service}/{env.name}"
    _check("service", vault_path_problems(path))
    policy_name = f"{ctx.team}-{ctx.service}-{env.name}"
    policy_hcl = (
        f'path "{env.vault_mount}/data/{path}/*" {{\n  capabilities = ["read", "list"]\n}}\n'
        f'path "{env.vault_mount}/metadata/{path}/*" {{\n  capabilities = ["read", "list"]\n}}\n'
    )
    k8s_auth = None
    if params.get("kubernetes_auth", True):
        namespace = env.namespace_pattern.format(
            team=ctx.team, service=ctx.service, env=env.name
        ).lower()
        k8s_auth = {
            "mount": "kubernetes",
            "role": policy_name,
            "service_account_names": [ctx.service],
            "namespaces": [namespace],
            "ttl": "1h",
        }
    config = {
        "mount": env.vault_mount,
        "path": path,
        "max_versions": 10,
        "policy_name": policy_name,
        "policy_hcl": policy_hcl,
        "kubernetes_auth": k8s_auth,
    }
    resource = PlannedResource("vault", "kv-path", f"{env.vault_mount}/{path}", _tags(ctx), config)
    return Plan(
        [resource], 0, f"Vault KV v2 path {env.vault_mount}/{path} with read policy {policy_name}"
    )
