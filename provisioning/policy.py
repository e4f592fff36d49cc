"""Governance rules as pure functions: names and tags are checked here before anything exists.

Each `*_problems` function returns readable sentences that say what to do instead; an empty list
means compliant. The rules are the providers' own (S3, SQS, RDS, Kubernetes, Vault) plus the
platform's naming pattern and required cost tags.
"""

import ipaddress
import re
from dataclasses import dataclass

PURPOSE_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
S3_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
SQS_RE = re.compile(r"^[A-Za-z0-9_-]+$")
RDS_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]*$")
DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
VAULT_SEGMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
TAG_CHARS_RE = re.compile(r"^[\w +=.:/@-]*$")
MAX_TAGS = 50


MAX_PURPOSE_LENGTH = 20


@dataclass(frozen=True)
class NamingPolicy:
    pattern: str = "{team}-{service}-{env}-{purpose}"
    required_tags: tuple[str, ...] = ("team", "service", "environment", "cost-center", "managed-by")
    managed_by: str = "idp-portal"
    max_purpose_length: int = MAX_PURPOSE_LENGTH


def purpose_rule(max_length: int = MAX_PURPOSE_LENGTH) -> str:
    """The purpose rule in words: the form's help text and every purpose error quote it."""
    return (
        f"lowercase letters, digits and single hyphens, starting with a letter, "
        f"at most {max_length} characters"
    )


def purpose_problems(purpose: str, max_length: int = MAX_PURPOSE_LENGTH) -> list[str]:
    rule = purpose_rule(max_length)
    if not purpose:
        return [f"give the resource a purpose ({rule}), e.g. assets, uploads or events"]
    if len(purpose) > max_length:
        return [f"'{purpose}' is {len(purpose)} characters: shorten it to {max_length} or fewer"]
    if not PURPOSE_RE.match(purpose):
        return [f"'{purpose}' won't do: use {rule}, e.g. 'assets' or 'user-uploads'"]
    return []


SERVICE_NAME_MAX_LENGTH = 63
# RFC 1035 labels: a service's name becomes its Kubernetes Deployment and Service.
SERVICE_NAME_RE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def service_name_rule() -> str:
    """The service-name rule in words: the create form's help text and its errors quote it."""
    return (
        "lowercase letters, digits and '-', starting with a letter and ending with a letter or "
        f"digit, at most {SERVICE_NAME_MAX_LENGTH} characters"
    )


def service_name_rule_problems(name: str) -> list[str]:
    rule = service_name_rule()
    if not name:
        return [f"give the service a name: {rule}, e.g. checkout-api"]
    if len(name) > SERVICE_NAME_MAX_LENGTH:
        return [
            f"'{name[:20]}…' is {len(name)} characters: shorten it to {SERVICE_NAME_MAX_LENGTH} "
            "or fewer"
        ]
    if not SERVICE_NAME_RE.match(name):
        return [f"'{name}' won't do: use {rule}, e.g. checkout-api"]
    return []


def render_name(policy: NamingPolicy, team: str, service: str, env: str, purpose: str = "") -> str:
    """The deterministic name of a resource; empty placeholders and their hyphens drop out."""
    values = {"team": team, "service": service, "env": env, "purpose": purpose}
    name = policy.pattern.format(**values).lower()
    return re.sub(r"-{2,}", "-", name).strip("-")


def s3_bucket_problems(name: str) -> list[str]:
    problems = []
    if not 3 <= len(name) <= 63:
        problems.append(f"the bucket name '{name}' is {len(name)} characters; S3 allows 3 to 63")
    if not S3_RE.match(name):
        problems.append(
            "S3 bucket names use lowercase letters, digits, '.' and '-', and start and end "
            "with a letter or digit"
        )
    if ".." in name or ".-" in name or "-." in name:
        problems.append("S3 bucket names may not contain '..', '.-' or '-.'")
    if _is_ip_like(name):
        problems.append("an S3 bucket name may not look like an IP address")
    if name.startswith(S3_RESERVED_PREFIXES) or name.endswith(S3_RESERVED_SUFFIXES):
        problems.append(f"'{name}' uses a prefix or suffix S3 reserves: choose another purpose")
    return problems


