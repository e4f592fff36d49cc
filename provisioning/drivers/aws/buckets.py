"""S3 buckets: private, encrypted, optionally versioned, with lifecycle rules and cost tags."""

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from provisioning.drivers.aws.common import (
    AwsClients,
    Difference,
    deleted,
    outcome_result,
    tag_dict,
    tag_differences,
    tag_list,
)
from provisioning.drivers.aws.errors import has_code
from provisioning.drivers.base import EnsureResult, PermanentError, PlannedResource, ResourceMissing

# The one lifecycle rule the portal owns; a plan without lifecycle removes the configuration.
LIFECYCLE_RULE_ID = "idp-portal"
PUBLIC_ACCESS_FLAGS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)
NOT_FOUND = {
    "encryption": "ServerSideEncryptionConfigurationNotFoundError",
    "public_access": "NoSuchPublicAccessBlockConfiguration",
    "lifecycle": "NoSuchLifecycleConfiguration",
    "tags": "NoSuchTagSet",
}

# (id, status, noncurrent-version expiry days, days before transition to STANDARD_IA)
LifecycleRule = tuple[str, str, int | None, int | None]


@dataclass(frozen=True)
class BucketState:
    """The settings of a bucket the portal manages, as read from S3 or as planned."""

    versioning: str = ""  # "Enabled" | "Suspended" | "" (never versioned)
    encryption: tuple[str, str | None] | None = None  # (algorithm, KMS key id)
    public_access: tuple[bool, ...] = ()
    lifecycle: tuple[LifecycleRule, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)


def arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


# --- pure: plan and comparison -------------------------------------------------------------


def desired_state(resource: PlannedResource) -> BucketState:
    config = resource.config
    key = config.get("kms_key_id") if config.get("encryption") == "aws:kms" else None
    return BucketState(
        versioning="Enabled" if config.get("versioning") else "",
        encryption=(config.get("encryption") or "AES256", key),
        public_access=(True,) * 4 if config.get("block_public_access", True) else (),
        lifecycle=desired_lifecycle(config.get("lifecycle")),
        tags=dict(resource.tags),
    )


def desired_lifecycle(lifecycle: dict | None) -> tuple[LifecycleRule, ...]:
    if not lifecycle:
        return ()
    return (
        (
            LIFECYCLE_RULE_ID,
            "Enabled",
            lifecycle.get("expire_noncurrent_days"),
            lifecycle.get("transition_to_ia_days"),
        ),
    )


def lifecycle_summary(rules: list[dict]) -> tuple[LifecycleRule, ...]:
    """S3's rule documents reduced to what the portal plans, so the two compare directly."""
    summary = []
    for rule in rules:
        expiry = rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")
        ia_days = [
            t.get("Days")
            for t in rule.get("Transitions", [])
            if t.get("StorageClass") == "STANDARD_IA"
        ]
        summary.append(
            (rule.get("ID", ""), rule.get("Status", ""), expiry, ia_days[0] if ia_days else None)
        )
    return tuple(sorted(summary, key=lambda r: r[0]))


def differences(desired: BucketState, actual: BucketState) -> list[Difference]:
    found = []
    if desired.versioning == "Enabled" and actual.versioning != "Enabled":
        found.append(
            Difference("versioning", f"versioning is {actual.versioning or 'off'}, plan: on")
        )
    elif desired.versioning != "Enabled" and actual.versioning == "Enabled":
        found.append(Difference("versioning", "versioning is on, plan: off"))
    found += _encryption_differences(desired, actual)
    if desired.public_access and actual.public_access != desired.public_access:
        found.append(Difference("public_access", "public access block is not fully on"))
    if desired.lifecycle != actual.lifecycle:
        found.append(
            Difference(
                "lifecycle",
                f"lifecycle rules are {_rules_text(actual.lifecycle)}, "
                f"plan: {_rules_text(desired.lifecycle)}",
            )
        )
    return found + tag_differences(desired.tags, actual.tags)


def _encryption_differences(desired: BucketState, actual: BucketState) -> list[Difference]:
    if actual.encryption is None:
        return [Difference("encryption", "default encryption is off")]
    algorithm, key = desired.encryption or ("AES256", None)
    if actual.encryption[0] != algorithm or (key and actual.encryption[1] != key):
        shown = "/".join(part for part in actual.encryption if part)
        return [Difference("encryption", f"default encryption is {shown}, plan: {algorithm}")]
    return []


