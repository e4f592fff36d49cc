"""The AWS driver: one module per kind, the same three operations on each.

Configuration is the standard AWS environment only: AWS_ENDPOINT_URL (empty for the real
account, a moto server locally and in tests), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an
instance role, AWS_DEFAULT_REGION (each resource's `region` wins).
"""

from types import ModuleType

import boto3
from botocore.exceptions import BotoCoreError
from django.conf import settings

from provisioning.drivers.aws import buckets, db_instances, queues, security_groups, subnet_groups
from provisioning.drivers.aws.common import MAX_ATTEMPTS, AwsClients
from provisioning.drivers.aws.errors import NOT_CONNECTED, translated_errors
from provisioning.drivers.base import EnsureResult, PermanentError, PlannedResource, ResourceDriver

HANDLERS: dict[str, ModuleType] = {
    "s3-bucket": buckets,
    "sqs-queue": queues,
    "security-group": security_groups,
    "db-subnet-group": subnet_groups,
    "rds-instance": db_instances,
}


class AwsDriver(ResourceDriver):
    """S3 buckets, SQS queues, security groups, DB subnet groups and RDS instances via boto3."""

    provider = "aws"
    kinds = frozenset(HANDLERS)

    def __init__(self, max_attempts: int = MAX_ATTEMPTS) -> None:
        self.clients = AwsClients(max_attempts)

    @classmethod
    def connection_status(cls) -> tuple[bool, str]:
        try:
            credentials = boto3.session.Session().get_credentials()
        except BotoCoreError:  # e.g. AWS_PROFILE names a profile that does not exist
            credentials = None
        if credentials is None:
            return False, NOT_CONNECTED
        where = settings.AWS_ENDPOINT_URL or "real account"
        return True, f"AWS: {where} in {settings.AWS_DEFAULT_REGION}"

    def ensure(self, resource: PlannedResource, secrets: dict | None = None) -> EnsureResult:
        handler = self._handler(resource)
        with translated_errors(resource, secrets):
            return handler.ensure(self.clients, resource, dict(secrets or {}))

    def check_drift(self, resource: PlannedResource) -> list[str]:
        handler = self._handler(resource)
        with translated_errors(resource):
            return handler.check_drift(self.clients, resource)

    def decommission(self, resource: PlannedResource) -> EnsureResult:
        handler = self._handler(resource)
        with translated_errors(resource):
            return handler.decommission(self.clients, resource)

    def _handler(self, resource: PlannedResource) -> ModuleType:
        if resource.kind not in HANDLERS:
            known = ", ".join(sorted(HANDLERS))
            raise PermanentError(
                f"the AWS driver cannot make a {resource.kind!r} ({resource.name}); it knows "
                f"{known}: ask the platform team to fix the resource type"
            )
        return HANDLERS[resource.kind]
