"""Plans and requests in words: `{% load plan_display %}`.

`in_words` names a request type, a resource kind or a step ("ensure s3-bucket x" → "Create the
object storage bucket x"); `settings_in_words` turns a planned resource's settings into
(label, value) rows ("Versioning: on", "Message retention: 4 days"); `parameters_in_words` does
the same for what a requester typed, with the form's own labels. The request form's plan, the
request page and the request lists all use these, so a value reads the same everywhere.
"""

import re
from collections.abc import Callable

from django import template

from provisioning.resource_types import RESOURCE_TYPES, request_titles

register = template.Library()

REQUEST_TYPES = request_titles()
KINDS = {
    "s3-bucket": "object storage bucket",
    "sqs-queue": "message queue",
    "security-group": "network security group",
    "db-subnet-group": "database subnet group",
    "kv-secret": "Vault secret",
    "rds-instance": "PostgreSQL database",
    "namespace": "Kubernetes namespace",
    "kv-path": "Vault secrets path",
    "repository": "repository",
    "gitops-files": "GitOps files",
    "catalog-component": "catalog entry",
    "deployment": "deployment",
}
STEP_VERBS = {"ensure": "Create", "decommission": "Remove", "reconcile": "Re-apply"}
STEP_RE = re.compile(r"^(ensure|decommission|reconcile) ([a-z0-9-]+) (.+)$")


@register.filter
def in_words(value: object) -> str:
    """A request type, resource kind or step name in words; anything else unchanged."""
    text = str(value or "")
    if text in REQUEST_TYPES:
        return REQUEST_TYPES[text]
    if text in KINDS:
        return KINDS[text][0].upper() + KINDS[text][1:]
    if (match := STEP_RE.match(text)) and match[2] in KINDS:
        return f"{STEP_VERBS[match[1]]} the {KINDS[match[2]]} {match[3]}"
    return text


def _on_off(value: object) -> str:
    return "on" if value else "off"


def _yes_no(value: object) -> str:
    return "yes" if value else "no"