def _rules_text(rules: tuple[LifecycleRule, ...]) -> str:
    if not rules:
        return "none"
    parts = []
    for rule_id, status, expiry, ia_days in rules:
        parts.append(f"{rule_id} ({status}, noncurrent expire {expiry} d, to IA {ia_days} d)")
    return ", ".join(parts)


def lifecycle_document(rules: tuple[LifecycleRule, ...]) -> dict:
    documents = []
    for rule_id, status, expiry, ia_days in rules:
        document: dict[str, Any] = {"ID": rule_id, "Status": status, "Filter": {"Prefix": ""}}
        if expiry:
            document["NoncurrentVersionExpiration"] = {"NoncurrentDays": expiry}
        if ia_days:
            document["Transitions"] = [{"Days": ia_days, "StorageClass": "STANDARD_IA"}]
        documents.append(document)
    return {"Rules": documents}


# --- I/O ---------------------------------------------------------------------------------


def _optional(call, missing_code: str, *args, **kwargs) -> dict | None:
    """The response of a Get* call, or None when S3 says that configuration does not exist."""
    try:
        return call(*args, **kwargs)
    except ClientError as exc:
        if has_code(exc, missing_code):
            return None
        raise


def read_state(s3: Any, name: str) -> BucketState:
    versioning = s3.get_bucket_versioning(Bucket=name).get("Status", "")
    encryption = _optional(s3.get_bucket_encryption, NOT_FOUND["encryption"], Bucket=name)
    access = _optional(s3.get_public_access_block, NOT_FOUND["public_access"], Bucket=name)
    lifecycle = _optional(
        s3.get_bucket_lifecycle_configuration, NOT_FOUND["lifecycle"], Bucket=name
    )
    tagging = _optional(s3.get_bucket_tagging, NOT_FOUND["tags"], Bucket=name)
    return BucketState(
        versioning=versioning,
        encryption=_encryption_of(encryption),
        public_access=_public_access_of(access),
        lifecycle=lifecycle_summary((lifecycle or {}).get("Rules", [])),
        tags=tag_dict((tagging or {}).get("TagSet")),
    )


def _encryption_of(response: dict | None) -> tuple[str, str | None] | None:
    rules = (response or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    default = rules[0].get("ApplyServerSideEncryptionByDefault") if rules else None
    return (default["SSEAlgorithm"], default.get("KMSMasterKeyID")) if default else None


def _public_access_of(response: dict | None) -> tuple[bool, ...]:
    block = (response or {}).get("PublicAccessBlockConfiguration")
    return tuple(bool(block.get(flag)) for flag in PUBLIC_ACCESS_FLAGS) if block else ()


def bucket_region(s3: Any, name: str) -> str | None:
    """The region the bucket lives in, or None when it does not exist."""
    try:
        response = s3.head_bucket(Bucket=name)
    except ClientError as exc:
        metadata = exc.response.get("ResponseMetadata", {})
        if metadata.get("HTTPStatusCode") == 404:
            return None
        if metadata.get("HTTPStatusCode") == 301:  # in another region: S3 says which
            return metadata.get("HTTPHeaders", {}).get("x-amz-bucket-region")
        raise
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    return response.get("BucketRegion") or headers.get("x-amz-bucket-region")


def check_region(name: str, actual: str | None, planned: str) -> None:
    if actual and actual != planned:
        raise PermanentError(
            f"bucket {name} already exists in {actual}, but the plan puts it in {planned}: "
            "pick another purpose suffix, or ask the platform team to move the request"
        )


def create(s3: Any, name: str, region: str) -> bool:
    """Create the bucket; False when this account already owns it (a retried or repeated
    ensure). In us-east-1 S3 answers 200 for an owned bucket, so that region reports True."""
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":  # us-east-1 rejects an explicit LocationConstraint
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**kwargs)
    except ClientError as exc:
        if has_code(exc, "BucketAlreadyOwnedByYou"):
            return False
        if has_code(exc, "BucketAlreadyExists"):
            raise PermanentError(
                f"the bucket name {name} is taken by another AWS account: pick another purpose "
                "suffix"
            ) from None
        raise
    return True


