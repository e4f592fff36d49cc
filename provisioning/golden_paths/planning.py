"""Plan a new service from a golden path: every file, manifest and step, before anything exists.

Pure: the caller passes the golden path, the environments, what is connected and the
observability bundle as values. `plan_service` renders the skeleton and the pipeline, builds
the manifests and Argo CD applications, checks them against their schemas, and orders the
steps so that what can always be done here (git, catalog, the first deployment) comes first
and what needs a connected system comes after it.
"""

import posixpath
from dataclasses import dataclass, field

import yaml

from provisioning.drivers.base import PlannedResource
from provisioning.git_host import DEFAULT_BRANCH, GITOPS_REPOSITORY
from provisioning.golden_paths import argo, manifests, validation
from provisioning.golden_paths.catalog_info import descriptor_yaml
from provisioning.golden_paths.kustomize import KustomizeError
from provisioning.golden_paths.rendering import RenderError, render_files, render_text
from provisioning.planning import (
    EnvironmentSpec,
    PlanContext,
    PlanError,
    plan_kubernetes_namespace,
    plan_secrets_path,
)
from provisioning.policy import NamingPolicy

DEFAULT_PORT = 8080


@dataclass(frozen=True)
class PipelineSpec:
    slug: str
    version: int
    name: str
    path: str
    content: str
    image_registry: str


@dataclass(frozen=True)
class GoldenPathSpec:
    slug: str
    version: int
    name: str
    language: str
    framework: str
    files: dict[str, str]
    pipeline: PipelineSpec
    pipeline_settings: dict = field(default_factory=dict)
    deployment_defaults: dict = field(default_factory=dict)
    observability_defaults: dict = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.slug}@{self.version}"


@dataclass(frozen=True)
class NewService:
    """Everything the plan depends on, as plain values."""

    name: str
    team: str
    description: str
    values: dict
    golden_path: GoldenPathSpec
    environments: tuple[EnvironmentSpec, ...]
    deploy_to: str
    repository_url: str  # the service repository's clone URL (GitHost.clone_url)
    gitops_url: str  # the GitOps repository's, which Argo CD follows
    policy: NamingPolicy = field(default_factory=NamingPolicy)
    # provider -> "not connected: …" for the providers that are not; absent means connected
    not_connected: dict = field(default_factory=dict)
    bundle: tuple[PlannedResource, ...] | None = None  # None: no bundle registered


@dataclass(frozen=True)
class Step:
    title: str
    resource: PlannedResource


@dataclass(frozen=True)
class ServicePlan:
    name: str
    golden_path: str
    repository_files: dict[str, str]
    pipeline_path: str
    gitops_files: dict[str, str]  # path in the GitOps repository -> text
    steps: list[Step]
    notes: list[str]
    environments: list[str]
    deploy_to: str
    summary: str

    def to_json(self) -> dict:
        return {
            "summary": self.summary,
            "golden_path": self.golden_path,
            "files": sorted(self.repository_files),
            "pipeline": self.pipeline_path,
            "manifests": sorted(self.gitops_files),
            "environments": self.environments,
            "deploy_to": self.deploy_to,
            "notes": self.notes,
            "steps": [s.title for s in self.steps],
            "resources": [s.resource.to_json() for s in self.steps],
            "monthly_cost_usd": 0,
        }


def workload(svc: NewService) -> manifests.Workload:
    gp = svc.golden_path
    return manifests.Workload(
        name=svc.name,
        team=svc.team,
        image=f"{gp.pipeline.image_registry.rstrip('/')}/{svc.name}",
        port=int(svc.values.get("port") or DEFAULT_PORT),
        golden_path=gp.ref,
        defaults=gp.deployment_defaults,
        observability=gp.observability_defaults,
    )


