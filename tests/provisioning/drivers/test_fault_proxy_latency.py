"""The fault proxy's latency: every request waits the same time before it is forwarded, so the
provisioning benchmark can make moto and the Vault contract server answer like real providers
(50 ms a call). The wait goes through an injected `sleep`, so nothing here is timed."""

import hvac
import pytest
from botocore.exceptions import ClientError

from tests.contract_server import VaultServer
from tests.fault_proxy import FaultProxy
from tests.moto_server import direct_client


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_every_aws_call_waits_the_latency_then_reaches_moto(aws):
    sleeps = Sleeps()
    proxy = FaultProxy(aws.endpoint, latency=0.05, sleep=sleeps)
    proxy.start()
    try:
        s3 = direct_client(proxy.url, "s3")
        s3.create_bucket(
            Bucket="slow-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        s3.put_bucket_versioning(
            Bucket="slow-bucket", VersioningConfiguration={"Status": "Enabled"}
        )
    finally:
        proxy.stop()
    assert proxy.actions == ["CreateBucket", "PutBucketVersioning"]
    assert sleeps == [0.05, 0.05]
    assert [b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]] == ["slow-bucket"]


def test_a_fault_is_answered_after_the_latency_too(aws):
    sleeps = Sleeps()
    proxy = FaultProxy(aws.endpoint, latency=0.05, sleep=sleeps)
    proxy.fail("CreateBucket", times=10, status=403, code="AccessDenied")  # botocore won't retry
    proxy.start()
    try:
        s3 = direct_client(proxy.url, "s3")
        with pytest.raises(ClientError) as raised:
            s3.create_bucket(
                Bucket="never", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
            )
    finally:
        proxy.stop()
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert proxy.actions == ["CreateBucket"] and sleeps == [0.05]
    assert aws.client("s3").list_buckets()["Buckets"] == []


def test_without_latency_nothing_waits(aws):
    sleeps = Sleeps()
    proxy = FaultProxy(aws.endpoint, sleep=sleeps)
    proxy.start()
    try:
        direct_client(proxy.url, "s3").list_buckets()
    finally:
        proxy.stop()
    assert sleeps == [] and len(proxy.actions) == 1


def test_it_slows_a_vault_server_down_too():
    sleeps = Sleeps()
    with VaultServer("hvs.latency") as vault:
        proxy = FaultProxy(vault.url, latency=0.05, sleep=sleeps)
        proxy.start()
        try:
            client = hvac.Client(url=proxy.url, token="hvs.latency", timeout=5)
            client.secrets.kv.v2.create_or_update_secret("app/db", {"password": "s3cret"})
            read = client.secrets.kv.v2.read_secret_version("app/db", raise_on_deleted_version=True)
        finally:
            proxy.stop()
        assert read["data"]["data"] == {"password": "s3cret"}
        assert vault.lines() == ["POST /v1/secret/data/app/db", "GET /v1/secret/data/app/db"]
    assert sleeps == [0.05, 0.05]
