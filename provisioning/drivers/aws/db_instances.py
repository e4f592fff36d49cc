"""RDS PostgreSQL instances: private, encrypted, in the planned subnet group and security group.

The master password arrives only through `secrets` and is used only at creation; it is never
converged on an existing instance (rotation is the secret store's job), never logged and never
returned. Changes to an existing instance go in with ApplyImmediately=False, so they wait for
the maintenance window instead of restarting a production database in the middle of the day.
"""

from typing import Any

from botocore.exceptions import ClientError

from provisioning.drivers.aws import security_groups, subnet_groups
from provisioning.drivers.aws.common import (
    AwsClients,
    Difference,
    deleted,
    missing_tags,
    outcome_result,
    tag_dict,
    tag_differences,
    tag_list,
)
from provisioning.drivers.aws.errors import has_code
from provisioning.drivers.base import (
    EnsureResult,
    PermanentError,
    PlannedResource,
    ResourceMissing,
    TransientError,
)

NOT_FOUND_CODES = ("DBInstanceNotFound", "DBInstanceNotFoundFault")
ALREADY_EXISTS_CODES = ("DBInstanceAlreadyExists", "DBInstanceAlreadyExistsFault")
# States in which RDS accepts a modification.
MODIFIABLE_STATUSES = frozenset({"available", "backing-up", "storage-optimization"})
TROUBLED_STATUSES = frozenset(
    {
        "failed",
        "stopped",
        "storage-full",
        "incompatible-parameters",
        "incompatible-network",
        "incompatible-restore",
        "inaccessible-encryption-credentials",
    }
)
# Settings converged with ModifyDBInstance: (API field, config key, words for the log).
MODIFIABLE = (
    ("DBInstanceClass", "instance_class", "instance class"),
    ("AllocatedStorage", "allocated_storage", "storage (GiB)"),
    ("MultiAZ", "multi_az", "multi-AZ"),
    ("BackupRetentionPeriod", "backup_retention_days", "backup retention (days)"),
    ("DeletionProtection", "deletion_protection", "deletion protection"),
    ("PubliclyAccessible", "publicly_accessible", "public accessibility"),
)
# Pending changes RDS reports under these names; they count as already asked for.
PENDING_FIELDS = ("DBInstanceClass", "AllocatedStorage", "MultiAZ", "BackupRetentionPeriod")


def rds_id(resource: PlannedResource) -> str:
    """RDS stores instance identifiers in lower case and matches them case-insensitively."""
    return resource.name.lower()


# --- pure ----------------------------------------------------------------------------------


def effective(instance: dict) -> dict:
    """The instance as it will be once pending modifications are applied."""
    pending = instance.get("PendingModifiedValues", {})
    return {**instance, **{key: pending[key] for key in PENDING_FIELDS if key in pending}}


def fixed_differences(resource: PlannedResource, instance: dict) -> list[Difference]:
    """Differences that cannot be converged in place; each needs a person to decide."""
    config, found = resource.config, []
    if config.get("storage_encrypted", True) and not instance.get("StorageEncrypted"):
        found.append(
            Difference("fixed", "storage is not encrypted (encryption is chosen at creation only)")
        )
    if instance.get("Engine") != config["engine"]:
        found.append(
            Difference("fixed", f"engine is {instance.get('Engine')}, plan: {config['engine']}")
        )
    version, want = instance.get("EngineVersion", ""), str(config["engine_version"])
    if version != want and not version.startswith(want + "."):
        found.append(Difference("fixed", f"engine version is {version}, plan: {want}"))
    subnet_group = instance.get("DBSubnetGroup", {}).get("DBSubnetGroupName", "")
    if subnet_group.lower() != config["db_subnet_group"].lower():
        found.append(
            Difference(
                "fixed", f"DB subnet group is {subnet_group}, plan: {config['db_subnet_group']}"
            )
        )
    for field, key, words in (
        ("MasterUsername", "master_username", "master user"),
        ("DBName", "db_name", "database name"),
    ):
        if instance.get(field) != config[key]:
            found.append(
                Difference("fixed", f"{words} is {instance.get(field)}, plan: {config[key]}")
            )
    if int(instance.get("AllocatedStorage", 0)) > int(config["allocated_storage"]):
        found.append(
            Difference(
                "fixed",
                f"storage is {instance['AllocatedStorage']} GiB and cannot "
                f"shrink to {config['allocated_storage']} GiB",
            )
        )
    return found