def template_context(svc: NewService) -> dict:
    """What skeleton and pipeline templates can use, e.g. {{ name }} or {{ values.port }}."""
    gp, w = svc.golden_path, workload(svc)
    return {
        "name": svc.name,
        "module": svc.name.replace("-", "_"),
        "description": svc.description,
        "owner": svc.team,
        "port": w.port,
        "values": svc.values,
        "image": w.image,
        "repository_url": svc.repository_url,
        "gitops_url": svc.gitops_url,
        "gitops_path": f"apps/{svc.name}/overlays",
        "golden_path": {"slug": gp.slug, "version": gp.version, "name": gp.name, "ref": gp.ref},
        "pipeline": gp.pipeline_settings,
        "pipeline_path": gp.pipeline.path,
        "observability": gp.observability_defaults,
        "environments": [e.name for e in svc.environments],
        "deploy_to": svc.deploy_to,
    }


ANSWERS_FILE = ".idp-answers.yaml"
ANSWERS_HEADER = """\
# Written by the platform portal; do not edit. Like Copier's .copier-answers.yml, it records
# what generated this repository: the golden path and pipeline template, each at its version,
# and the answers given when the service was created. The portal reads it to upgrade the
# repository when either gets a new version: it renders the skeleton at the recorded version
# and at the new one, and merges the difference onto your files (git merge-file).
"""


def answers_yaml(svc: NewService) -> str:
    """The answers file: golden path and pipeline, each with its version, and the answers."""
    gp = svc.golden_path
    record = {
        "golden_path": gp.slug,
        "golden_path_version": gp.version,
        "pipeline": gp.pipeline.slug,
        "pipeline_version": gp.pipeline.version,
        "name": svc.name,
        "owner": svc.team,
        "answers": svc.values,
    }
    return ANSWERS_HEADER + yaml.safe_dump(record, sort_keys=False, default_flow_style=False)


def read_answers(text: str | None) -> dict:
    """The answers file's record, or {} when it is absent or not one the portal wrote."""
    try:
        record = yaml.safe_load(text or "")
    except yaml.YAMLError:
        return {}
    return record if isinstance(record, dict) else {}


def render_repository(svc: NewService) -> dict[str, str]:
    """The skeleton, the CI workflow, catalog-info.yaml and the answers file; raises
    RenderError."""
    gp, context = svc.golden_path, template_context(svc)
    problems, files = [], {}
    try:
        files = render_files(gp.files, context)
    except RenderError as exc:
        problems += exc.problems
    try:
        pipeline = render_text(
            f"pipeline {gp.pipeline.slug} v{gp.pipeline.version}", gp.pipeline.content, context
        )
    except RenderError as exc:
        problems += exc.problems
    if problems:
        raise RenderError(problems)
    files[gp.pipeline.path] = pipeline
    files["catalog-info.yaml"] = descriptor_yaml(
        name=svc.name,
        team=svc.team,
        description=svc.description,
        language=gp.language,
        golden_path=gp.ref,
        repository_url=context["repository_url"],
    )
    files[ANSWERS_FILE] = answers_yaml(svc)
    return files


def bundle_components(svc: NewService, env: str) -> dict[str, dict[str, str]]:
    """The kustomize Components the bundle writes to the GitOps repository for `env`, as
    {path relative to the env's overlay: {file name: text}}: the overlay lists these paths."""
    components = {}
    for r in svc.bundle or ():
        repo, _, folder = r.name.partition(":")
        files = r.config.get("files") or {}
        if (r.provider, r.kind, repo) != ("git", "gitops-files", GITOPS_REPOSITORY):
            continue
        if r.tags.get("environment") != env or not _is_component(files.get("kustomization.yaml")):
            continue
        overlay = manifests.overlay_folder(svc.name, env)
        components[posixpath.relpath(folder, overlay)] = files
    return components


def _is_component(text: str | None) -> bool:
    try:
        doc = yaml.safe_load(text or "")
    except yaml.YAMLError:
        return False
    return isinstance(doc, dict) and doc.get("kind") == "Component"


