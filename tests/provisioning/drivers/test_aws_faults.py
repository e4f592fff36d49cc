"""Failures between the driver and AWS, injected by a proxy in front of moto.

Drivers here are made inside each test, after `fault_proxy` has pointed the settings at it.
`AwsDriver(max_attempts=1)` switches botocore's own retries off so one injected fault is seen.
"""

import pytest

from provisioning.drivers.aws import AwsDriver
from provisioning.drivers.base import NotConnectedError, PermanentError, TransientError
from tests.moto_server import (
    free_port,
    planned_bucket,
    planned_database,
    planned_queue,
    planned_security_group,
    planned_subnet_group,
)

PASSWORD = "lost-response-Pa55word"


def _planned(aws, action: str):
    return {
        "CreateBucket": lambda: planned_bucket(),
        "GetQueueUrl": lambda: planned_queue(),
        "DescribeSecurityGroups": lambda: planned_security_group(aws.vpc_id),
        "DescribeDBSubnetGroups": lambda: planned_subnet_group(aws.subnet_ids),
    }[action]()


# --- transient: throttling, 5xx, connection trouble -------------------------------------------


@pytest.mark.parametrize(
    "action", ["CreateBucket", "GetQueueUrl", "DescribeSecurityGroups", "DescribeDBSubnetGroups"]
)
def test_throttling_that_outlasts_botocores_retries_is_transient(aws, fault_proxy, action):
    fault_proxy.throttle(action, times=10)

    with pytest.raises(TransientError, match="AWS is busy or failing .* the portal will retry"):
        AwsDriver(max_attempts=2).ensure(_planned(aws, action))

    assert fault_proxy.count(action) == 2  # botocore tried twice and stopped: no endless loop


def test_a_short_burst_of_throttling_is_absorbed_inside_one_ensure(aws, fault_proxy):
    fault_proxy.throttle("CreateQueue", times=2)

    result = AwsDriver().ensure(planned_queue())

    assert result.outcome == "created"
    assert fault_proxy.count("CreateQueue") == 3


def test_a_server_error_is_transient(aws, fault_proxy):
    fault_proxy.fail("CreateBucket", status=500, code="InternalError")

    with pytest.raises(TransientError, match=r"InternalError\) while calling CreateBucket"):
        AwsDriver(max_attempts=1).ensure(planned_bucket())


def test_an_unreachable_endpoint_is_transient(aws, settings):
    settings.AWS_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(TransientError, match="AWS did not answer in time .* the portal will retry"):
        AwsDriver(max_attempts=1).ensure(planned_bucket())


# --- permanent: readable, naming the resource and what to do ----------------------------------


def test_access_denied_says_which_call_and_whom_to_ask(aws, fault_proxy):
    fault_proxy.fail(
        "PutBucketVersioning", status=403, code="AccessDenied", message="Access Denied"
    )

    with pytest.raises(PermanentError) as error:
        AwsDriver().ensure(planned_bucket())

    assert str(error.value) == (
        "the portal's AWS role may not call PutBucketVersioning on s3-bucket "
        "payments-petstore-dev-data: ask the platform team to allow it, then retry the request"
    )


def test_a_quota_error_says_to_raise_the_quota(aws, fault_proxy):
    fault_proxy.fail(
        "CreateBucket", status=400, code="TooManyBuckets", message="You have too many buckets"
    )

    with pytest.raises(
        PermanentError, match="an AWS quota stops s3-bucket .* ask the platform team to raise"
    ):
        AwsDriver().ensure(planned_bucket())


def test_a_subnet_group_still_in_use_is_not_deleted(aws, aws_driver, fault_proxy):
    planned = planned_subnet_group(aws.subnet_ids)
    aws_driver.ensure(planned)
    fault_proxy.fail("DeleteDBSubnetGroup", status=400, code="InvalidDBSubnetGroupStateFault")

    with pytest.raises(
        PermanentError, match="still used by a database: decommission the database first"
    ):
        AwsDriver().decommission(planned)


def test_missing_credentials_mean_not_connected(aws, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    with pytest.raises(NotConnectedError, match="not connected: no AWS credentials"):
        AwsDriver().ensure(planned_bucket())
    assert AwsDriver.connection_status() == (
        False,
        "not connected: no AWS credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an "
        "instance role)",
    )


def test_with_credentials_the_status_names_the_endpoint_and_region(aws, settings):
    assert AwsDriver.connection_status() == (True, f"AWS: {aws.endpoint} in eu-west-1")
    settings.AWS_ENDPOINT_URL = ""
    assert AwsDriver.connection_status() == (True, "AWS: real account in eu-west-1")


# --- the lost response: the provider did the work, the caller never heard --------------------


def test_a_bucket_whose_create_response_was_lost_is_found_on_retry(aws, fault_proxy):
    fault_proxy.lose_response("CreateBucket")
    driver = AwsDriver(max_attempts=1)

    with pytest.raises(TransientError):
        driver.ensure(planned_bucket())
    retry = driver.ensure(planned_bucket())

    assert retry.outcome == "updated"  # ours already; its settings are written now
    assert [b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]] == [
        "payments-petstore-dev-data"
    ]
    assert driver.check_drift(planned_bucket()) == []


def test_a_queue_whose_create_response_was_lost_is_not_created_again(aws, fault_proxy):
    fault_proxy.lose_response("CreateQueue")
    driver = AwsDriver(max_attempts=1)

    with pytest.raises(TransientError):
        driver.ensure(planned_queue())
    retry = driver.ensure(planned_queue())

    assert retry.outcome == "unchanged"
    assert fault_proxy.count("CreateQueue") == 1
    assert len(aws.client("sqs").list_queues()["QueueUrls"]) == 1


def test_a_security_group_whose_create_response_was_lost_is_not_created_again(aws, fault_proxy):
    fault_proxy.lose_response("CreateSecurityGroup")
    driver = AwsDriver(max_attempts=1)

    with pytest.raises(TransientError):
        driver.ensure(planned_security_group(aws.vpc_id))
    driver.ensure(planned_security_group(aws.vpc_id))

    assert fault_proxy.count("CreateSecurityGroup") == 1
    groups = aws.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["petstore-db"]}]
    )["SecurityGroups"]
    assert len(groups) == 1
    assert len(groups[0]["IpPermissions"]) == 1  # the rules were added on the retry


def test_a_database_whose_create_response_was_lost_is_found_on_the_engines_retry(
    aws, database_network, fault_proxy
):
    fault_proxy.lose_response("CreateDBInstance")
    driver = AwsDriver(max_attempts=1)

    with pytest.raises(TransientError):
        driver.ensure(planned_database(), secrets={"password": PASSWORD})
    retry = driver.ensure(planned_database(), secrets={"password": PASSWORD})

    assert retry.outcome == "unchanged"
    assert fault_proxy.count("CreateDBInstance") == 1
    assert len(aws.client("rds").describe_db_instances()["DBInstances"]) == 1


def test_a_database_create_retried_by_botocore_after_a_lost_response_is_adopted(
    aws, database_network, fault_proxy
):
    fault_proxy.lose_response("CreateDBInstance")

    result = AwsDriver().ensure(planned_database(), secrets={"password": PASSWORD})

    assert fault_proxy.count("CreateDBInstance") == 2  # the second try met "already exists"
    assert result.outcome == "unchanged"
    assert len(aws.client("rds").describe_db_instances()["DBInstances"]) == 1
