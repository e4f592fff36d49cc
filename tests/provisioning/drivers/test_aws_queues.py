"""SQS queues against a real moto server: DLQ wiring, FIFO, attribute convergence, drift, delete."""

import json

import pytest

from provisioning.drivers.base import ResourceMissing, TransientError
from tests.moto_server import TAGS, planned_queue

NAME, DLQ = "payments-petstore-dev-orders", "payments-petstore-dev-orders-dlq"


def _attributes(aws, name: str) -> dict:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def test_it_creates_a_queue_with_its_dead_letter_queue_and_tags(aws, aws_driver):
    dlq = aws_driver.ensure(planned_queue(DLQ, message_retention_seconds=1209600))
    main = aws_driver.ensure(planned_queue(NAME, dead_letter=DLQ))

    assert (dlq.outcome, main.outcome) == ("created", "created")
    assert main.identifier == f"arn:aws:sqs:eu-west-1:123456789012:{NAME}"
    assert main.details["url"].endswith(f"/123456789012/{NAME}")
    attributes = _attributes(aws, NAME)
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq.identifier,
        "maxReceiveCount": 5,
    }
    assert (attributes["VisibilityTimeout"], attributes["MessageRetentionPeriod"]) == (
        "30",
        "345600",
    )
    assert aws.client("sqs").list_queue_tags(QueueUrl=main.details["url"])["Tags"] == TAGS


def test_a_fifo_queue_is_created_as_fifo_and_repeating_changes_nothing(aws, aws_driver):
    aws_driver.ensure(planned_queue(DLQ + ".fifo"))
    planned = planned_queue(NAME + ".fifo", dead_letter=DLQ + ".fifo")

    assert aws_driver.ensure(planned).outcome == "created"
    assert aws_driver.ensure(planned).outcome == "unchanged"
    assert _attributes(aws, NAME + ".fifo")["FifoQueue"] == "true"


def test_a_queue_created_elsewhere_with_other_attributes_is_converged(aws, aws_driver):
    aws.client("sqs").create_queue(QueueName=NAME, Attributes={"VisibilityTimeout": "5"})

    result = aws_driver.ensure(planned_queue(NAME))

    assert result.outcome == "updated"
    assert "visibility timeout is 5, plan: 30" in result.message
    assert _attributes(aws, NAME)["VisibilityTimeout"] == "30"
    assert aws_driver.check_drift(planned_queue(NAME)) == []


def test_an_attribute_changed_by_hand_is_drift_until_ensure_converges_it(aws, aws_driver):
    result = aws_driver.ensure(planned_queue(NAME))
    aws.client("sqs").set_queue_attributes(
        QueueUrl=result.details["url"], Attributes={"MessageRetentionPeriod": "60"}
    )
    aws.client("sqs").untag_queue(QueueUrl=result.details["url"], TagKeys=["cost-center"])

    drift = aws_driver.check_drift(planned_queue(NAME))

    assert drift == [
        "message retention is 60, plan: 345600",
        "tag cost-center was removed (plan: cc-123)",
    ]
    assert aws_driver.ensure(planned_queue(NAME)).outcome == "updated"
    assert aws_driver.check_drift(planned_queue(NAME)) == []


def test_a_missing_dead_letter_queue_is_transient(aws, aws_driver):
    with pytest.raises(TransientError, match=f"dead-letter queue {DLQ} .* does not exist"):
        aws_driver.ensure(planned_queue(NAME, dead_letter=DLQ))


def test_a_removed_dead_letter_policy_is_drift_and_restored(aws, aws_driver):
    aws_driver.ensure(planned_queue(DLQ))
    result = aws_driver.ensure(planned_queue(NAME, dead_letter=DLQ))
    aws.client("sqs").set_queue_attributes(
        QueueUrl=result.details["url"], Attributes={"RedrivePolicy": ""}
    )

    assert aws_driver.check_drift(planned_queue(NAME, dead_letter=DLQ)) == [
        f"dead-letter policy is none, plan: {DLQ} after 5 receives"
    ]
    assert aws_driver.ensure(planned_queue(NAME, dead_letter=DLQ)).outcome == "updated"
    assert aws_driver.check_drift(planned_queue(NAME, dead_letter=DLQ)) == []


def test_a_deleted_queue_is_reported_missing(aws, aws_driver):
    result = aws_driver.ensure(planned_queue(NAME))
    aws.client("sqs").delete_queue(QueueUrl=result.details["url"])

    with pytest.raises(ResourceMissing, match=NAME):
        aws_driver.check_drift(planned_queue(NAME))


def test_decommission_deletes_the_queue_and_repeating_it_is_a_no_op(aws, aws_driver):
    aws_driver.ensure(planned_queue(NAME))

    first, second = (
        aws_driver.decommission(planned_queue(NAME)),
        aws_driver.decommission(planned_queue(NAME)),
    )

    assert (first.outcome, second.outcome) == ("deleted", "deleted")
    assert "already gone" in second.message
    assert aws.client("sqs").list_queues().get("QueueUrls", []) == []