def gitops_files(svc: NewService, deployed: dict[str, str | None]) -> dict[str, str]:
    """Every GitOps file of the service; `deployed` maps an environment to its image tag."""
    w, url = workload(svc), svc.gitops_url
    files = {f"apps/{svc.name}/base/{p}": t for p, t in manifests.base_files(w).items()}
    for env in svc.environments:
        components = bundle_components(svc, env.name)
        overlay_path = manifests.overlay_folder(svc.name, env.name)
        overlay = manifests.overlay_files(w, env, deployed.get(env.name), tuple(components))
        files |= {f"{overlay_path}/{p}": t for p, t in overlay.items()}
        for path, component in components.items():
            folder = posixpath.normpath(f"{overlay_path}/{path}")
            files |= {f"{folder}/{p}": t for p, t in component.items()}
    apps = argo.application_files(w, list(svc.environments), url)
    return files | {f"argocd/{svc.name}/{p}": t for p, t in apps.items()}


def schema_problems(svc: NewService, repository_files: dict[str, str]) -> list[str]:
    """What the real schemas find wrong in the generated objects, kustomizations and workflow.

    The objects are what each overlay builds to, the bundle's Deployment patch applied; the
    bundle's own objects (ConfigMaps, Prometheus Operator resources) are checked against
    their schemas by the generator that makes them (observability/validation.py)."""
    if problems := manifests.defaults_problems(svc.golden_path.deployment_defaults):
        return problems
    w = workload(svc)
    kustomizations = {"base": manifests.base_files(w)["kustomization.yaml"]}
    for env in svc.environments:
        components = bundle_components(svc, env.name)
        for tag in (None, "0.0.0"):
            overlay = manifests.overlay_files(w, env, tag, tuple(components))
            kustomizations[f"{env.name} overlay ({tag or 'nothing deployed'})"] = overlay[
                "kustomization.yaml"
            ]
        for path, files in components.items():
            kustomizations[f"{env.name} {path}"] = files.get("kustomization.yaml", "")
        try:
            objects = manifests.effective_objects(w, env, "0.0.0", components)
        except KustomizeError as exc:
            problems.append(f"{env.name}: the overlay cannot be built ({exc})")
            continue
        for obj in filter(validation.has_schema, objects):
            problems += [f"{env.name}: {p}" for p in validation.kubernetes_problems(obj)]
    for where, text in kustomizations.items():
        problems += validation.kustomization_problems(text, f"{where} kustomization.yaml")
    pipeline_path = svc.golden_path.pipeline.path
    problems += validation.workflow_problems(repository_files[pipeline_path], pipeline_path)
    return list(dict.fromkeys(problems))


def plan_service(svc: NewService) -> ServicePlan:
    """The plan, or PlanError keyed by the field to change (`golden_path` for template faults)."""
    environments = [e.name for e in svc.environments]
    if svc.deploy_to not in environments:
        raise PlanError({"environment": [f"use one of: {', '.join(environments)}"]})
    if problems := manifests.defaults_problems(svc.golden_path.deployment_defaults):
        raise PlanError({"golden_path": [_platform_fault(p) for p in problems]})
    try:
        repo_files = render_repository(svc)
    except RenderError as exc:
        raise PlanError({"golden_path": [_platform_fault(str(p)) for p in exc.problems]}) from None
    if problems := schema_problems(svc, repo_files):
        raise PlanError({"golden_path": [_platform_fault(p) for p in problems]})
    steps, notes = _steps(svc, repo_files)
    gp = svc.golden_path
    return ServicePlan(
        name=svc.name,
        golden_path=gp.ref,
        repository_files=repo_files,
        pipeline_path=gp.pipeline.path,
        gitops_files=gitops_files(svc, {svc.deploy_to: "<first build>"}),
        steps=steps,
        notes=notes,
        environments=environments,
        deploy_to=svc.deploy_to,
        summary=f"New service {svc.name} from {gp.name} v{gp.version}: repository, CI pipeline, "
        f"manifests and Argo CD applications for {', '.join(environments)}, catalog entry, "
        f"first deployment to {svc.deploy_to}",
    )


def _platform_fault(problem: str) -> str:
    return f"the golden path is broken ({problem}): tell the platform team, or pick another one"


def _git(name: str, kind: str, files: dict[str, str], message: str, prune: bool = False):
    config = {"files": files, "message": message, "branch": DEFAULT_BRANCH, "prune": prune}
    return PlannedResource("git", kind, name, {}, config)


