"""S3 buckets against a real moto server: create, repeat, converge, drift, delete."""

import pytest

from provisioning.drivers.base import PermanentError, ResourceMissing
from tests.moto_server import TAGS, direct_client, planned_bucket

NAME = "payments-petstore-dev-data"


def test_it_creates_a_private_encrypted_versioned_tagged_bucket(aws, aws_driver):
    result = aws_driver.ensure(planned_bucket())

    assert (result.outcome, result.identifier) == ("created", f"arn:aws:s3:::{NAME}")
    assert "eu-west-1" in result.message
    s3 = aws.client("s3")
    assert s3.get_bucket_location(Bucket=NAME)["LocationConstraint"] == "eu-west-1"
    assert s3.get_bucket_versioning(Bucket=NAME)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=NAME)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=NAME)["PublicAccessBlockConfiguration"]
    assert set(block.values()) == {True} and len(block) == 4
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=NAME)["TagSet"]}
    assert tags == TAGS


def test_a_second_ensure_changes_nothing(aws, aws_driver):
    aws_driver.ensure(
        planned_bucket(lifecycle={"expire_noncurrent_days": 90, "transition_to_ia_days": 90})
    )

    again = aws_driver.ensure(
        planned_bucket(lifecycle={"expire_noncurrent_days": 90, "transition_to_ia_days": 90})
    )

    assert again.outcome == "unchanged"
    assert (
        aws_driver.check_drift(
            planned_bucket(lifecycle={"expire_noncurrent_days": 90, "transition_to_ia_days": 90})
        )
        == []
    )


def test_versioning_turned_off_by_hand_is_drift_and_ensure_turns_it_back_on(aws, aws_driver):
    aws_driver.ensure(planned_bucket())
    aws.client("s3").put_bucket_versioning(
        Bucket=NAME, VersioningConfiguration={"Status": "Suspended"}
    )

    assert aws_driver.check_drift(planned_bucket()) == ["versioning is Suspended, plan: on"]
    result = aws_driver.ensure(planned_bucket())

    assert result.outcome == "updated" and "versioning" in result.message
    assert aws.client("s3").get_bucket_versioning(Bucket=NAME)["Status"] == "Enabled"
    assert aws_driver.check_drift(planned_bucket()) == []


def test_a_removed_cost_tag_and_public_access_are_drift_and_are_restored(aws, aws_driver):
    aws_driver.ensure(planned_bucket())
    s3 = aws.client("s3")
    kept = [{"Key": k, "Value": v} for k, v in TAGS.items() if k != "cost-center"]
    s3.put_bucket_tagging(
        Bucket=NAME, Tagging={"TagSet": [*kept, {"Key": "owner-note", "Value": "x"}]}
    )
    s3.delete_public_access_block(Bucket=NAME)

    drift = aws_driver.check_drift(planned_bucket())

    assert "tag cost-center was removed (plan: cc-123)" in drift
    assert "public access block is not fully on" in drift
    assert aws_driver.ensure(planned_bucket()).outcome == "updated"
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=NAME)["TagSet"]}
    assert tags == {**TAGS, "owner-note": "x"}  # tags the plan does not name are kept
    assert aws_driver.check_drift(planned_bucket()) == []


def test_kms_encryption_and_lifecycle_rules_converge(aws, aws_driver):
    aws_driver.ensure(planned_bucket())
    planned = planned_bucket(
        encryption="aws:kms",
        kms_key_id="alias/payments",
        lifecycle={"expire_noncurrent_days": 30, "transition_to_ia_days": None},
    )

    drift = aws_driver.check_drift(planned)
    result = aws_driver.ensure(planned)

    assert any("encryption" in sentence for sentence in drift)
    assert any("lifecycle" in sentence for sentence in drift)
    assert result.outcome == "updated"
    s3 = aws.client("s3")
    default = s3.get_bucket_encryption(Bucket=NAME)["ServerSideEncryptionConfiguration"]["Rules"][
        0
    ]["ApplyServerSideEncryptionByDefault"]
    assert default == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/payments"}
    rules = s3.get_bucket_lifecycle_configuration(Bucket=NAME)["Rules"]
    assert [r["NoncurrentVersionExpiration"]["NoncurrentDays"] for r in rules] == [30]
    assert aws_driver.ensure(planned).outcome == "unchanged"


def test_a_plan_without_lifecycle_removes_the_rules(aws, aws_driver):
    aws_driver.ensure(
        planned_bucket(lifecycle={"expire_noncurrent_days": 30, "transition_to_ia_days": None})
    )

    assert aws_driver.ensure(planned_bucket()).outcome == "updated"
    assert aws_driver.check_drift(planned_bucket()) == []


def test_us_east_1_buckets_are_created_without_a_location_constraint(aws, aws_driver):
    result = aws_driver.ensure(planned_bucket("payments-petstore-dev-use1", region="us-east-1"))

    assert result.outcome == "created"
    location = aws.client("s3", "us-east-1").get_bucket_location(
        Bucket="payments-petstore-dev-use1"
    )
    assert location["LocationConstraint"] in (None, "us-east-1")


def test_a_name_taken_by_another_account_is_a_permanent_error_saying_what_to_do(aws, aws_driver):
    other = direct_client(aws.endpoint, "s3")
    other.meta.events.register(
        "before-sign.s3.*",
        lambda request, **_: request.headers.__setitem__("x-moto-account-id", "111111111111"),
    )
    other.create_bucket(Bucket=NAME, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})

    with pytest.raises(PermanentError) as error:
        aws_driver.ensure(planned_bucket())

    assert str(error.value) == (
        f"the bucket name {NAME} is taken by another AWS account: pick another purpose suffix"
    )


def test_an_invalid_name_is_a_permanent_error_saying_what_to_do(aws, aws_driver):
    with pytest.raises(PermanentError, match="not valid for S3 .*pick another purpose suffix"):
        aws_driver.ensure(planned_bucket("ab"))


def test_a_deleted_bucket_is_reported_missing(aws, aws_driver):
    aws_driver.ensure(planned_bucket())
    aws.client("s3").delete_bucket(Bucket=NAME)

    with pytest.raises(ResourceMissing, match=NAME):
        aws_driver.check_drift(planned_bucket())


def test_decommission_refuses_a_bucket_that_holds_objects(aws, aws_driver):
    aws_driver.ensure(planned_bucket())
    s3 = aws.client("s3")
    s3.put_object(Bucket=NAME, Key="a.txt", Body=b"a")
    s3.put_object(Bucket=NAME, Key="b.txt", Body=b"b")

    with pytest.raises(PermanentError) as error:
        aws_driver.decommission(planned_bucket())

    assert str(error.value) == f"bucket {NAME} still holds 2 objects: empty it first or keep it"


def test_decommission_deletes_an_empty_bucket_and_repeating_it_is_a_no_op(aws, aws_driver):
    aws_driver.ensure(planned_bucket())

    first = aws_driver.decommission(planned_bucket())
    second = aws_driver.decommission(planned_bucket())

    assert (first.outcome, second.outcome) == ("deleted", "deleted")
    assert "already gone" in second.message
    assert aws.client("s3").list_buckets()["Buckets"] == []


def test_our_bucket_in_another_region_is_a_permanent_error_not_converged(aws, aws_driver):
    aws.client("s3", "us-west-2").create_bucket(
        Bucket=NAME, CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
    )

    with pytest.raises(
        PermanentError, match=f"bucket {NAME} already exists in us-west-2, but the plan"
    ):
        aws_driver.ensure(planned_bucket())
    assert "bucket is in us-west-2, plan: eu-west-1" in aws_driver.check_drift(planned_bucket())
