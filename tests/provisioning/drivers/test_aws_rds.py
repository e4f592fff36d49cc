"""RDS instances against a real moto server; the master password never leaks."""

import logging

import pytest

from provisioning.drivers.aws import AwsDriver, db_instances
from provisioning.drivers.base import PermanentError, ResourceMissing, TransientError
from tests.moto_server import TAGS, planned_database

PASSWORD = "s3cret-Pa55word-never-shown"


def _instance(aws, identifier: str = "petstore-db") -> dict:
    return aws.client("rds").describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][
        0
    ]


def test_it_creates_a_private_encrypted_instance_in_the_planned_network(
    aws, aws_driver, database_network
):
    result = aws_driver.ensure(planned_database(), secrets={"password": PASSWORD})

    instance = _instance(aws)
    assert (result.outcome, result.identifier) == ("created", instance["DBInstanceArn"])
    assert set(result.details) == {"endpoint", "port", "status"} and result.details["port"] == 5432
    assert instance["StorageEncrypted"] is True and instance["PubliclyAccessible"] is False
    assert instance["DBSubnetGroup"]["DBSubnetGroupName"] == "petstore-db-subnets"
    group_id = aws.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["petstore-db"]}]
    )["SecurityGroups"][0]["GroupId"]
    assert [g["VpcSecurityGroupId"] for g in instance["VpcSecurityGroups"]] == [group_id]
    assert {t["Key"]: t["Value"] for t in instance["TagList"]} == TAGS


def test_a_second_ensure_changes_nothing_and_needs_no_password(aws, aws_driver, database_network):
    aws_driver.ensure(planned_database(), secrets={"password": PASSWORD})

    again = aws_driver.ensure(planned_database())

    assert again.outcome == "unchanged"
    assert aws_driver.check_drift(planned_database()) == []


def test_identifiers_compare_in_lower_case(aws, aws_driver, database_network):
    created = aws_driver.ensure(planned_database("Petstore-DB"), secrets={"password": PASSWORD})

    assert created.identifier.endswith(":db:petstore-db")
    assert aws_driver.ensure(planned_database("petstore-db")).outcome == "unchanged"
    assert aws_driver.ensure(planned_database("PETSTORE-DB")).outcome == "unchanged"


def test_settings_changed_by_hand_are_drift_and_converge_in_the_maintenance_window(
    aws, aws_driver, database_network
):
    aws_driver.ensure(planned_database(), secrets={"password": PASSWORD})
    aws.client("rds").modify_db_instance(
        DBInstanceIdentifier="petstore-db",
        DBInstanceClass="db.t4g.large",
        PubliclyAccessible=True,
        BackupRetentionPeriod=1,
        ApplyImmediately=True,
    )

    drift = aws_driver.check_drift(planned_database())
    result = aws_driver.ensure(planned_database())

    assert drift == [
        "instance class is db.t4g.large, plan: db.t4g.micro",
        "backup retention (days) is 1, plan: 7",
        "public accessibility is on, plan: off",
    ]
    assert result.outcome == "updated"
    instance = _instance(aws)
    assert (instance["DBInstanceClass"], instance["PubliclyAccessible"]) == ("db.t4g.micro", False)


def test_what_cannot_change_in_place_is_a_permanent_error_naming_it(
    aws, aws_driver, database_network
):
    aws_driver.ensure(planned_database(), secrets={"password": PASSWORD})

    with pytest.raises(
        PermanentError, match="cannot change in place: database name is petstore, plan: orders"
    ):
        aws_driver.ensure(planned_database(db_name="orders"))
    assert "database name is petstore, plan: orders" in aws_driver.check_drift(
        planned_database(db_name="orders")
    )


def test_creating_without_a_password_is_a_permanent_error(aws, aws_driver, database_network):
    with pytest.raises(PermanentError, match="no master password"):
        aws_driver.ensure(planned_database())


def test_a_missing_security_group_is_transient(aws, aws_driver):
    with pytest.raises(TransientError, match="does not exist"):
        aws_driver.ensure(planned_database(), secrets={"password": PASSWORD})


def test_the_password_never_appears_in_logs_results_or_errors(
    aws, aws_driver, database_network, caplog
):
    caplog.set_level(logging.DEBUG)
    # Settings keep botocore at INFO whatever LOG_LEVEL says (test_logging.py); should someone
    # turn its debug log on anyway, the password is still scrubbed from it.
    caplog.set_level(logging.DEBUG, logger="botocore")

    result = aws_driver.ensure(planned_database(), secrets={"password": PASSWORD})

    assert "MasterUserPassword" in caplog.text  # botocore's debug log was captured …
    assert PASSWORD not in caplog.text  # … with the value scrubbed
    assert PASSWORD not in repr(result)


