"""Builders for the metrics tests: services, deployments and requests at known times."""

from datetime import datetime, timedelta

from django.utils import timezone

from provisioning.choices import RequestState
from provisioning.demo import seed_golden_paths
from provisioning.golden_paths.choices import DeploymentStatus
from provisioning.models import (
    Deployment,
    Environment,
    GoldenPath,
    ProvisioningRequest,
    ServiceOrigin,
)

BASE = timezone.make_aware(datetime(2026, 3, 2, 9, 0))


def at(days: float = 0, hours: float = 0) -> datetime:
    """BASE moved by `days` and `hours`."""
    return BASE + timedelta(days=days, hours=hours)


def env(name: str) -> Environment:
    return Environment.objects.get(name=name)


def make_origin(name: str, team, created: datetime) -> ServiceOrigin:
    gp = GoldenPath.objects.first()
    if gp is None:
        seed_golden_paths()
        gp = GoldenPath.objects.first()
    origin = ServiceOrigin.objects.create(
        name=name, golden_path=gp, team=team, image=f"ghcr.io/acme/{name}"
    )
    ServiceOrigin.objects.filter(pk=origin.pk).update(created_at=created)
    return origin


def make_request(
    user, team, kind: str, submitted: datetime, finished: datetime | None, state=None
) -> ProvisioningRequest:
    request = ProvisioningRequest.objects.create(
        requester=user,
        team=team,
        environment=env("dev"),
        type=kind,
        state=state or RequestState.SUCCEEDED,
        submitted_at=submitted,
        finished_at=finished,
    )
    return request


def deploy(
    origin,
    environment: str,
    user,
    created: datetime,
    committed: datetime | None = None,
    failed: datetime | None = None,
) -> Deployment:
    """A deployment requested at `created`: committed at `committed`, or its request failed at
    `failed`, or still in flight when neither is given."""
    request = None
    if failed is not None:
        request = make_request(user, origin.team, "deploy", created, failed, RequestState.FAILED)
    deployment = Deployment.objects.create(
        origin=origin,
        environment=env(environment),
        tag="v1",
        requested_by=user,
        request=request,
        status=DeploymentStatus.COMMITTED if committed else DeploymentStatus.PENDING,
        committed_at=committed,
    )
    Deployment.objects.filter(pk=deployment.pk).update(created_at=created)
    return deployment