def modifiable_differences(
    resource: PlannedResource, instance: dict, group_id: str | None
) -> list[Difference]:
    found = []
    for field, key, words in MODIFIABLE:
        have, want = instance.get(field), resource.config.get(key)
        if want is None or (field == "AllocatedStorage" and int(have or 0) > int(want)):
            continue  # not planned, or a shrink (reported by fixed_differences)
        if have != want:
            found.append(Difference(field, f"{words} is {_shown(have)}, plan: {_shown(want)}"))
    have_groups = sorted(g["VpcSecurityGroupId"] for g in instance.get("VpcSecurityGroups", []))
    if group_id and have_groups != [group_id]:
        found.append(
            Difference(
                "VpcSecurityGroupIds", f"security groups are {have_groups}, plan: [{group_id}]"
            )
        )
    return found


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return "unset" if value is None else str(value)


def differences(
    resource: PlannedResource, instance: dict, group_id: str | None, tags: dict
) -> list[Difference]:
    current = effective(instance)
    return (
        fixed_differences(resource, current)
        + modifiable_differences(resource, current, group_id)
        + tag_differences(resource.tags, tags)
    )


def modify_arguments(
    resource: PlannedResource, found: list[Difference], group_id: str | None
) -> dict:
    config, arguments = resource.config, {}
    for field, key, _ in MODIFIABLE:
        if any(d.setting == field for d in found):
            arguments[field] = config[key]
    if any(d.setting == "VpcSecurityGroupIds" for d in found):
        arguments["VpcSecurityGroupIds"] = [group_id]
    return arguments


def details(instance: dict) -> dict:
    endpoint = instance.get("Endpoint") or {}
    return {
        "endpoint": endpoint.get("Address") or None,
        "port": endpoint.get("Port") or 5432,
        "status": instance.get("DBInstanceStatus", ""),
    }


# --- I/O -----------------------------------------------------------------------------------


def find(rds: Any, identifier: str) -> dict | None:
    try:
        return rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    except ClientError as exc:
        if has_code(exc, *NOT_FOUND_CODES):
            return None
        raise


def find_security_group_id(aws: AwsClients, resource: PlannedResource) -> tuple[str | None, str]:
    """(id, "") for the planned security group, found by name in the subnet group's VPC, or
    (None, what is missing)."""
    config = resource.config
    rds, ec2 = aws.client("rds", resource), aws.client("ec2", resource)
    subnet_group = subnet_groups.find(rds, config["db_subnet_group"].lower())
    if subnet_group is None:
        return None, f"DB subnet group {config['db_subnet_group']} does not exist"
    group = security_groups.find(ec2, config["security_group"], subnet_group["VpcId"])
    if group is None:
        return None, f"security group {config['security_group']} does not exist in its VPC"
    return group["GroupId"], ""


def security_group_id(aws: AwsClients, resource: PlannedResource) -> str:
    group_id, missing = find_security_group_id(aws, resource)
    if group_id is None:
        raise TransientError(
            f"{missing} (yet) for rds instance {rds_id(resource)}: the plan creates it first; "
            "the portal will retry"
        )
    return group_id


def create(
    rds: Any, resource: PlannedResource, group_id: str, password: str | None
) -> tuple[dict, bool]:
    """(instance, created). Returns without waiting for "available" (that takes minutes); an
    instance that already has this identifier (a lost response) is read back instead."""
    config, identifier = resource.config, rds_id(resource)
    if not password:
        raise PermanentError(
            f"no master password was handed over for rds instance {identifier}: the portal keeps "
            "it in Vault before creating the database; retry the request"
        )
    try:
        response = rds.create_db_instance(
            DBInstanceIdentifier=identifier,
            Engine=config["engine"],
            EngineVersion=str(config["engine_version"]),
            DBInstanceClass=config["instance_class"],
            AllocatedStorage=int(config["allocated_storage"]),
            MultiAZ=bool(config["multi_az"]),
            StorageEncrypted=True,
            PubliclyAccessible=False,
            DBSubnetGroupName=config["db_subnet_group"].lower(),
            VpcSecurityGroupIds=[group_id],
            MasterUsername=config["master_username"],
            MasterUserPassword=password,
            DBName=config["db_name"],
            BackupRetentionPeriod=int(config["backup_retention_days"]),
            DeletionProtection=bool(config["deletion_protection"]),
            CopyTagsToSnapshot=True,
            Tags=tag_list(resource.tags),
        )
    except ClientError as exc:
        if has_code(exc, *ALREADY_EXISTS_CODES) and (instance := find(rds, identifier)):
            return instance, False
        raise
    return response["DBInstance"], True


