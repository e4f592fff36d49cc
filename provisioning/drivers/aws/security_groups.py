"""EC2 security groups in a VPC: the planned ingress rules exactly, egress as AWS made it."""

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
from provisioning.drivers.base import (
    EnsureResult,
    PermanentError,
    PlannedResource,
    ResourceMissing,
    TransientError,
)

# (protocol, from port, to port, source) with source "cidr:10.0.0.0/16", "cidr6:…",
# "group:sg-…" or "prefix:pl-…"
Rule = tuple[str, int | None, int | None, str]


# --- pure ----------------------------------------------------------------------------------


def actual_rules(permissions: list[dict]) -> set[Rule]:
    """EC2's IpPermissions flattened to one rule per source."""
    rules: set[Rule] = set()
    for permission in permissions:
        head = (permission["IpProtocol"], permission.get("FromPort"), permission.get("ToPort"))
        sources = [f"cidr:{r['CidrIp']}" for r in permission.get("IpRanges", [])]
        sources += [f"cidr6:{r['CidrIpv6']}" for r in permission.get("Ipv6Ranges", [])]
        sources += [f"group:{p['GroupId']}" for p in permission.get("UserIdGroupPairs", [])]
        sources += [f"prefix:{p['PrefixListId']}" for p in permission.get("PrefixListIds", [])]
        rules.update((*head, source) for source in sources)
    return rules


def desired_rules(resource: PlannedResource, group_ids: dict[str, str]) -> set[Rule]:
    """The planned ingress; `group_ids` maps source group names to ids (rules whose source
    group is not in it are left out)."""
    rules = set()
    for rule in resource.config.get("ingress", []):
        port = int(rule["port"])
        if rule.get("source_group_name"):
            if rule["source_group_name"] not in group_ids:
                continue
            source = f"group:{group_ids[rule['source_group_name']]}"
        elif rule.get("cidr"):
            source = f"cidr:{rule['cidr']}"
        else:
            raise PermanentError(
                f"an ingress rule of security group {resource.name} (port {port}) names neither a "
                "CIDR nor a source group: ask the platform team to set the environment's "
                "application CIDR"
            )
        rules.add((rule.get("protocol", "tcp"), port, port, source))
    return rules


def permission(rule: Rule) -> dict:
    """One rule back in EC2's IpPermissions shape."""
    protocol, from_port, to_port, source = rule
    kind, value = source.split(":", 1)
    document: dict[str, Any] = {"IpProtocol": protocol}
    if from_port is not None:
        document |= {"FromPort": from_port, "ToPort": to_port}
    key, field = {
        "cidr": ("IpRanges", "CidrIp"),
        "cidr6": ("Ipv6Ranges", "CidrIpv6"),
        "group": ("UserIdGroupPairs", "GroupId"),
        "prefix": ("PrefixListIds", "PrefixListId"),
    }[kind]
    document[key] = [{field: value}]
    return document


def _rule_text(rule: Rule) -> str:
    protocol, from_port, to_port, source = rule
    ports = (
        "all ports"
        if from_port is None
        else (f"port {from_port}" if from_port == to_port else f"ports {from_port}-{to_port}")
    )
    return (
        f"{'all traffic' if protocol == '-1' else protocol} {ports} from {source.split(':', 1)[1]}"
    )


def differences(resource: PlannedResource, group: dict, wanted: set[Rule]) -> list[Difference]:
    have = actual_rules(group.get("IpPermissions", []))
    found = [
        Difference("ingress", f"ingress rule {_rule_text(r)} is missing")
        for r in sorted(wanted - have, key=str)
    ]
    found += [
        Difference("ingress", f"ingress rule {_rule_text(r)} is not in the plan")
        for r in sorted(have - wanted, key=str)
    ]
    return found + tag_differences(resource.tags, tag_dict(group.get("Tags")))


# --- I/O -----------------------------------------------------------------------------------


def find(ec2: Any, name: str, vpc_id: str) -> dict | None:
    filters = [{"Name": "group-name", "Values": [name]}, {"Name": "vpc-id", "Values": [vpc_id]}]
    groups = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
    return groups[0] if groups else None


def group_ids(ec2: Any, resource: PlannedResource, own_id: str) -> tuple[dict[str, str], list[str]]:
    """Ids of the source groups the ingress names, looked up by name in the same VPC, and the
    names that were not found."""
    ids, missing = {resource.name: own_id}, []
    for rule in resource.config.get("ingress", []):
        name = rule.get("source_group_name")
        if name and name not in ids and name not in missing:
            group = find(ec2, name, resource.config["vpc_id"])
            if group is None:
                missing.append(name)
            else:
                ids[name] = group["GroupId"]
    return ids, missing


