"""RDS DB subnet groups: the private subnets a database may live in."""

from typing import Any

from botocore.exceptions import ClientError

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
from provisioning.drivers.base import EnsureResult, PermanentError, PlannedResource, ResourceMissing

NOT_FOUND_CODES = ("DBSubnetGroupNotFoundFault", "DBSubnetGroupNotFound")
ALREADY_EXISTS_CODES = ("DBSubnetGroupAlreadyExists", "DBSubnetGroupAlreadyExistsFault")


def rds_name(resource: PlannedResource) -> str:
    """RDS stores subnet group names in lower case."""
    return resource.name.lower()


# --- pure ----------------------------------------------------------------------------------


def differences(resource: PlannedResource, group: dict, tags: dict[str, str]) -> list[Difference]:
    found = []
    if group.get("DBSubnetGroupDescription") != resource.config["description"]:
        found.append(Difference("subnets", "description differs from the plan"))
    have = {subnet["SubnetIdentifier"] for subnet in group.get("Subnets", [])}
    want = set(resource.config["subnet_ids"])
    if have != want:
        found.append(Difference("subnets", f"subnets are {sorted(have)}, plan: {sorted(want)}"))
    return found + tag_differences(resource.tags, tags)


# --- I/O -----------------------------------------------------------------------------------


def find(rds: Any, name: str) -> dict | None:
    try:
        return rds.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"][0]
    except ClientError as exc:
        if has_code(exc, *NOT_FOUND_CODES):
            return None
        raise


def create(rds: Any, resource: PlannedResource) -> tuple[dict, bool]:
    """(group, created); an existing group of that name is read back for converging."""
    try:
        response = rds.create_db_subnet_group(
            DBSubnetGroupName=rds_name(resource),
            DBSubnetGroupDescription=resource.config["description"],
            SubnetIds=list(resource.config["subnet_ids"]),
            Tags=tag_list(resource.tags),
        )
    except ClientError as exc:
        if has_code(exc, *ALREADY_EXISTS_CODES) and (group := find(rds, rds_name(resource))):
            return group, False
        raise
    return response["DBSubnetGroup"], True


def tags_of(rds: Any, arn: str) -> dict[str, str]:
    return tag_dict(rds.list_tags_for_resource(ResourceName=arn).get("TagList"))


def converge(
    rds: Any, resource: PlannedResource, group: dict, tags: dict, found: list[Difference]
) -> None:
    if any(d.setting == "subnets" for d in found):
        rds.modify_db_subnet_group(
            DBSubnetGroupName=rds_name(resource),
            DBSubnetGroupDescription=resource.config["description"],
            SubnetIds=list(resource.config["subnet_ids"]),
        )
    if missing := missing_tags(resource.tags, tags):
        rds.add_tags_to_resource(ResourceName=group["DBSubnetGroupArn"], Tags=tag_list(missing))


# --- the kind's three operations -------------------------------------------------------


def ensure(aws: AwsClients, resource: PlannedResource, secrets: dict) -> EnsureResult:
    """1. Find the group by (lower-case) name, or create it with tags; 2. converge description,
    subnets and tags."""
    rds = aws.client("rds", resource)
    group, created = find(rds, rds_name(resource)), False
    if group is None:
        group, created = create(rds, resource)
    tags = tag_dict(tag_list(resource.tags)) if created else tags_of(rds, group["DBSubnetGroupArn"])
    found = differences(resource, group, tags)
    converge(rds, resource, group, tags, found)
    details = {"vpc_id": group.get("VpcId", "")}
    return outcome_result(
        "DB subnet group", rds_name(resource), group["DBSubnetGroupArn"], created, found, details
    )


def check_drift(aws: AwsClients, resource: PlannedResource) -> list[str]:
    rds = aws.client("rds", resource)
    group = find(rds, rds_name(resource))
    if group is None:
        raise ResourceMissing(f"DB subnet group {rds_name(resource)} no longer exists")
    tags = tags_of(rds, group["DBSubnetGroupArn"])
    return [d.sentence for d in differences(resource, group, tags)]


def decommission(aws: AwsClients, resource: PlannedResource) -> EnsureResult:
    rds, name = aws.client("rds", resource), rds_name(resource)
    try:
        rds.delete_db_subnet_group(DBSubnetGroupName=name)
    except ClientError as exc:
        if has_code(exc, *NOT_FOUND_CODES):
            return deleted("DB subnet group", name, existed=False)
        if has_code(exc, "InvalidDBSubnetGroupStateFault", "InvalidDBSubnetGroupState"):
            raise PermanentError(
                f"DB subnet group {name} is still used by a database: decommission the database "
                "first (deletion takes a few minutes), then retry"
            ) from None
        raise
    return deleted("DB subnet group", name, existed=True)