def converge(
    rds: Any,
    resource: PlannedResource,
    instance: dict,
    group_id: str,
    tags: dict,
    found: list[Difference],
) -> None:
    """1. Refuse what cannot change in place; 2. wait (retry) while RDS is busy; 3. modify in
    the maintenance window; 4. add missing tags (tags apply at once)."""
    identifier = rds_id(resource)
    if fixed := [d.sentence for d in found if d.setting == "fixed"]:
        raise PermanentError(
            f"rds instance {identifier} exists but differs in ways that cannot change in place: "
            f"{'; '.join(fixed)}. Restore it from a snapshot with the planned settings, or ask "
            "the platform team"
        )
    arguments = modify_arguments(resource, found, group_id)
    status = instance.get("DBInstanceStatus", "")
    if arguments and status not in MODIFIABLE_STATUSES:
        raise TransientError(
            f"rds instance {identifier} is {status}; it can change once available: "
            "the portal will retry"
        )
    if arguments:
        rds.modify_db_instance(DBInstanceIdentifier=identifier, ApplyImmediately=False, **arguments)
    if missing := missing_tags(resource.tags, tags):
        rds.add_tags_to_resource(ResourceName=instance["DBInstanceArn"], Tags=tag_list(missing))


def tags_of(rds: Any, instance: dict) -> dict[str, str]:
    if "TagList" in instance:
        return tag_dict(instance["TagList"])
    return tag_dict(
        rds.list_tags_for_resource(ResourceName=instance["DBInstanceArn"]).get("TagList")
    )


# --- the kind's three operations -------------------------------------------------------


def ensure(aws: AwsClients, resource: PlannedResource, secrets: dict) -> EnsureResult:
    """1. Resolve the security group; 2. find the instance by identifier, or create it (status
    "creating" is fine: drift checks read the status later); 3. converge what RDS can modify."""
    rds, identifier = aws.client("rds", resource), rds_id(resource)
    group_id = security_group_id(aws, resource)
    instance, created = find(rds, identifier), False
    if instance is not None and instance.get("DBInstanceStatus") == "deleting":
        raise TransientError(
            f"rds instance {identifier} is being deleted: the portal will retry "
            "and create it again once it is gone"
        )
    if instance is None:
        instance, created = create(rds, resource, group_id, secrets.get("password"))
    found: list[Difference] = []
    if not created:
        tags = tags_of(rds, instance)
        found = differences(resource, instance, group_id, tags)
        converge(rds, resource, instance, group_id, tags, found)
    return outcome_result(
        "rds instance", identifier, instance["DBInstanceArn"], created, found, details(instance)
    )


def check_drift(aws: AwsClients, resource: PlannedResource) -> list[str]:
    rds, identifier = aws.client("rds", resource), rds_id(resource)
    instance = find(rds, identifier)
    if instance is None:
        raise ResourceMissing(f"rds instance {identifier} no longer exists")
    problems = []
    if (status := instance.get("DBInstanceStatus", "")) in TROUBLED_STATUSES | {"deleting"}:
        problems.append(f"status is {status}")
    group_id, missing = find_security_group_id(aws, resource)
    if missing:
        problems.append(f"{missing} any more")
    return problems + [
        d.sentence for d in differences(resource, instance, group_id, tags_of(rds, instance))
    ]


def decommission(aws: AwsClients, resource: PlannedResource) -> EnsureResult:
    """Delete with a final snapshot `<id>-final` unless the config says skip_final_snapshot;
    deletion protection is respected, never switched off here."""
    rds, identifier = aws.client("rds", resource), rds_id(resource)
    instance = find(rds, identifier)
    if instance is None or instance.get("DBInstanceStatus") == "deleting":
        return deleted("rds instance", identifier, existed=instance is not None)
    if instance.get("DeletionProtection"):
        raise PermanentError(
            f"rds instance {identifier} has deletion protection on: switch it off first (a "
            "request with deletion protection off), or keep the database"
        )
    skip = bool(resource.config.get("skip_final_snapshot", False))
    snapshot = {} if skip else {"FinalDBSnapshotIdentifier": f"{identifier}-final"}
    try:
        rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=skip, **snapshot)
    except ClientError as exc:
        if has_code(exc, *NOT_FOUND_CODES):
            return deleted("rds instance", identifier, existed=False)
        if has_code(exc, "DBSnapshotAlreadyExists", "DBSnapshotAlreadyExistsFault"):
            raise PermanentError(
                f"a snapshot named {identifier}-final already exists (from an earlier database "
                "with this name): rename or delete that snapshot, then retry"
            ) from None
        raise
    return deleted("rds instance", identifier, existed=True, identifier=instance["DBInstanceArn"])