def _steps(svc: NewService, repo_files: dict[str, str]) -> tuple[list[Step], list[str]]:
    name, gp, w = svc.name, svc.golden_path, workload(svc)
    why = f"portal: {name} from golden path {gp.ref}"
    steps = [
        Step(
            f"Create repository {name} with the skeleton and the {gp.pipeline.name} pipeline",
            _git(name, "repository", repo_files, f"Create {name} from golden path {gp.ref}"),
        ),
        Step(
            "Write the Kubernetes base manifests to the GitOps repository",
            _git(
                f"{GITOPS_REPOSITORY}:apps/{name}/base",
                "gitops-files",
                manifests.base_files(w),
                why,
                prune=True,
            ),
        ),
    ]
    # The bundle before the overlays that list it and the first deployment: every commit of
    # the GitOps repository builds, and the one Argo CD first syncs deploys it.
    notes = _bundle(svc, steps)
    for env in svc.environments:
        if env.name != svc.deploy_to:
            files = manifests.overlay_files(w, env, None, tuple(bundle_components(svc, env.name)))
            steps.append(
                Step(
                    f"Write the {env.name} overlay (nothing runs there until you deploy)",
                    _git(
                        f"{GITOPS_REPOSITORY}:apps/{name}/overlays/{env.name}",
                        "gitops-files",
                        files,
                        why,
                    ),
                )
            )
    url = svc.gitops_url
    apps = argo.application_files(w, list(svc.environments), url)
    steps.append(
        Step(
            f"Write {len(apps)} Argo CD applications",
            _git(f"{GITOPS_REPOSITORY}:argocd/{name}", "gitops-files", apps, why, prune=True),
        )
    )
    steps.append(
        Step(
            f"Register {name} in the catalog, owned by {svc.team}",
            PlannedResource("portal", "catalog-component", name, {}, {"service": name}),
        )
    )
    platform_steps, platform_notes = _platform_steps(svc)
    notes = platform_notes + notes
    deploy = {
        "deployment": None,
        "service": name,
        "environment": svc.deploy_to,
        "tag": "",
        "components": sorted(bundle_components(svc, svc.deploy_to)),
    }
    steps.append(
        Step(
            f"Deploy the first build to {svc.deploy_to} (commit its image tag to the overlay)",
            PlannedResource("portal", "deployment", f"{name}/{svc.deploy_to}", {}, deploy),
        )
    )
    steps += platform_steps
    notes.append(
        f"CI: {gp.pipeline.name} v{gp.pipeline.version} in {gp.pipeline.path}: lint, test, build "
        f"the image, push it to {gp.pipeline.image_registry}, commit the tag to the GitOps "
        "repository."
    )
    return steps, notes


def _platform_steps(svc: NewService) -> tuple[list[Step], list[str]]:
    """Namespaces and Vault paths, planned only where their system is connected."""
    steps, notes = [], []
    for provider, planner, what, params in (
        ("kubernetes", plan_kubernetes_namespace, "namespace", {"size": "small"}),
        ("vault", plan_secrets_path, "Vault secrets path", {"kubernetes_auth": True}),
    ):
        planned = []
        for env in svc.environments:
            ctx = PlanContext(svc.team, svc.name, env, svc.policy)
            for r in planner(ctx, params).resources:
                planned.append(Step(f"Create {what} {r.name} in {env.name}", r))
        if provider in svc.not_connected:
            names = ", ".join(s.resource.name for s in planned)
            notes.append(
                f"{what.capitalize()}s {names}: {svc.not_connected[provider]}. They will be "
                f"created when the platform team connects {provider.title()}; request them "
                "then from the service page."
            )
        else:
            steps += planned
    return steps, notes


def _bundle(svc: NewService, steps: list[Step]) -> list[str]:
    if svc.bundle is None:
        return [
            "Observability bundle: not configured. The service still serves /metrics, writes "
            "JSON logs and sends traces when OpenTelemetry is installed."
        ]
    steps += [
        Step(f"Write the observability bundle: {r.name.partition(':')[2] or r.name}", r)
        for r in svc.bundle
    ]
    return []
