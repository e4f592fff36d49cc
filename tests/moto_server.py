"""A real moto server for AWS tests, registered as a pytest plugin from tests/conftest.py.

`moto_endpoint` (session): starts `python -m moto.server` on a free loopback port, once.
`aws` (function): points boto3 and the portal's settings at it, wipes its state, and makes a
VPC with two subnets in two zones (what RDS needs); yields a namespace with direct clients
(shared across tests: register no event handlers on them; use `direct_client` for that).
`fault_proxy` (function): a FaultProxy in front of moto, with the portal pointed at the proxy.
`aws_driver` (function): an AwsDriver against moto; `database_network`: the security group and
subnet group a database plan ensures before the instance.
`planned_bucket()`, `planned_queue()`, …: PlannedResources shaped as provisioning/planning.py
makes them, with the usual cost tags (TAGS).

Moto keeps its state in memory only; nothing here persists between sessions.
"""

import functools
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from types import SimpleNamespace

import boto3
import pytest

from provisioning.drivers.aws import AwsDriver
from provisioning.drivers.base import PlannedResource
from tests.fault_proxy import FaultProxy

REGION = "eu-west-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_answering(proc: subprocess.Popen, url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto server exited with status {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):  # noqa: S310 - loopback
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"moto server at {url} did not answer within {timeout:.0f} s")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The URL of a moto server running for the whole session."""
    port = free_port()
    env = {**os.environ, **CREDENTIALS, "AWS_DEFAULT_REGION": REGION}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(proc, url)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def reset_moto(url: str) -> None:
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback
        pass


def point_at(endpoint: str, monkeypatch, settings) -> None:
    """Make both boto3 (environment) and the portal (settings) use `endpoint`."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        **CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    settings.AWS_ENDPOINT_URL = endpoint
    settings.AWS_DEFAULT_REGION = REGION


def direct_client(endpoint: str, service: str, region: str = REGION):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@functools.cache
def cached_client(endpoint: str, service: str, region: str = REGION):
    """Clients are slow to build (service models) and safe to share: one per test session."""
    return direct_client(endpoint, service, region)


def make_network(ec2) -> tuple[str, list[str]]:
    """A VPC with two subnets in two availability zones."""
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet_ids = [
        ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{REGION}{zone}"
        )["Subnet"]["SubnetId"]
        for i, zone in enumerate("ab", start=1)
    ]
    return vpc_id, subnet_ids


@pytest.fixture
def aws(moto_endpoint, monkeypatch, settings) -> SimpleNamespace:
    """A clean moto account with a network; `aws.client(service)` talks to moto directly."""
    reset_moto(moto_endpoint)
    point_at(moto_endpoint, monkeypatch, settings)
    vpc_id, subnet_ids = make_network(cached_client(moto_endpoint, "ec2"))
    return SimpleNamespace(
        endpoint=moto_endpoint,
        region=REGION,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        client=lambda service, region=REGION: cached_client(moto_endpoint, service, region),
    )


@pytest.fixture
def fault_proxy(aws, monkeypatch, settings) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of moto; drivers made after this fixture go through it."""
    proxy = FaultProxy(aws.endpoint)
    proxy.start()
    point_at(proxy.url, monkeypatch, settings)
    try:
        yield proxy
    finally:
        proxy.stop()


# --- planned resources shaped exactly as provisioning/planning.py makes them -------------------

TAGS = {
    "team": "payments",
    "service": "petstore",
    "environment": "dev",
    "cost-center": "cc-123",
    "managed-by": "idp-portal",
}


def planned_bucket(name: str = "payments-petstore-dev-data", **config) -> PlannedResource:
    defaults = {
        "region": REGION,
        "versioning": True,
        "encryption": "AES256",
        "kms_key_id": None,
        "lifecycle": None,
        "block_public_access": True,
    }
    return PlannedResource("aws", "s3-bucket", name, dict(TAGS), {**defaults, **config})


def planned_queue(
    name: str = "payments-petstore-dev-orders", dead_letter: str | None = None, **config
) -> PlannedResource:
    defaults = {
        "region": REGION,
        "fifo": name.endswith(".fifo"),
        "visibility_timeout": 30,
        "message_retention_seconds": 345600,
        "dead_letter": {"target_name": dead_letter, "max_receive_count": 5}
        if dead_letter
        else None,
    }
    return PlannedResource("aws", "sqs-queue", name, dict(TAGS), {**defaults, **config})


def planned_security_group(
    vpc_id: str, name: str = "petstore-db", ingress: list | None = None
) -> PlannedResource:
    rules = (
        ingress
        if ingress is not None
        else [{"protocol": "tcp", "port": 5432, "cidr": "10.20.0.0/16", "source_group_name": None}]
    )
    config = {
        "region": REGION,
        "vpc_id": vpc_id,
        "description": "PostgreSQL petstore-db: workloads only",
        "ingress": rules,
    }
    return PlannedResource("aws", "security-group", name, dict(TAGS), config)


def planned_subnet_group(
    subnet_ids: list[str], name: str = "petstore-db-subnets"
) -> PlannedResource:
    config = {
        "region": REGION,
        "description": "Private subnets for petstore-db",
        "subnet_ids": list(subnet_ids),
    }
    return PlannedResource("aws", "db-subnet-group", name, dict(TAGS), config)


def planned_database(name: str = "petstore-db", **config) -> PlannedResource:
    defaults = {
        "region": REGION,
        "engine": "postgres",
        "engine_version": "16",
        "instance_class": "db.t4g.micro",
        "allocated_storage": 20,
        "multi_az": False,
        "storage_encrypted": True,
        "publicly_accessible": False,
        "db_subnet_group": "petstore-db-subnets",
        "security_group": "petstore-db",
        "master_username": "app",
        "db_name": "petstore",
        "backup_retention_days": 7,
        "deletion_protection": False,
        "credentials_path": {"mount": "secret", "path": "payments/petstore/dev/db"},
    }
    return PlannedResource("aws", "rds-instance", name, dict(TAGS), {**defaults, **config})


@pytest.fixture
def aws_driver(aws) -> AwsDriver:
    """The driver, configured against moto (made after `aws` has set the environment)."""
    return AwsDriver()


@pytest.fixture
def database_network(aws, aws_driver) -> SimpleNamespace:
    """The security group and subnet group a database plan puts before the instance."""
    group = planned_security_group(aws.vpc_id)
    subnets = planned_subnet_group(aws.subnet_ids)
    aws_driver.ensure(group)
    aws_driver.ensure(subnets)
    return SimpleNamespace(security_group=group, subnet_group=subnets)
