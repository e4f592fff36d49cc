"""The baseline of the provisioning benchmark: the calls the drivers make, made directly.

One warm boto3 client per service and one hvac client, built once (as a script would), then per
request exactly the calls the driver makes for a new resource, in its order:
- bucket: create_bucket, put_public_access_block, put_bucket_encryption,
  put_bucket_versioning, put_bucket_tagging;
- queue with a dead-letter queue, twice (dead-letter queue, then main queue): get_queue_url
  (a miss), create_queue with attributes and tags, get_queue_attributes, list_queue_tags; the
  main queue first resolves the dead-letter queue's ARN (get_queue_url, get_queue_attributes);
- secrets path: read the mount, the metadata (a miss), write it, read the policy (a miss),
  write it, read the Kubernetes auth role (a miss), write it.
`CallLog` records the calls either side makes, so the benchmark can show they are the same.
"""

import contextlib
import json
import time
from typing import Any

import boto3
import hvac
from botocore.exceptions import ClientError
from hvac import exceptions as vault_errors

from provisioning.drivers.base import PlannedResource

PUBLIC_ACCESS = dict.fromkeys(
    ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
)


class CallLog:
    """The AWS operations and Vault requests made through the clients it is attached to."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def attach_aws(self, client: Any) -> None:
        client.meta.events.register("before-call", self._aws)

    def attach_vault(self, client: hvac.Client) -> None:
        session = client.adapter.session
        original = session.request

        def request(method, url, *args, **kwargs):
            self.calls.append(f"{method.upper()} {url.split('/v1/', 1)[-1]}")
            return original(method, url, *args, **kwargs)

        session.request = request

    def _aws(self, model, **kwargs) -> None:
        self.calls.append(model.name)


class DirectCalls:
    """Warm clients and, per resource type, the driver's calls for a new resource."""

    def __init__(self, endpoint: str, region: str, vault_url: str, vault_token: str) -> None:
        self.region = region
        self.s3 = boto3.client("s3", region_name=region, endpoint_url=endpoint)
        self.sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint)
        self.vault = hvac.Client(url=vault_url, token=vault_token, timeout=10)

    def attach(self, log: CallLog) -> None:
        log.attach_aws(self.s3)
        log.attach_aws(self.sqs)
        log.attach_vault(self.vault)

    def timed(self, resources: list[PlannedResource]) -> float:
        """Seconds to make every call for these resources (one request's plan)."""
        started = time.perf_counter()
        for resource in resources:
            getattr(self, resource.kind.replace("-", "_"))(resource)
        return time.perf_counter() - started

    def s3_bucket(self, resource: PlannedResource) -> None:
        name = resource.name
        self.s3.create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region}
        )
        self.s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=PUBLIC_ACCESS)
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        self.s3.put_bucket_encryption(
            Bucket=name, ServerSideEncryptionConfiguration={"Rules": [rule]}
        )
        self.s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        tags = [{"Key": k, "Value": v} for k, v in sorted(resource.tags.items())]
        self.s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})

    def sqs_queue(self, resource: PlannedResource) -> None:
        config = resource.config
        attributes = {
            "VisibilityTimeout": str(config["visibility_timeout"]),
            "MessageRetentionPeriod": str(config["message_retention_seconds"]),
        }
        if dead_letter := config.get("dead_letter"):
            url = self.sqs.get_queue_url(QueueName=dead_letter["target_name"])["QueueUrl"]
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
            policy = {
                "deadLetterTargetArn": arn["Attributes"]["QueueArn"],
                "maxReceiveCount": int(dead_letter["max_receive_count"]),
            }
            attributes["RedrivePolicy"] = json.dumps(policy, separators=(",", ":"))
        with contextlib.suppress(ClientError):  # a new queue: the miss is one of the calls
            self.sqs.get_queue_url(QueueName=resource.name)
        url = self.sqs.create_queue(
            QueueName=resource.name, Attributes=attributes, tags=dict(resource.tags)
        )["QueueUrl"]
        self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
        self.sqs.list_queue_tags(QueueUrl=url)

    def kv_path(self, resource: PlannedResource) -> None:
        config, vault = resource.config, self.vault
        mount, path, auth = config["mount"], config["path"], config["kubernetes_auth"]
        vault.read(f"sys/mounts/{mount}")
        self._miss(f"{mount}/metadata/{path}")
        vault.secrets.kv.v2.update_metadata(
            path, max_versions=config["max_versions"], custom_metadata=resource.tags,
            mount_point=mount,
        )  # fmt: skip
        self._miss(f"sys/policies/acl/{config['policy_name']}")
        vault.sys.create_or_update_acl_policy(
            name=config["policy_name"], policy=config["policy_hcl"]
        )
        role_path = f"auth/{auth['mount']}/role/{auth['role']}"
        self._miss(role_path)
        body = {
            "bound_service_account_names": auth["service_account_names"],
            "bound_service_account_namespaces": auth["namespaces"],
            "token_policies": [config["policy_name"]],
            "token_ttl": 3600,
        }
        vault.write_data(role_path, data=body)

    def _miss(self, api_path: str) -> None:
        with contextlib.suppress(vault_errors.InvalidPath):  # a new path: one of the calls
            self.vault.adapter.get(f"/v1/{api_path}")
