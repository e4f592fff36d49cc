"""Turn boto3's exceptions into the driver errors the engine understands, with readable messages.

Transient (throttling, 5xx, timeouts, dropped connections) means "retry later"; everything else
is permanent and says what to change. Secret values (a master password) are scrubbed from
every message here and from botocore's own debug log lines while a call that carries them runs.
"""

import contextlib
import contextvars
import logging
from collections.abc import Iterator

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from provisioning.drivers.base import (
    DriverError,
    NotConnectedError,
    PermanentError,
    PlannedResource,
    TransientError,
)

NOT_CONNECTED = (
    "not connected: no AWS credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
    "or an instance role)"
)

# Throttling and server-side trouble; botocore's standard retry mode treats the same codes as
# retryable, so by the time one reaches us botocore has already tried `max_attempts` times.
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "EC2ThrottledException",
        "BandwidthLimitExceeded",
        "SlowDown",
        "PriorRequestNotComplete",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "Forbidden",
    }
)
BAD_CREDENTIALS_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AuthFailure",
        "UnrecognizedClientException",
        "ExpiredToken",
        "ExpiredTokenException",
    }
)
QUOTA_CODES = frozenset(
    {
        "TooManyBuckets",
        "OverLimit",
        "InstanceQuotaExceeded",
        "StorageQuotaExceeded",
        "DBSubnetGroupQuotaExceeded",
        "DBSubnetGroupQuotaExceededFault",
        "SnapshotQuotaExceeded",
        "SecurityGroupLimitExceeded",
        "RulesPerSecurityGroupLimitExceeded",
        "ResourceLimitExceeded",
    }
)
INVALID_INPUT_CODES = frozenset(
    {
        "InvalidParameterValue",
        "InvalidParameterCombination",
        "InvalidParameter",
        "InvalidArgument",
        "InvalidAttributeName",
        "InvalidAttributeValue",
        "InvalidRequest",
        "MalformedXML",
        "ValidationError",
        "InvalidDBInstanceIdentifier",
        "InvalidGroup.Malformed",
        "InvalidVpcID.NotFound",
        "InvalidSubnetID.NotFound",
        "InvalidSubnet",
        "DBSubnetGroupDoesNotCoverEnoughAZs",
        "InvalidStorageClass",
        "KMSKeyNotAccessibleFault",
        "KMS.NotFoundException",
    }
)

_active_secrets: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "aws_driver_active_secrets", default=()
)


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def has_code(error: ClientError, *codes: str) -> bool:
    """True when the error's code (or, for SQS's JSON protocol, its legacy query code) matches."""
    details = error.response.get("Error", {})
    return details.get("Code") in codes or details.get("QueryErrorCode") in codes


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for value in secrets:
        text = text.replace(value, "********")
    return text


def readable_client_error(error: ClientError, resource: PlannedResource) -> DriverError:
    """The driver error for a ClientError, worded for the person who filed the request."""
    details = error.response.get("Error", {})
    code, message = details.get("Code", "Unknown"), details.get("Message") or "no message"
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    what, operation = f"{resource.kind} {resource.name}", error.operation_name
    if code in TRANSIENT_CODES or status >= 500:
        return TransientError(
            f"AWS is busy or failing ({code}) while calling {operation} for {what}: "
            "the portal will retry"
        )
    if code in ACCESS_DENIED_CODES:
        return PermanentError(
            f"the portal's AWS role may not call {operation} on {what}: ask the platform team "
            "to allow it, then retry the request"
        )
    if code in BAD_CREDENTIALS_CODES:
        return PermanentError(
            f"AWS rejected the portal's credentials ({code}) while working on {what}: ask the "
            "platform team to check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the instance role"
        )
    if code in QUOTA_CODES or code.endswith(("QuotaExceeded", "QuotaExceededFault")):
        return PermanentError(
            f"an AWS quota stops {what} ({code}: {message}): ask the platform team to raise the "
            "quota or to remove unused resources"
        )
    if code == "InvalidBucketName":
        return PermanentError(
            f"the bucket name {resource.name} is not valid for S3 (3-63 lowercase letters, "
            "digits, dots and hyphens): pick another purpose suffix"
        )
    if code in INVALID_INPUT_CODES:
        return PermanentError(
            f"AWS does not accept the settings of {what}: {message} ({code}). Change them in "
            "the request and retry"
        )
    return PermanentError(
        f"AWS refused {operation} for {what}: {message} ({code}). Retry the request, or ask "
        "the platform team if it fails again"
    )


def translate(error: Exception, resource: PlannedResource) -> DriverError | None:
    """The driver error for a boto3/botocore exception, or None when it is not one of theirs."""
    what = f"{resource.kind} {resource.name}"
    if isinstance(error, ClientError):
        return readable_client_error(error, resource)
    if isinstance(error, NoCredentialsError | PartialCredentialsError | ProfileNotFound):
        return NotConnectedError(NOT_CONNECTED)
    if isinstance(error, NoRegionError):
        return NotConnectedError("not connected: no AWS region (set AWS_DEFAULT_REGION)")
    if isinstance(error, BotoConnectionError | HTTPClientError):
        return TransientError(
            f"AWS did not answer in time while working on {what} ({error.__class__.__name__}): "
            "the portal will retry"
        )
    if isinstance(error, ParamValidationError):
        return PermanentError(
            f"the settings of {what} are not valid for AWS: {error}. Change them in the request"
        )
    if isinstance(error, BotoCoreError):
        return PermanentError(f"the AWS client failed on {what}: {error}")
    return None


@contextlib.contextmanager
def translated_errors(resource: PlannedResource, secrets: dict | None = None) -> Iterator[None]:
    """Raise driver errors instead of boto3's, with `secrets` scrubbed from every message and
    from botocore's log records for the duration of the block."""
    values = tuple(str(v) for v in (secrets or {}).values() if v)
    token = _active_secrets.set(values)
    try:
        yield
    except DriverError as exc:
        if values and (clean := redact(str(exc), values)) != str(exc):
            raise type(exc)(clean) from None
        raise
    except Exception as exc:
        mapped = translate(exc, resource)
        if mapped is None:
            raise
        # `from None`: the original exception's text may carry request parameters.
        raise type(mapped)(redact(str(mapped), values)) from None
    finally:
        _active_secrets.reset(token)


class _RedactSecrets(logging.Filter):
    """Scrub the secrets of the call in progress from botocore's and urllib3's debug records."""

    def filter(self, record: logging.LogRecord) -> bool:
        values = _active_secrets.get()
        if values:
            text = record.getMessage()
            if any(value in text for value in values):
                record.msg, record.args = redact(text, values), ()
        return True


_REDACTOR = _RedactSecrets()
_LOGGER_PREFIXES = ("botocore", "boto3", "urllib3", "s3transfer")


def install_log_redaction() -> None:
    """Attach the filter to every botocore/urllib3 logger that exists (filters on a logger do not
    apply to its children, so each one needs it); call after clients are created."""
    names = [name for name in logging.root.manager.loggerDict if name.startswith(_LOGGER_PREFIXES)]
    for name in [*_LOGGER_PREFIXES, *names]:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)