def converge(
    s3: Any, resource: PlannedResource, actual: BucketState, found: list[Difference]
) -> None:
    """Write each setting that differs, once, in a fixed order."""
    desired, name = desired_state(resource), resource.name
    settings_to_write = {difference.setting for difference in found}
    for setting, write in WRITERS.items():
        if setting in settings_to_write:
            write(s3, name, desired, actual)


def _write_versioning(s3: Any, name: str, desired: BucketState, actual: BucketState) -> None:
    status = "Enabled" if desired.versioning == "Enabled" else "Suspended"
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})


def _write_encryption(s3: Any, name: str, desired: BucketState, actual: BucketState) -> None:
    algorithm, key = desired.encryption or ("AES256", None)
    default: dict[str, str] = {"SSEAlgorithm": algorithm}
    if key:
        default["KMSMasterKeyID"] = key
    rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
    if algorithm == "aws:kms":
        rule["BucketKeyEnabled"] = True  # fewer KMS calls: a fraction of the KMS cost
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [rule]})


def _write_public_access(s3: Any, name: str, desired: BucketState, actual: BucketState) -> None:
    block = dict.fromkeys(PUBLIC_ACCESS_FLAGS, True)
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)


def _write_lifecycle(s3: Any, name: str, desired: BucketState, actual: BucketState) -> None:
    if desired.lifecycle:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration=lifecycle_document(desired.lifecycle)
        )
    else:
        s3.delete_bucket_lifecycle(Bucket=name)


def _write_tags(s3: Any, name: str, desired: BucketState, actual: BucketState) -> None:
    # put_bucket_tagging replaces the whole set: keep the tags the plan does not name.
    merged = {**actual.tags, **desired.tags}
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(merged)})


WRITERS = {
    "public_access": _write_public_access,  # first: the bucket is never public, even briefly
    "encryption": _write_encryption,
    "versioning": _write_versioning,
    "lifecycle": _write_lifecycle,
    "tags": _write_tags,
}


# --- the kind's three operations -------------------------------------------------------


def ensure(aws: AwsClients, resource: PlannedResource, secrets: dict) -> EnsureResult:
    """1. Create the bucket, or learn that we already own it (the name is the key: a create
    whose response was lost is found here); 2. read its settings (a new bucket has none);
    3. write what differs from the plan."""
    s3, name, region = aws.client("s3", resource), resource.name, aws.region_of(resource)
    created = create(s3, name, region)
    if not created:
        check_region(name, bucket_region(s3, name), region)
    actual = BucketState() if created else read_state(s3, name)
    found = differences(desired_state(resource), actual)
    converge(s3, resource, actual, found)
    return outcome_result(
        "bucket", name, arn(name), created, found, {"region": region}, f" in {region}"
    )


def check_drift(aws: AwsClients, resource: PlannedResource) -> list[str]:
    s3 = aws.client("s3", resource)
    region = bucket_region(s3, resource.name)
    if region is None:
        raise ResourceMissing(f"bucket {resource.name} no longer exists")
    planned = aws.region_of(resource)
    moved = [f"bucket is in {region}, plan: {planned}"] if region != planned else []
    state = read_state(s3, resource.name)
    return moved + [d.sentence for d in differences(desired_state(resource), state)]


def decommission(aws: AwsClients, resource: PlannedResource) -> EnsureResult:
    s3, name = aws.client("s3", resource), resource.name
    if bucket_region(s3, name) is None:
        return deleted("bucket", name, existed=False, identifier=arn(name))
    count = object_count(s3, name)
    if count:
        raise PermanentError(
            f"bucket {name} still holds {count} objects: empty it first or keep it"
        )
    try:
        s3.delete_bucket(Bucket=name)
    except ClientError as exc:
        if has_code(exc, "NoSuchBucket"):
            return deleted("bucket", name, existed=False, identifier=arn(name))
        if has_code(exc, "BucketNotEmpty"):
            raise PermanentError(f"bucket {name} is not empty: empty it first or keep it") from None
        raise
    return deleted("bucket", name, existed=True, identifier=arn(name))


def object_count(s3: Any, name: str) -> str:
    """Objects, old versions and delete markers (any of them stops DeleteBucket), from one
    listing page: "1000 or more" rather than a slow count of a large bucket."""
    page = s3.list_object_versions(Bucket=name, MaxKeys=1000)
    count = len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))
    if page.get("IsTruncated"):
        return f"{count} or more"
    return str(count) if count else ""
