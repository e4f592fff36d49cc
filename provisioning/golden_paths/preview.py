"""Render a golden path with sample values, as the admin's "preview render" shows it (pure)."""

from dataclasses import dataclass, field

from provisioning.golden_paths.parameters import spec_problems
from provisioning.golden_paths.planning import (
    GoldenPathSpec,
    NewService,
    gitops_files,
    render_repository,
    schema_problems,
)
from provisioning.golden_paths.rendering import RenderError
from provisioning.planning import EnvironmentSpec

SAMPLE_NAME = "sample-service"
SAMPLE_TEAM = "sample-team"


@dataclass(frozen=True)
class Preview:
    files: dict[str, str] = field(default_factory=dict)
    gitops_files: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def sample_values(parameters: list[dict]) -> dict:
    """Each parameter's default, or a plausible value of its type."""
    fallback = {"integer": 8080, "boolean": False, "string": "sample", "text": "sample"}
    values = {}
    for spec in parameters:
        if spec.get("default") is not None:
            values[spec["name"]] = spec["default"]
        elif spec.get("type") == "choice" and spec.get("choices"):
            values[spec["name"]] = spec["choices"][0][0]
        else:
            values[spec["name"]] = fallback.get(spec.get("type", "string"), "sample")
    return values


def sample_service(
    gp: GoldenPathSpec, parameters: list[dict], environments: list[EnvironmentSpec]
) -> NewService:
    envs = tuple(environments) or (EnvironmentSpec("staging", "eu-west-1"),)
    deploy_to = "staging" if any(e.name == "staging" for e in envs) else envs[0].name
    return NewService(
        name=SAMPLE_NAME,
        team=SAMPLE_TEAM,
        description="A sample service, to preview the golden path",
        values=sample_values(parameters),
        golden_path=gp,
        environments=envs,
        deploy_to=deploy_to,
        repository_url=f"file:///srv/git/{SAMPLE_NAME}.git",
        gitops_url="file:///srv/git/gitops.git",
    )


def preview(gp: GoldenPathSpec, parameters: list, environments: list[EnvironmentSpec]) -> Preview:
    """Everything the golden path makes for a sample service, or every problem it has."""
    if problems := spec_problems(parameters):
        return Preview(problems=[f"parameters: {p}" for p in problems])
    svc = sample_service(gp, parameters, environments)
    try:
        files = render_repository(svc)
    except RenderError as exc:
        return Preview(problems=[str(p) for p in exc.problems])
    if problems := schema_problems(svc, files):
        return Preview(files, problems=problems)
    return Preview(files, gitops_files(svc, {svc.deploy_to: "sample"}))