def _is_ip_like(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def sqs_queue_problems(name: str, fifo: bool) -> list[str]:
    base = name.removesuffix(".fifo") if fifo else name
    problems = []
    if fifo and not name.endswith(".fifo"):
        problems.append("a FIFO queue's name must end in '.fifo'")
    if not fifo and name.endswith(".fifo"):
        problems.append("only FIFO queues may end in '.fifo'")
    if not 1 <= len(name) <= 80:
        problems.append(f"the queue name is {len(name)} characters; SQS allows up to 80")
    if not SQS_RE.match(base):
        problems.append("SQS queue names use letters, digits, '-' and '_' only")
    return problems


def rds_identifier_problems(name: str) -> list[str]:
    problems = []
    if not 1 <= len(name) <= 63:
        problems.append(f"the database identifier is {len(name)} characters; RDS allows 1 to 63")
    if not RDS_RE.match(name):
        problems.append("RDS identifiers start with a letter and use letters, digits and '-'")
    if "--" in name or name.endswith("-"):
        problems.append("RDS identifiers may not contain '--' or end with '-'")
    return problems


def namespace_problems(name: str) -> list[str]:
    problems = []
    if len(name) > 63:
        problems.append(f"the namespace name is {len(name)} characters; Kubernetes allows 63")
    if not DNS_LABEL_RE.match(name):
        problems.append(
            "namespace names use lowercase letters, digits and '-', starting and ending "
            "with a letter or digit"
        )
    if name.startswith("kube-") or name in {"default", "kube-system", "kube-public"}:
        problems.append(f"'{name}' is reserved by Kubernetes: choose another service or purpose")
    return problems


def vault_path_problems(path: str) -> list[str]:
    """A KV path of plain segments: no traversal, no empty or encoded segments."""
    segments = path.split("/")
    if not path or any(not VAULT_SEGMENT_RE.match(s) or s in {".", ".."} for s in segments):
        return [
            f"'{path}' is not a safe Vault path: use segments of letters, digits, '_', '.' and "
            "'-' separated by single '/', with no '..' or '%'"
        ]
    if len(path) > 200:
        return ["the Vault path is longer than 200 characters"]
    return []


def build_tags(
    policy: NamingPolicy, team: str, service: str, env: str, cost_center: str, extra: dict
) -> dict[str, str]:
    """Required cost tags first (they win over extras of the same key), then the extras."""
    required = {
        "team": team,
        "service": service,
        "environment": env,
        "cost-center": cost_center,
        "managed-by": policy.managed_by,
    }
    return {**extra, **{k: v for k, v in required.items() if k in policy.required_tags}}


def tag_problems(tags: dict[str, str], policy: NamingPolicy) -> list[str]:
    problems = []
    if len(tags) > MAX_TAGS:
        problems.append(f"{len(tags)} tags: AWS allows at most {MAX_TAGS} per resource")
    for key, value in tags.items():
        if key.lower().startswith("aws:"):
            problems.append(f"tag '{key}': keys starting with 'aws:' are reserved by AWS")
        if not 1 <= len(key) <= 128:
            problems.append(f"tag key '{key[:20]}…' must be 1 to 128 characters")
        if len(value) > 256:
            problems.append(f"tag '{key}': values are at most 256 characters")
        if not TAG_CHARS_RE.match(key) or not TAG_CHARS_RE.match(value):
            problems.append(
                f"tag '{key[:40]}': use letters, digits, spaces and _ . : / = + - @ only"
            )
    for key in policy.required_tags:
        if not tags.get(key):
            problems.append(f"the required cost tag '{key}' is missing")
    return problems
