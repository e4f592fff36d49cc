"""Apply one service's Day-2 update: the way Copier updates a project, with Jinja2 and
`git merge-file` (both already here) instead of a new dependency.

Render the repository at the versions it is on (base) and at the new ones (theirs), read what it
holds now (ours), and merge (golden_paths/merge.py); a pipeline roll-out is the same merge
restricted to the workflow file. `apply_update`:
1. read the repository's main branch; its answers file (.idp-answers.yaml) says which versions
   it is on (the database's record when the file is missing);
2. when it is on the target already, record that and stop ("unchanged"): a re-run of a step
   that committed makes no second commit;
3. render base and theirs, merge onto ours, and write the answers file at the new versions;
4. no conflict: one commit on main, only if main is still at the commit read in 1 (a commit
   meanwhile makes the step retry from 1), then record the versions on the service;
5. a conflict never reaches main: the merge, with its conflict markers, is committed to the
   branch `idp/upgrade-<slug>-v<N>` (or `idp/pipeline-…`) started from main, and the service
   records "conflict in <files>: merge branch … by hand". The step succeeds, so one service's
   conflict does not hold up the others; the service stays behind until the branch is merged
   (then Upgrade again records it, by step 2).
"""

from dataclasses import dataclass, replace

from django.db import transaction

from catalog import services as catalog
from provisioning import services as provisioning
from provisioning.drivers.base import EnsureResult, NotConnectedError, PermanentError
from provisioning.git_host import DEFAULT_BRANCH, GITOPS_REPOSITORY, get_host
from provisioning.golden_paths.catalog_info import ANNOTATION_GOLDEN_PATH
from provisioning.golden_paths.merge import MergeResult, merge_repository
from provisioning.golden_paths.planning import (
    ANSWERS_FILE,
    NewService,
    PipelineSpec,
    read_answers,
    render_repository,
)
from provisioning.golden_paths.rendering import RenderError
from provisioning.golden_paths.services import deploy_environment, spec_for
from provisioning.models import Environment, GoldenPath, PipelineTemplate, ServiceOrigin


def pipeline_of(origin: ServiceOrigin) -> PipelineTemplate:
    return origin.pipeline or origin.golden_path.pipeline


def pipeline_after(current: PipelineTemplate, offered: PipelineTemplate) -> PipelineTemplate:
    """A golden-path upgrade never takes the pipeline back past a roll-out already applied."""
    if offered.slug == current.slug and offered.version < current.version:
        return current
    return offered


def pipeline_spec(p: PipelineTemplate) -> PipelineSpec:
    return PipelineSpec(p.slug, p.version, p.name, p.path, p.content, p.image_registry)


@dataclass(frozen=True)
class Versions:
    golden_path: GoldenPath
    pipeline: PipelineTemplate

    def label(self) -> str:
        gp, p = self.golden_path, self.pipeline
        return f"{gp.slug} v{gp.version} + {p.slug} v{p.version}"


def render_at(origin: ServiceOrigin, at: Versions) -> dict[str, str]:
    """The repository as the portal would generate it for `origin` at these versions."""
    environments = list(Environment.objects.all())
    request = origin.request
    deploy_to = request.environment if request and request.environment_id else None
    deploy_to = deploy_to or deploy_environment(environments)
    svc = NewService(
        name=origin.name,
        team=origin.team.name,
        description=(request.parameters.get("description", "") if request else "") or "",
        values=origin.values,
        golden_path=replace(spec_for(at.golden_path), pipeline=pipeline_spec(at.pipeline)),
        environments=tuple(provisioning.environment_spec(e) for e in environments),
        deploy_to=deploy_to.name if deploy_to else "",
        repository_url=get_host().clone_url(origin.name),
        gitops_url=get_host().clone_url(GITOPS_REPOSITORY),
    )
    try:
        return render_repository(svc)
    except RenderError as exc:
        raise PermanentError(
            f"{at.label()} does not render for {origin.name} ({exc}): fix the template in the "
            "admin, then retry"
        ) from None


def recorded_versions(origin: ServiceOrigin, answers_text: str | None) -> Versions:
    """What the repository is on: its answers file, else (older repositories) the database."""
    record = read_answers(answers_text)
    if not record:
        return Versions(origin.golden_path, pipeline_of(origin))
    gp = GoldenPath.objects.filter(
        slug=record.get("golden_path"), version=_int(record.get("golden_path_version"))
    ).first()
    pipeline = PipelineTemplate.objects.filter(
        slug=record.get("pipeline"), version=_int(record.get("pipeline_version"))
    ).first()
    if gp is None or pipeline is None:
        raise PermanentError(
            f"{ANSWERS_FILE} in {origin.name} names versions the portal does not have "
            f"({record.get('golden_path')} v{record.get('golden_path_version')}, "
            f"{record.get('pipeline')} v{record.get('pipeline_version')}): restore the file "
            "from the repository's history, then retry"
        )
    return Versions(gp, pipeline)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _load_origin(name: str) -> ServiceOrigin:
    origin = (
        ServiceOrigin.objects.select_related(
            "golden_path__pipeline", "pipeline", "team", "component", "request__environment"
        )
        .filter(name=name)
        .first()
    )
    if origin is None:
        raise PermanentError(f"no golden-path service named {name}: open the update again")
    return origin


