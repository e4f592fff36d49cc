"""Every write for golden paths: new versions, new services and their catalog entries (the
entry other apps call; deployments are in deployments.py)."""

from dataclasses import replace

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from catalog import services as catalog
from catalog.models import Component
from provisioning import extensions
from provisioning import services as provisioning
from provisioning.choices import RequestState
from provisioning.drivers.base import (
    EnsureResult,
    PermanentError,
    ResourceMissing,
)
from provisioning.drivers.registry import connection_statuses
from provisioning.git_host import GITOPS_REPOSITORY, get_host
from provisioning.golden_paths.catalog_info import ANNOTATION_GOLDEN_PATH
from provisioning.golden_paths.parameters import service_name_problems
from provisioning.golden_paths.planning import (
    GoldenPathSpec,
    NewService,
    PipelineSpec,
    ServicePlan,
    Step,
    plan_service,
)
from provisioning.models import (
    Deployment,
    Environment,
    GoldenPath,
    PipelineTemplate,
    ProvisionedResource,
    ProvisioningRequest,
    ServiceOrigin,
    SkeletonFile,
)
from provisioning.planning import PlanError

REQUEST_TYPE = "service"
DEPLOY_TYPE = "deploy"
DEFAULT_DEPLOY_ENVIRONMENT = "staging"


# --- Reading golden paths ------------------------------------------------------------------


def published_golden_paths() -> list[GoldenPath]:
    """The newest published version of each golden path, with its file count (one query)."""
    rows = (
        GoldenPath.objects.filter(published=True)
        .select_related("pipeline")
        .annotate(file_count=Count("files"))
        .order_by("slug", "-version")
    )
    latest: dict[str, GoldenPath] = {}
    for row in rows:
        latest.setdefault(row.slug, row)
    return sorted(latest.values(), key=lambda g: g.name.lower())


def get_published(slug: str) -> GoldenPath | None:
    return (
        GoldenPath.objects.filter(slug=slug, published=True)
        .select_related("pipeline")
        .order_by("-version")
        .first()
    )


def spec_for(gp: GoldenPath) -> GoldenPathSpec:
    p = gp.pipeline
    return GoldenPathSpec(
        slug=gp.slug,
        version=gp.version,
        name=gp.name,
        language=gp.language,
        framework=gp.framework,
        files={f.path: f.content for f in gp.files.all()},
        pipeline=PipelineSpec(p.slug, p.version, p.name, p.path, p.content, p.image_registry),
        pipeline_settings=gp.pipeline_settings or {},
        deployment_defaults=gp.deployment_defaults or {},
        observability_defaults=gp.observability_defaults or {},
    )


def _not_connected() -> dict[str, str]:
    return {
        p: s
        for p, (ok, s) in connection_statuses().items()
        if p in {"kubernetes", "vault"} and not ok
    }


def deploy_environment(environments: list[Environment]) -> Environment | None:
    by_name = {e.name: e for e in environments}
    return by_name.get(DEFAULT_DEPLOY_ENVIRONMENT) or (environments[0] if environments else None)


# --- Names ---------------------------------------------------------------------------------


def rule_problems(name: str, team_name: str) -> list[str]:
    """Every naming rule `name` breaks, in every environment's namespace and Vault path."""
    envs = [provisioning.environment_spec(e) for e in Environment.objects.all()]
    return service_name_problems(name, team_name or "team", envs)


def name_problems(name: str, team_name: str) -> list[str]:
    """Rules first (no lookups beyond environments), then whether the name is taken."""
    if problems := rule_problems(name, team_name):
        return problems
    return [taken] if (taken := taken_message(name)) else []


def taken_message(name: str) -> str:
    """Why `name` cannot be used because something already has it, or ""."""
    if Component.objects.filter(namespace="default", name__iexact=name).exists():
        return f"a service named {name} is already in the catalog: pick another name"
    origin = ServiceOrigin.objects.filter(name__iexact=name).select_related("team").first()
    if origin:
        return (
            f"{name} is being created by team {origin.team.display_name} "
            f"(request #{origin.request_id}): pick another name"
        )
    host = get_host()
    if host.connection_status()[0] and host.exists(name):
        return f"a repository named {name} already exists on the git host: pick another name"
    return ""


