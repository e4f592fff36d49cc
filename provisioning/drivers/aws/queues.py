"""SQS queues, standard or FIFO, with an optional dead-letter queue and cost tags.

The planner emits the dead-letter queue as its own, earlier resource; the main queue's redrive
policy points at it by name, resolved to its ARN here.
"""

import json
from typing import Any

from botocore.exceptions import ClientError

from provisioning.drivers.aws.common import (
    AwsClients,
    Difference,
    deleted,
    missing_tags,
    outcome_result,
    tag_differences,
)
from provisioning.drivers.aws.errors import has_code
from provisioning.drivers.base import (
    EnsureResult,
    PermanentError,
    PlannedResource,
    ResourceMissing,
    TransientError,
)

NOT_FOUND_CODES = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
ALREADY_EXISTS_CODES = ("QueueAlreadyExists", "QueueNameExists")
DELETED_RECENTLY_CODES = ("AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently")
# The attributes the portal plans and converges; FifoQueue is fixed at creation.
MANAGED = ("VisibilityTimeout", "MessageRetentionPeriod", "RedrivePolicy")
LABELS = {
    "VisibilityTimeout": "visibility timeout",
    "MessageRetentionPeriod": "message retention",
    "RedrivePolicy": "dead-letter policy",
}


# --- pure ----------------------------------------------------------------------------------


def desired_attributes(resource: PlannedResource, dead_letter_arn: str | None) -> dict[str, str]:
    config = resource.config
    attributes = {
        "VisibilityTimeout": str(config["visibility_timeout"]),
        "MessageRetentionPeriod": str(config["message_retention_seconds"]),
        "RedrivePolicy": "",
    }
    if config.get("dead_letter"):
        policy = {
            "deadLetterTargetArn": dead_letter_arn,
            "maxReceiveCount": int(config["dead_letter"]["max_receive_count"]),
        }
        attributes["RedrivePolicy"] = json.dumps(policy, separators=(",", ":"))
    return attributes


def creation_attributes(resource: PlannedResource, desired: dict[str, str]) -> dict[str, str]:
    attributes = {key: value for key, value in desired.items() if value}
    if resource.config.get("fifo"):
        attributes["FifoQueue"] = "true"
    return attributes


def _comparable(name: str, value: str | None) -> Any:
    """RedrivePolicy compares as (arn, count): SQS may return the count as a string."""
    if name != "RedrivePolicy":
        return value or ""
    if not value:
        return None
    policy = json.loads(value)
    return policy.get("deadLetterTargetArn"), int(policy.get("maxReceiveCount", 0))


def differences(
    resource: PlannedResource, desired: dict[str, str], actual: dict[str, str], tags: dict[str, str]
) -> list[Difference]:
    found = []
    for name in MANAGED:
        want, have = _comparable(name, desired.get(name)), _comparable(name, actual.get(name))
        if want != have:
            found.append(
                Difference(name, f"{LABELS[name]} is {_shown(have)}, plan: {_shown(want)}")
            )
    is_fifo = actual.get("FifoQueue") == "true"
    if is_fifo != bool(resource.config.get("fifo")):
        kind = "FIFO" if is_fifo else "standard"
        found.append(
            Difference("FifoQueue", f"queue is {kind}, which cannot change after creation")
        )
    return found + tag_differences(resource.tags, tags)


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return f"{value[0].rsplit(':', 1)[-1]} after {value[1]} receives"
    return str(value)


# --- I/O -----------------------------------------------------------------------------------


def queue_url(sqs: Any, name: str) -> str | None:
    try:
        return sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except ClientError as exc:
        if has_code(exc, *NOT_FOUND_CODES):
            return None
        raise


def read_attributes(sqs: Any, url: str, name: str) -> dict[str, str]:
    try:
        return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    except ClientError as exc:
        if has_code(exc, *NOT_FOUND_CODES):
            # Just created, or deleted under us: SQS is eventually consistent for a moment.
            raise TransientError(
                f"queue {name} is not visible yet: the portal will retry"
            ) from None
        raise