def duration(seconds: object) -> str:
    """345600 → "4 days"; the largest whole unit that fits."""
    seconds = int(seconds)  # type: ignore[call-overload]
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            return _count(seconds // size, unit)
    return _count(seconds, "second")


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def _days(value: object) -> str:
    return _count(int(value), "day")  # type: ignore[call-overload]


def _lifecycle(rule: dict | None) -> str:
    if not rule:
        return "none"
    parts = []
    if rule.get("transition_to_ia_days"):
        parts.append(f"move to infrequent access after {_days(rule['transition_to_ia_days'])}")
    if rule.get("expire_noncurrent_days"):
        parts.append(f"delete old versions after {_days(rule['expire_noncurrent_days'])}")
    return ", ".join(parts) or "none"


def _dead_letter(target: dict | None) -> str:
    if not target:
        return "none"
    tries = target.get("max_receive_count")
    after = f" (after {_count(int(tries), 'failed attempt')})" if tries else ""
    return f"{target.get('target_name', '')}{after}"


def _ingress(rules: list) -> str:
    return "; ".join(
        f"{str(r.get('protocol', '')).upper()} port {r.get('port')} from "
        f"{r.get('cidr') or r.get('source_group_name')}"
        for r in rules
    )


def _vault_location(where: dict) -> str:
    return f"in Vault at {where.get('mount')}/{where.get('path')}"


def _quota(quota: dict) -> str:
    names = {
        "requests.cpu": "CPU requested",
        "requests.memory": "memory requested",
        "limits.cpu": "CPU limit",
        "limits.memory": "memory limit",
        "pods": "pods",
    }
    return ", ".join(f"{v} {names.get(k, k)}" for k, v in quota.items())


def _limit_range(limits: dict) -> str:
    default, request = limits.get("default", {}), limits.get("default_request", {})
    return (
        f"limit {default.get('cpu')} CPU and {default.get('memory')} memory, "
        f"request {request.get('cpu')} CPU and {request.get('memory')} memory"
    )


def _kubernetes_auth(auth: dict | None) -> str:
    if not auth:
        return "off"
    accounts = ", ".join(auth.get("service_account_names", []))
    namespaces = ", ".join(auth.get("namespaces", []))
    return f"role {auth.get('role')} for service account {accounts} in {namespaces}"


ENCRYPTION = {"AES256": "S3-managed keys (AES-256)", "aws:kms": "AWS KMS key"}
ENGINES = {"postgres": "PostgreSQL"}

# key → (label, how to say the value); keys not listed get a generic label and value.
SETTINGS: dict[str, tuple[str, Callable[[object], str]]] = {
    "region": ("Region", str),
    "versioning": ("Versioning", _on_off),
    "encryption": ("Encryption", lambda v: ENCRYPTION.get(str(v), str(v))),
    "lifecycle": ("Lifecycle rule", _lifecycle),
    "block_public_access": ("Public access", lambda v: "blocked" if v else "allowed"),
    "fifo": ("Queue type", lambda v: "FIFO (ordered, exactly once)" if v else "standard"),
    "visibility_timeout": ("Visibility timeout", duration),
    "message_retention_seconds": ("Message retention", duration),
    "dead_letter": ("Dead-letter queue", _dead_letter),
    "vpc_id": ("Network (VPC)", str),
    "ingress": ("Lets in", _ingress),
    "subnet_ids": ("Subnets", lambda v: ", ".join(map(str, v))),
    "mount": ("Vault mount", str),
    "keys": ("Keys", lambda v: ", ".join(map(str, v))),
    "engine": ("Engine", lambda v: ENGINES.get(str(v), str(v))),
    "engine_version": ("Version", str),
    "allocated_storage": ("Storage", lambda v: f"{v} GB"),
    "multi_az": ("High availability (Multi-AZ)", _on_off),
    "storage_encrypted": ("Encrypted at rest", _yes_no),
    "publicly_accessible": ("Reachable from the internet", _yes_no),
    "db_subnet_group": ("Subnet group", str),
    "master_username": ("Admin user", str),
    "db_name": ("Database name", str),
    "backup_retention_days": ("Backups kept", _days),
    "deletion_protection": ("Deletion protection", _on_off),
    "credentials_path": ("Credentials", _vault_location),
    "quota": ("Quota", _quota),
    "limit_range": ("Defaults per container", _limit_range),
    "team_group": ("Team group", str),
    "role": ("Team's role", str),
    "default_deny": ("Network policy", lambda v: "deny by default" if v else "allow all"),
    "max_versions": ("Versions kept", str),
    "policy_name": ("Read policy", str),
    "kubernetes_auth": ("Pods can read it", _kubernetes_auth),
    "files": ("Files", lambda v: _count(len(v), "file")),  # type: ignore[arg-type]
}
# Shown elsewhere (the policy's name, the plan's name column) or too long to read in a cell.
HIDDEN_SETTINGS = {"policy_hcl", "kms_key_id", "path"}


def _generic(value: object) -> str:
    if isinstance(value, bool):
        return _on_off(value)
    if isinstance(value, list | tuple):
        return ", ".join(_generic(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{_label(k).lower()}: {_generic(v)}" for k, v in value.items())
    return str(value)


def _label(key: str) -> str:
    return key.replace("_", " ").replace("-", " ").capitalize()


# Settings whose absence means something ("Lifecycle rule: none"); other absent ones are left out.
SAID_WHEN_ABSENT = {"lifecycle", "dead_letter", "kubernetes_auth"}


@register.filter
def settings_in_words(config: dict | None) -> list[tuple[str, str]]:
    """A planned resource's settings as (label, value) rows, in words, empty ones left out."""
    rows = []
    for key, value in (config or {}).items():
        absent = value is None or value == "" or value == {} or value == []
        if key in HIDDEN_SETTINGS or (absent and key not in SAID_WHEN_ABSENT):
            continue
        label, say = SETTINGS.get(key, (_label(key), _generic))
        rows.append((label, say(value)))
    return rows


@register.filter
def parameters_in_words(parameters: dict | None, type_slug: str) -> list[tuple[str, str]]:
    """What the requester chose, with the request form's labels and choice names."""
    resource_type = RESOURCE_TYPES.get(type_slug)
    fields = resource_type.form().fields if resource_type else {}
    rows = []
    for key, value in (parameters or {}).items():
        field = fields.get(key)
        if field is None:
            rows.append((_label(key), _generic(value)))
            continue
        choices = dict(getattr(field, "choices", []) or [])
        said = choices.get(value) if not isinstance(value, bool) else _yes_no(value)
        rows.append((str(field.label), str(said if said is not None else _generic(value))))
    return rows