def create(ec2: Any, resource: PlannedResource) -> tuple[dict, bool]:
    """(group, created). A duplicate name means the group exists (a lost response, or a
    concurrent ensure): it is read back instead of failing."""
    config = resource.config
    try:
        response = ec2.create_security_group(
            GroupName=resource.name,
            Description=config["description"],
            VpcId=config["vpc_id"],
            TagSpecifications=[{"ResourceType": "security-group", "Tags": tag_list(resource.tags)}],
        )
    except ClientError as exc:
        duplicate = has_code(exc, "InvalidGroup.Duplicate")
        if duplicate and (group := find(ec2, resource.name, config["vpc_id"])):
            return group, False
        raise
    group = {
        "GroupId": response["GroupId"],
        "IpPermissions": [],
        "Tags": tag_list(resource.tags),
        "Description": config["description"],
        "VpcId": config["vpc_id"],
    }
    return group, True


def converge(ec2: Any, resource: PlannedResource, group: dict, wanted: set[Rule]) -> None:
    group_id, have = group["GroupId"], actual_rules(group.get("IpPermissions", []))
    if missing := wanted - have:
        _call_ignoring(
            ec2.authorize_security_group_ingress,
            "InvalidPermission.Duplicate",
            GroupId=group_id,
            IpPermissions=[permission(r) for r in sorted(missing, key=str)],
        )
    if extra := have - wanted:
        _call_ignoring(
            ec2.revoke_security_group_ingress,
            "InvalidPermission.NotFound",
            GroupId=group_id,
            IpPermissions=[permission(r) for r in sorted(extra, key=str)],
        )
    if tags := missing_tags(resource.tags, tag_dict(group.get("Tags"))):
        ec2.create_tags(Resources=[group_id], Tags=tag_list(tags))


def _call_ignoring(call, code: str, **kwargs) -> None:
    """Rule changes race with concurrent ensures; "already there"/"already gone" is success."""
    try:
        call(**kwargs)
    except ClientError as exc:
        if not has_code(exc, code):
            raise


def _details(group: dict) -> dict:
    return {"group_id": group["GroupId"], "vpc_id": group.get("VpcId", "")}


# --- the kind's three operations -------------------------------------------------------


def ensure(aws: AwsClients, resource: PlannedResource, secrets: dict) -> EnsureResult:
    """1. Find the group by name in the VPC, or create it; 2. resolve source groups to ids;
    3. authorize missing rules, revoke unplanned ones, add missing tags."""
    ec2 = aws.client("ec2", resource)
    group, created = find(ec2, resource.name, resource.config["vpc_id"]), False
    if group is None:
        group, created = create(ec2, resource)
    ids, missing = group_ids(ec2, resource, group["GroupId"])
    if missing:
        raise TransientError(
            f"security group {missing[0]}, a source in {resource.name}'s ingress, does not exist "
            "(yet): the plan creates it first; the portal will retry"
        )
    wanted = desired_rules(resource, ids)
    found = differences(resource, group, wanted)
    converge(ec2, resource, group, wanted)
    return outcome_result(
        "security group", resource.name, group["GroupId"], created, found, _details(group)
    )


def check_drift(aws: AwsClients, resource: PlannedResource) -> list[str]:
    ec2 = aws.client("ec2", resource)
    group = find(ec2, resource.name, resource.config["vpc_id"])
    if group is None:
        raise ResourceMissing(f"security group {resource.name} no longer exists")
    ids, missing = group_ids(ec2, resource, group["GroupId"])
    found = [f"source security group {name} no longer exists" for name in missing]
    found += [d.sentence for d in differences(resource, group, desired_rules(resource, ids))]
    if group.get("Description") != resource.config["description"]:
        found.append("description differs from the plan (it cannot change without a new group)")
    return found


def decommission(aws: AwsClients, resource: PlannedResource) -> EnsureResult:
    ec2 = aws.client("ec2", resource)
    group = find(ec2, resource.name, resource.config["vpc_id"])
    if group is None:
        return deleted("security group", resource.name, existed=False)
    try:
        ec2.delete_security_group(GroupId=group["GroupId"])
    except ClientError as exc:
        if has_code(exc, "InvalidGroup.NotFound"):
            return deleted("security group", resource.name, existed=False)
        if has_code(exc, "DependencyViolation"):
            raise PermanentError(
                f"security group {resource.name} is still in use (by a database, a network "
                "interface or another group's rule): decommission what uses it first; a database "
                "being deleted releases it after a few minutes, then retry"
            ) from None
        raise
    return deleted("security group", resource.name, existed=True, identifier=group["GroupId"])
