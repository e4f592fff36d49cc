"""Declarative environments: a YAML file in git is the source, the database follows it."""

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from provisioning.models import Environment

FIELDS = {
    "display_name",
    "description",
    "order",
    "aws_account_id",
    "region",
    "vpc_id",
    "subnet_ids",
    "security_group_ids",
    "app_cidr",
    "db_subnet_group",
    "kubernetes_cluster",
    "namespace_pattern",
    "vault_mount",
    "requires_approval",
    "cost_center_default",
}


class EnvironmentFileError(Exception):
    """The file cannot be applied; the message names the entry and field."""


def parse_environments(text: str) -> list[dict]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise EnvironmentFileError(f"not valid YAML: {exc}") from None
    entries = data.get("environments") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise EnvironmentFileError("expected a top-level 'environments:' list")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("name"):
            raise EnvironmentFileError(f"entry {index + 1} needs at least a 'name'")
        if unknown := set(entry) - FIELDS - {"name"}:
            raise EnvironmentFileError(
                f"entry '{entry['name']}': unknown field(s) {', '.join(sorted(unknown))}; "
                f"allowed: name, {', '.join(sorted(FIELDS))}"
            )
    return entries


@transaction.atomic
def load_environments(text: str) -> tuple[list[str], list[str]]:
    """Create or update every listed environment; all or nothing."""
    created, updated = [], []
    for entry in parse_environments(text):
        env = Environment.objects.filter(name=entry["name"]).first() or Environment(
            name=entry["name"]
        )
        is_new = env.pk is None
        for field, value in entry.items():
            setattr(env, field, value)
        env.display_name = env.display_name or env.name.title()
        try:
            env.full_clean()
        except ValidationError as exc:
            raise EnvironmentFileError(
                f"entry '{entry['name']}': {'; '.join(exc.messages)}"
            ) from None
        env.save()
        (created if is_new else updated).append(env.name)
    return created, updated