def _target(origin: ServiceOrigin, now: Versions, config: dict) -> tuple[Versions, str, str]:
    """(versions after the update, a short description, the conflict branch)."""
    if gp_id := config.get("golden-path"):
        gp = GoldenPath.objects.select_related("pipeline").filter(pk=gp_id).first()
        if gp is None or gp.slug != now.golden_path.slug:
            raise PermanentError(
                f"{origin.name} is on golden path {now.golden_path.slug}, and the version this "
                "step names no longer exists or is another golden path's: open the upgrade again"
            )
        after = Versions(gp, pipeline_after(now.pipeline, gp.pipeline))
        return after, f"golden path {gp.slug} v{gp.version}", f"idp/upgrade-{gp.slug}-v{gp.version}"
    pipeline = PipelineTemplate.objects.filter(pk=config.get("pipeline")).first()
    if pipeline is None:
        raise PermanentError("the pipeline version this step names no longer exists")
    after = Versions(now.golden_path, pipeline)
    return (
        after,
        f"pipeline {pipeline.slug} v{pipeline.version}",
        (f"idp/pipeline-{pipeline.slug}-v{pipeline.version}"),
    )


def _done_already(now: Versions, after: Versions, config: dict) -> bool:
    if config.get("golden-path"):
        return now.golden_path.version >= after.golden_path.version
    # Moved to another pipeline since the roll-out was opened: nothing of this one to apply.
    return (
        now.pipeline.slug != after.pipeline.slug or now.pipeline.version >= after.pipeline.version
    )


def apply_update(config: dict) -> EnsureResult:
    """Apply one service's update (see the module docstring); idempotent."""
    host = get_host()
    connected, status = host.connection_status()
    if not connected:
        raise NotConnectedError(status)
    origin = _load_origin(config.get("service", ""))
    name, where = origin.name, host.location(origin.name)
    if not host.exists(name):
        raise PermanentError(
            f"repository {name} does not exist on the git host: retry its creation request first"
        )
    head = host.head(name, DEFAULT_BRANCH)
    ours = host.read_files(name, DEFAULT_BRANCH, at=head)
    now = recorded_versions(origin, ours.get(ANSWERS_FILE))
    after, what, branch = _target(origin, now, config)
    if _done_already(now, after, config):
        _record(origin, now)
        return EnsureResult(
            "unchanged", f"{where}@{DEFAULT_BRANCH}", f"{name} is already on {now.label()}"
        )
    merged = _merge(origin, now, after, ours, config)
    if merged.conflicts:
        return _to_branch(host, origin, branch, merged, what)
    # Only onto the commit the merge was computed from: a push meanwhile makes the step
    # retry from the start instead of being overwritten by the merged files.
    message = _message(origin, what, merged)
    commit, changed = host.commit_files(
        name, DEFAULT_BRANCH, merged.files, message, prune=True, expected_head=head
    )
    _record(origin, after)
    notes = "".join(f"; {n}" for n in merged.notes)
    return EnsureResult(
        "updated" if changed else "unchanged",
        f"{where}@{commit[:12]}",
        f"{name} now on {what} at {commit[:12]}{notes}",
        {"commit": commit, "path": where},
    )


def _merge(origin, now: Versions, after: Versions, ours: dict, config: dict) -> MergeResult:
    base, theirs = render_at(origin, now), render_at(origin, after)
    only = None
    if not config.get("golden-path"):
        only = {now.pipeline.path, after.pipeline.path}
    labels = (f"{origin.name} ({DEFAULT_BRANCH})", now.label(), after.label())
    merged = merge_repository(base, theirs, ours, labels, only)
    merged.files[ANSWERS_FILE] = theirs[ANSWERS_FILE]  # the record of what main is on now
    return merged


def _message(origin: ServiceOrigin, what: str, merged: MergeResult) -> str:
    body = "\n".join(f"- {n}" for n in merged.notes)
    return f"Update {origin.name} to {what}" + (f"\n\n{body}" if body else "")


@transaction.atomic
def _record(origin: ServiceOrigin, at: Versions) -> None:
    """The service is on these versions now (its catalog entry's annotation says so too)."""
    ServiceOrigin.objects.filter(pk=origin.pk).update(
        golden_path=at.golden_path, pipeline=at.pipeline, upgrade_conflict=""
    )
    if component := origin.component:
        ref = f"{at.golden_path.slug}@{at.golden_path.version}"
        catalog.annotate_component(component, {ANNOTATION_GOLDEN_PATH: ref})


def _to_branch(host, origin, branch: str, merged: MergeResult, what: str) -> EnsureResult:
    """Commit a merge with conflicts to `branch`, started from main; main is not touched."""
    created = host.start_branch(origin.name, branch, DEFAULT_BRANCH)
    message = f"Update {origin.name} to {what}: conflicts to resolve by hand"
    commit, changed = host.commit_files(origin.name, branch, merged.files, message, prune=True)
    note = (
        f"conflict in {', '.join(merged.conflicts)}: merge branch {branch} by hand (main is "
        "unchanged), then press Upgrade again to record it"
    )
    ServiceOrigin.objects.filter(pk=origin.pk).update(upgrade_conflict=note[:500])
    return EnsureResult(
        "created" if created or changed else "unchanged",
        f"{host.location(origin.name)}@{branch}",
        note,
        {"commit": commit, "branch": branch, "conflicts": merged.conflicts},
    )
