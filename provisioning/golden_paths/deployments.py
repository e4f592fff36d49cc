"""Deployments of golden-path services: a request that commits an image tag to an
environment's overlay in the GitOps repository, and the step that makes the commit."""

import posixpath

from django.db import transaction
from django.utils import timezone

from provisioning import services as provisioning
from provisioning.choices import RequestState
from provisioning.drivers.base import (
    EnsureResult,
    NotConnectedError,
    PermanentError,
    PlannedResource,
)
from provisioning.git_host import DEFAULT_BRANCH, GITOPS_REPOSITORY, get_host
from provisioning.golden_paths import manifests
from provisioning.golden_paths.choices import DeploymentStatus
from provisioning.golden_paths.planning import GoldenPathSpec, NewService, PipelineSpec, workload
from provisioning.golden_paths.services import DEPLOY_TYPE, approval_reason
from provisioning.models import Deployment, Environment, ProvisioningRequest, ServiceOrigin


def deploy(user, origin: ServiceOrigin, env: Environment, tag: str) -> ProvisioningRequest:
    """A one-step request that commits `tag` to `env`'s overlay; held for approval where the
    environment requires it (production)."""
    with transaction.atomic():
        request = ProvisioningRequest.objects.create(
            requester=user,
            team=origin.team,
            component=origin.component,
            service_name=origin.name,
            environment=env,
            type=DEPLOY_TYPE,
            parameters={"tag": tag},
            plan={"summary": f"Deploy {origin.name}:{tag} to {env.name}", "resources": []},
            state=RequestState.PLANNED,
            needs_approval_reason=approval_reason(env),
            submitted_at=timezone.now(),
        )
        deployment = Deployment.objects.create(
            origin=origin, environment=env, tag=tag, request=request, requested_by=user
        )
        config = {
            "deployment": deployment.pk,
            "service": origin.name,
            "environment": env.name,
            "tag": tag,
        }
        resource = PlannedResource("portal", "deployment", f"{origin.name}/{env.name}", {}, config)
        request.plan = {**request.plan, "resources": [resource.to_json()]}
        request.save(update_fields=["plan"])
        title = f"Commit {origin.name}:{tag} to the {env.name} overlay"
        provisioning.start_planned_request(
            request, [(title, resource)], user.get_username(), claim=False
        )
    return request


def latest_committed(origin: ServiceOrigin, env: Environment) -> Deployment | None:
    return (
        Deployment.objects.filter(origin=origin, environment=env, status=DeploymentStatus.COMMITTED)
        .order_by("-committed_at", "-id")
        .first()
    )


def apply_deployment(deployment_id: int, components: tuple[str, ...] = ()) -> EnsureResult:
    """Commit the deployment's image tag to its overlay and record the commit (idempotent).

    An empty tag means "the service repository's head": the commit the pipeline builds first.
    The overlay keeps the Components it lists, and lists `components` (paths relative to it:
    the first deployment's planned bundle) whose folder is in the repository.
    """
    host = get_host()
    connected, status = host.connection_status()
    if not connected:
        raise NotConnectedError(status)
    d = (
        Deployment.objects.select_related(
            "origin__golden_path__pipeline", "origin__team", "environment"
        )
        .filter(pk=deployment_id)
        .first()
    )
    if d is None:
        raise PermanentError(
            f"deployment #{deployment_id} no longer exists: submit the deployment again"
        )
    tag = d.tag or host.head(d.origin.name, DEFAULT_BRANCH)
    if not tag:
        raise PermanentError(
            f"repository {d.origin.name} has no commit to deploy yet: retry after it is created"
        )
    w, env = workload_for(d.origin), provisioning.environment_spec(d.environment)
    host.ensure_repository(GITOPS_REPOSITORY)
    folder = manifests.overlay_folder(d.origin.name, d.environment.name)

    def overlay(read) -> dict[str, str]:
        # Read at the commit this one follows, so a Component listed since is never dropped.
        kept = manifests.listed_components(read(f"{folder}/kustomization.yaml"))
        kept += [
            c
            for c in components
            if c not in kept
            and read(posixpath.normpath(f"{folder}/{c}/kustomization.yaml")) is not None
        ]
        files = manifests.overlay_files(w, env, tag, tuple(kept))
        return {f"{folder}/{path}": text for path, text in files.items()}

    commit, changed = host.commit_files(
        GITOPS_REPOSITORY,
        DEFAULT_BRANCH,
        {},
        f"Deploy {d.origin.name}:{tag} to {d.environment.name}",
        folder,
        derive=overlay,
    )
    Deployment.objects.filter(pk=d.pk).update(
        tag=tag,
        gitops_commit=commit,
        status=DeploymentStatus.COMMITTED,
        committed_at=d.committed_at or timezone.now(),
        # The change lead time's start: when what the tag names was committed, if it is known.
        change_committed_at=host.commit_time(d.origin.name, tag),
    )
    outcome = "updated" if changed else "unchanged"
    return EnsureResult(
        outcome,
        commit,
        f"committed {d.origin.name}:{tag[:12]} to {folder} at {commit[:12]}",
        {"commit": commit, "tag": tag},
    )


def workload_for(origin: ServiceOrigin) -> manifests.Workload:
    gp = origin.golden_path
    svc = NewService(
        name=origin.name,
        team=origin.team.name,
        description="",
        values=origin.values,
        golden_path=GoldenPathSpec(
            gp.slug,
            gp.version,
            gp.name,
            gp.language,
            gp.framework,
            {},
            PipelineSpec(
                gp.pipeline.slug,
                gp.pipeline.version,
                gp.pipeline.name,
                gp.pipeline.path,
                "",
                gp.pipeline.image_registry,
            ),
            gp.pipeline_settings or {},
            gp.deployment_defaults or {},
            gp.observability_defaults or {},
        ),
        environments=(),
        deploy_to="",
        repository_url=get_host().clone_url(origin.name),
        gitops_url=get_host().clone_url(GITOPS_REPOSITORY),
    )
    return workload(svc)