def dead_letter_arn(sqs: Any, resource: PlannedResource) -> str | None:
    dead_letter = resource.config.get("dead_letter")
    if not dead_letter:
        return None
    target = dead_letter["target_name"]
    url = queue_url(sqs, target)
    if url is None:
        raise TransientError(
            f"dead-letter queue {target} for {resource.name} does not exist (yet): the plan "
            "creates it first; the portal will retry"
        )
    return read_attributes(sqs, url, target)["QueueArn"]


def create(sqs: Any, resource: PlannedResource, desired: dict[str, str]) -> tuple[str, bool]:
    """(url, created). A queue with this name that already exists (ours from a lost response,
    or created with other attributes) is returned for converging instead."""
    try:
        response = sqs.create_queue(
            QueueName=resource.name,
            Attributes=creation_attributes(resource, desired),
            tags=dict(resource.tags),
        )
    except ClientError as exc:
        if has_code(exc, *DELETED_RECENTLY_CODES):
            raise TransientError(
                f"queue {resource.name} was deleted less than 60 seconds ago and SQS will not "
                "reuse the name yet: the portal will retry"
            ) from None
        if has_code(exc, *ALREADY_EXISTS_CODES) and (url := queue_url(sqs, resource.name)):
            return url, False
        raise
    return response["QueueUrl"], True


def converge(
    sqs: Any, url: str, resource: PlannedResource, desired: dict[str, str], found: list[Difference]
) -> None:
    settings_to_write = {d.setting for d in found}
    if "FifoQueue" in settings_to_write:
        raise PermanentError(
            f"queue {resource.name} exists as the wrong type (FIFO and standard cannot be "
            "switched): delete it or pick another purpose suffix"
        )
    changed = {name: desired[name] for name in MANAGED if name in settings_to_write}
    if changed:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=changed)


def converge_tags(sqs: Any, url: str, resource: PlannedResource, actual: dict[str, str]) -> None:
    if tags := missing_tags(resource.tags, actual):
        sqs.tag_queue(QueueUrl=url, Tags=tags)


def queue_tags(sqs: Any, url: str) -> dict[str, str]:
    return sqs.list_queue_tags(QueueUrl=url).get("Tags", {})


# --- the kind's three operations -------------------------------------------------------


def ensure(aws: AwsClients, resource: PlannedResource, secrets: dict) -> EnsureResult:
    """1. Resolve the dead-letter queue's ARN; 2. find the queue by name, or create it with the
    planned attributes and tags; 3. read it back and converge attributes and tags."""
    sqs = aws.client("sqs", resource)
    desired = desired_attributes(resource, dead_letter_arn(sqs, resource))
    url, created = queue_url(sqs, resource.name), False
    if url is None:
        url, created = create(sqs, resource, desired)
    actual = read_attributes(sqs, url, resource.name)
    tags = queue_tags(sqs, url)
    found = differences(resource, desired, actual, tags)
    converge(sqs, url, resource, desired, found)
    converge_tags(sqs, url, resource, tags)
    return outcome_result(
        "queue", resource.name, actual["QueueArn"], created, [] if created else found, {"url": url}
    )


def check_drift(aws: AwsClients, resource: PlannedResource) -> list[str]:
    sqs = aws.client("sqs", resource)
    url = queue_url(sqs, resource.name)
    if url is None:
        raise ResourceMissing(f"queue {resource.name} no longer exists")
    actual = read_attributes(sqs, url, resource.name)
    problems = []
    try:
        desired = desired_attributes(resource, dead_letter_arn(sqs, resource))
    except TransientError:
        problems.append(
            f"dead-letter queue {resource.config['dead_letter']['target_name']} no longer exists"
        )
        desired = {
            **desired_attributes(resource, None),
            "RedrivePolicy": actual.get("RedrivePolicy", ""),
        }
    found = differences(resource, desired, actual, queue_tags(sqs, url))
    return problems + [d.sentence for d in found]


def decommission(aws: AwsClients, resource: PlannedResource) -> EnsureResult:
    sqs = aws.client("sqs", resource)
    url = queue_url(sqs, resource.name)
    if url is None:
        return deleted("queue", resource.name, existed=False)
    try:
        sqs.delete_queue(QueueUrl=url)
    except ClientError as exc:
        if has_code(exc, *NOT_FOUND_CODES):
            return deleted("queue", resource.name, existed=False, identifier=url)
        raise
    return deleted("queue", resource.name, existed=True, identifier=url)