# --- Planning and submitting a new service --------------------------------------------------


def _bundle(name: str, team, description: str, environments: list[Environment]):
    generators = extensions.bundles()
    if not generators:
        return None
    draft = Component(name=name, owner=team, description=description, type="service")
    try:
        return tuple(r for g in generators.values() for env in environments for r in g(draft, env))
    except Exception as exc:  # another app's code: its failure must be a readable plan error
        raise PlanError(
            {
                "golden_path": [
                    f"the observability bundle could not be planned ({exc}): tell the platform team"
                ]
            }
        ) from exc


def new_service(
    gp: GoldenPath, name: str, team, description: str, values: dict, deploy_to: Environment
) -> NewService:
    environments = list(Environment.objects.all())
    return NewService(
        name=name,
        team=team.name,
        description=description,
        values=values,
        golden_path=spec_for(gp),
        environments=tuple(provisioning.environment_spec(e) for e in environments),
        deploy_to=deploy_to.name,
        repository_url=get_host().clone_url(name),
        gitops_url=get_host().clone_url(GITOPS_REPOSITORY),
        policy=provisioning.current_policy(),
        not_connected=_not_connected(),
        bundle=_bundle(name, team, description, environments),
    )


def plan_new_service(gp, name, team, description, values, deploy_to) -> ServicePlan:
    """The plan; PlanError (field -> what to do) or NameTaken; nothing is written."""
    if problems := rule_problems(name, team.name):
        raise PlanError({"name": problems})
    if taken := taken_message(name):
        raise provisioning.NameTaken(taken)
    return plan_service(new_service(gp, name, team, description, values, deploy_to))


def submit_new_service(
    user,
    gp: GoldenPath,
    name: str,
    team,
    description: str,
    values: dict,
    deploy_to: Environment,
    idempotency_key: str = "",
) -> ProvisioningRequest:
    """1. Return the earlier request for a repeated idempotency key; 2. plan; 3. record the
    request, the service's origin and its first deployment, claim the names (first come, first
    served) and queue it. Raises PlanError or NameTaken; nothing is left behind."""
    key = idempotency_key or None
    if key and (
        earlier := ProvisioningRequest.objects.filter(requester=user, idempotency_key=key).first()
    ):
        return earlier
    plan = plan_new_service(gp, name, team, description, values, deploy_to)
    try:
        with transaction.atomic():
            return _record_new_service(user, gp, plan, team, description, values, deploy_to, key)
    except IntegrityError as exc:
        if key and (
            earlier := ProvisioningRequest.objects.filter(
                requester=user, idempotency_key=key
            ).first()
        ):
            return earlier
        raise provisioning.NameTaken(
            taken_message(name) or f"{name} was just taken: pick another name"
        ) from exc


def _record_new_service(user, gp, plan: ServicePlan, team, description, values, deploy_to, key):
    request = ProvisioningRequest.objects.create(
        requester=user,
        team=team,
        service_name=plan.name,
        environment=deploy_to,
        type=REQUEST_TYPE,
        parameters={
            "golden_path": gp.slug,
            "version": gp.version,
            "owner": team.name,
            "description": description,
            **values,
        },
        plan=plan.to_json(),
        state=RequestState.PLANNED,
        idempotency_key=key,
        needs_approval_reason=approval_reason(deploy_to),
        submitted_at=timezone.now(),
    )
    origin = ServiceOrigin.objects.create(
        name=plan.name,
        golden_path=gp,
        team=team,
        request=request,
        values=values,
        image=workload_image(gp, plan.name),
        pipeline=gp.pipeline,
    )
    first = Deployment.objects.create(
        origin=origin, environment=deploy_to, tag="", request=request, requested_by=user
    )
    steps = [(s.title, _with_deployment(s, first.pk).resource) for s in plan.steps]
    provisioning.start_planned_request(request, steps, user.get_username())
    return request


