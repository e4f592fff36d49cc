"""Security groups and DB subnet groups against a real moto server."""

import pytest

from provisioning.drivers.aws import subnet_groups
from provisioning.drivers.base import PermanentError, ResourceMissing, TransientError
from tests.moto_server import TAGS, planned_security_group, planned_subnet_group


def _group(aws, name: str = "petstore-db") -> dict:
    filters = [{"Name": "group-name", "Values": [name]}, {"Name": "vpc-id", "Values": [aws.vpc_id]}]
    return aws.client("ec2").describe_security_groups(Filters=filters)["SecurityGroups"][0]


def test_it_creates_a_security_group_with_the_planned_ingress_and_tags(aws, aws_driver):
    result = aws_driver.ensure(planned_security_group(aws.vpc_id))

    group = _group(aws)
    assert (result.outcome, result.identifier) == ("created", group["GroupId"])
    assert result.details == {"group_id": group["GroupId"], "vpc_id": aws.vpc_id}
    [permission] = group["IpPermissions"]
    assert (permission["IpProtocol"], permission["FromPort"], permission["ToPort"]) == (
        "tcp",
        5432,
        5432,
    )
    assert permission["IpRanges"][0]["CidrIp"] == "10.20.0.0/16"
    assert {t["Key"]: t["Value"] for t in group["Tags"]} == TAGS
    assert aws_driver.ensure(planned_security_group(aws.vpc_id)).outcome == "unchanged"


def test_a_source_group_is_resolved_by_name_in_the_same_vpc(aws, aws_driver):
    apps = aws_driver.ensure(planned_security_group(aws.vpc_id, "petstore-app", ingress=[]))
    rule = {"protocol": "tcp", "port": 5432, "cidr": None, "source_group_name": "petstore-app"}

    aws_driver.ensure(planned_security_group(aws.vpc_id, ingress=[rule]))

    [permission] = _group(aws)["IpPermissions"]
    assert [pair["GroupId"] for pair in permission["UserIdGroupPairs"]] == [apps.identifier]


def test_a_rule_opened_by_hand_is_drift_and_ensure_revokes_it(aws, aws_driver):
    result = aws_driver.ensure(planned_security_group(aws.vpc_id))
    aws.client("ec2").authorize_security_group_ingress(
        GroupId=result.identifier,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )

    assert aws_driver.check_drift(planned_security_group(aws.vpc_id)) == [
        "ingress rule tcp port 5432 from 0.0.0.0/0 is not in the plan"
    ]
    assert aws_driver.ensure(planned_security_group(aws.vpc_id)).outcome == "updated"
    assert [r["CidrIp"] for r in _group(aws)["IpPermissions"][0]["IpRanges"]] == ["10.20.0.0/16"]


def test_a_rule_without_a_source_is_a_permanent_error_saying_what_to_do(aws, aws_driver):
    rule = {"protocol": "tcp", "port": 5432, "cidr": None, "source_group_name": None}

    with pytest.raises(
        PermanentError, match="names neither a CIDR nor a source group: ask the platform team"
    ):
        aws_driver.ensure(planned_security_group(aws.vpc_id, ingress=[rule]))


def test_a_deleted_security_group_is_missing_and_decommission_is_idempotent(aws, aws_driver):
    planned = planned_security_group(aws.vpc_id)
    aws_driver.ensure(planned)

    assert aws_driver.decommission(planned).outcome == "deleted"
    assert "already gone" in aws_driver.decommission(planned).message
    with pytest.raises(ResourceMissing):
        aws_driver.check_drift(planned)


def test_it_creates_a_subnet_group_and_restores_a_removed_tag(aws, aws_driver):
    planned = planned_subnet_group(aws.subnet_ids)
    created = aws_driver.ensure(planned)
    aws.client("rds").remove_tags_from_resource(
        ResourceName=created.identifier, TagKeys=["cost-center"]
    )

    drift = aws_driver.check_drift(planned)
    updated = aws_driver.ensure(planned)

    assert created.outcome == "created" and created.identifier.endswith(
        ":subgrp:petstore-db-subnets"
    )
    assert created.details == {"vpc_id": aws.vpc_id}
    assert drift == ["tag cost-center was removed (plan: cc-123)"]
    assert updated.outcome == "updated"
    assert aws_driver.ensure(planned).outcome == "unchanged"


def test_subnet_group_differences_name_the_subnets_and_description():
    # Pure: moto 5.2's ModifyDBSubnetGroup drops the group, so convergence is not run against it.
    planned = planned_subnet_group(["subnet-a", "subnet-b"])
    group = {"DBSubnetGroupDescription": "old", "Subnets": [{"SubnetIdentifier": "subnet-a"}]}

    found = subnet_groups.differences(planned, group, dict(TAGS))

    assert [d.sentence for d in found] == [
        "description differs from the plan",
        "subnets are ['subnet-a'], plan: ['subnet-a', 'subnet-b']",
    ]


def test_subnet_group_names_compare_in_lower_case(aws, aws_driver):
    aws_driver.ensure(planned_subnet_group(aws.subnet_ids, "Petstore-DB-Subnets"))

    assert (
        aws_driver.ensure(planned_subnet_group(aws.subnet_ids, "petstore-db-subnets")).outcome
        == "unchanged"
    )


def test_a_deleted_subnet_group_is_missing_and_decommission_is_idempotent(aws, aws_driver):
    planned = planned_subnet_group(aws.subnet_ids)
    aws_driver.ensure(planned)

    assert aws_driver.decommission(planned).outcome == "deleted"
    assert "already gone" in aws_driver.decommission(planned).message
    with pytest.raises(ResourceMissing):
        aws_driver.check_drift(planned)


def test_a_deleted_source_group_is_drift_and_its_absence_is_transient_for_ensure(aws, aws_driver):
    rule = {"protocol": "tcp", "port": 5432, "cidr": None, "source_group_name": "petstore-app"}
    planned = planned_security_group(aws.vpc_id, ingress=[rule])
    aws_driver.ensure(planned_security_group(aws.vpc_id, ingress=[]))

    assert aws_driver.check_drift(planned) == [
        "source security group petstore-app no longer exists"
    ]
    with pytest.raises(TransientError, match="petstore-app, a source in petstore-db's ingress"):
        aws_driver.ensure(planned)