def test_an_error_that_echoes_the_password_is_scrubbed(aws, database_network, fault_proxy, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="botocore")  # as if someone turned it on
    fault_proxy.fail(
        "CreateDBInstance",
        status=400,
        code="InvalidParameterValue",
        message=f"The parameter MasterUserPassword {PASSWORD} is not valid",
    )

    with pytest.raises(PermanentError) as error:
        AwsDriver().ensure(planned_database(), secrets={"password": PASSWORD})

    assert "AWS does not accept the settings of rds-instance petstore-db" in str(error.value)
    assert PASSWORD not in str(error.value) and error.value.__cause__ is None
    assert PASSWORD not in caplog.text


def test_a_deleted_instance_is_reported_missing(aws, aws_driver, database_network):
    aws_driver.ensure(planned_database(), secrets={"password": PASSWORD})
    aws.client("rds").delete_db_instance(DBInstanceIdentifier="petstore-db", SkipFinalSnapshot=True)

    with pytest.raises(ResourceMissing, match="petstore-db"):
        aws_driver.check_drift(planned_database())


def test_decommission_keeps_a_final_snapshot_and_repeating_it_is_a_no_op(
    aws, aws_driver, database_network
):
    aws_driver.ensure(planned_database(), secrets={"password": PASSWORD})

    first, second = (
        aws_driver.decommission(planned_database()),
        aws_driver.decommission(planned_database()),
    )

    assert (first.outcome, second.outcome) == ("deleted", "deleted")
    snapshots = aws.client("rds").describe_db_snapshots(DBSnapshotIdentifier="petstore-db-final")[
        "DBSnapshots"
    ]
    assert len(snapshots) == 1


def test_decommission_respects_deletion_protection(aws, aws_driver, database_network):
    aws_driver.ensure(planned_database(deletion_protection=True), secrets={"password": PASSWORD})

    with pytest.raises(PermanentError, match="deletion protection on: switch it off first"):
        aws_driver.decommission(planned_database(deletion_protection=True))
    assert _instance(aws)["DBInstanceStatus"] != "deleting"


class RecordingRds:
    """Stands in for the RDS client where moto cannot show a state (pending, busy)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def modify_db_instance(self, **kwargs) -> None:
        self.calls.append(("modify_db_instance", kwargs))

    def add_tags_to_resource(self, **kwargs) -> None:
        self.calls.append(("add_tags_to_resource", kwargs))


def _described(**overrides) -> dict:
    instance = {
        "DBInstanceArn": "arn:aws:rds:eu-west-1:123456789012:db:petstore-db",
        "DBInstanceStatus": "available",
        "Engine": "postgres",
        "EngineVersion": "16.4",
        "DBInstanceClass": "db.t4g.micro",
        "AllocatedStorage": 20,
        "MultiAZ": False,
        "BackupRetentionPeriod": 7,
        "DeletionProtection": False,
        "PubliclyAccessible": False,
        "StorageEncrypted": True,
        "MasterUsername": "app",
        "DBName": "petstore",
        "DBSubnetGroup": {"DBSubnetGroupName": "petstore-db-subnets"},
        "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-1"}],
    }
    return {**instance, **overrides}


def test_a_change_already_pending_for_the_maintenance_window_is_not_asked_for_again():
    instance = _described(
        DBInstanceClass="db.t4g.large", PendingModifiedValues={"DBInstanceClass": "db.t4g.micro"}
    )

    assert db_instances.differences(planned_database(), instance, "sg-1", dict(TAGS)) == []


def test_changes_go_in_for_the_maintenance_window_not_immediately():
    rds, instance = RecordingRds(), _described(DBInstanceClass="db.t4g.large")
    found = db_instances.differences(planned_database(), instance, "sg-1", dict(TAGS))

    db_instances.converge(rds, planned_database(), instance, "sg-1", dict(TAGS), found)

    assert rds.calls == [
        (
            "modify_db_instance",
            {
                "DBInstanceIdentifier": "petstore-db",
                "ApplyImmediately": False,
                "DBInstanceClass": "db.t4g.micro",
            },
        )
    ]


def test_a_busy_instance_is_retried_later_rather_than_modified():
    rds, instance = RecordingRds(), _described(DBInstanceStatus="modifying", MultiAZ=True)
    found = db_instances.differences(planned_database(), instance, "sg-1", dict(TAGS))

    with pytest.raises(
        TransientError, match="petstore-db is modifying; it can change once available"
    ):
        db_instances.converge(rds, planned_database(), instance, "sg-1", dict(TAGS), found)
    assert rds.calls == []