def _with_deployment(step: Step, deployment_id: int) -> Step:
    if step.resource.provider == "portal" and step.resource.kind == "deployment":
        config = {**step.resource.config, "deployment": deployment_id}
        return replace(step, resource=replace(step.resource, config=config))
    return step


def workload_image(gp: GoldenPath, name: str) -> str:
    return f"{gp.pipeline.image_registry.rstrip('/')}/{name}"


def approval_reason(env: Environment) -> str:
    """Why a request to `env` waits for a team lead, or "" when it does not."""
    return (
        f"{env.display_name} requests need a team lead's approval" if env.requires_approval else ""
    )


# --- The catalog entry ---------------------------------------------------------------------


def register_component(name: str) -> EnsureResult:
    """Create or converge the catalog Component of a service made from a golden path, and link
    the service's requests and inventory to it."""
    origin = (
        ServiceOrigin.objects.select_related("golden_path", "team", "component")
        .filter(name=name)
        .first()
    )
    if origin is None:
        raise PermanentError(f"no golden-path service named {name}: submit the request again")
    gp, team = origin.golden_path, origin.team
    existing = Component.objects.filter(namespace="default", name__iexact=name).first()
    if existing and existing.pk != origin.component_id:
        raise PermanentError(
            f"the catalog already has a service named {existing.name} that this request did not "
            "make: rename one of them, then retry"
        )
    description = (origin.request.parameters.get("description", "") if origin.request else "") or ""
    with transaction.atomic():
        component, created = catalog.register_component(
            name,
            owner=team,
            tags=[gp.language],
            title="",
            description=description,
            type="service",
            lifecycle="experimental",
            language=gp.language,
            repository_url=get_host().clone_url(name),
            annotations={ANNOTATION_GOLDEN_PATH: f"{gp.slug}@{gp.version}"},
        )
        ServiceOrigin.objects.filter(pk=origin.pk).update(component=component)
        requests = ProvisioningRequest.objects.filter(
            service_name=name, type__in=[REQUEST_TYPE, DEPLOY_TYPE], component=None
        )
        ProvisionedResource.objects.filter(request__in=requests, component=None).update(
            component=component
        )
        requests.update(component=component)
    outcome = "created" if created else "updated"
    return EnsureResult(outcome, component.ref, f"{outcome} catalog entry {component.ref}")


def component_drift(name: str) -> list[str]:
    if not Component.objects.filter(namespace="default", name=name).exists():
        raise ResourceMissing(f"catalog entry {name} no longer exists")
    return []


# --- Versions (admin) ----------------------------------------------------------------------


@transaction.atomic
def save_new_golden_path_version(
    current: GoldenPath, fields: dict, files: list[dict]
) -> GoldenPath:
    """Editing a published golden path: the changes become the next version; the edited one
    stays as it was, so services made from it keep pointing at what they were made from."""
    latest = GoldenPath.objects.filter(slug=current.slug).order_by("-version").first()
    new = GoldenPath.objects.create(
        **{**_model_fields(current, fields), "slug": current.slug, "version": latest.version + 1}
    )
    SkeletonFile.objects.bulk_create(
        SkeletonFile(golden_path=new, path=f["path"], content=f["content"]) for f in files
    )
    return new


@transaction.atomic
def save_new_pipeline_version(current: PipelineTemplate, fields: dict) -> PipelineTemplate:
    latest = PipelineTemplate.objects.filter(slug=current.slug).order_by("-version").first()
    return PipelineTemplate.objects.create(
        **{**_model_fields(current, fields), "slug": current.slug, "version": latest.version + 1}
    )


def _model_fields(obj, changes: dict) -> dict:
    """`obj`'s fields with `changes` applied; a changed foreign key (e.g. `pipeline`) replaces
    its `pipeline_id`, which would otherwise win and silently keep the old one."""
    skip = {"id", "version", "created_at"}
    kept = {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.attname not in skip and f.name not in changes
    }
    return {**kept, **changes}
