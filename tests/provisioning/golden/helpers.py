"""Small builders for golden-path tests."""

from provisioning.golden_paths.planning import GoldenPathSpec, NewService, PipelineSpec
from provisioning.planning import EnvironmentSpec

ENVIRONMENTS = (
    EnvironmentSpec("dev", "eu-west-1"),
    EnvironmentSpec("staging", "eu-west-1"),
    EnvironmentSpec("prod", "eu-west-1"),
)
WORKFLOW = """name: CI
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: echo {{ name }}
"""
PIPELINE = PipelineSpec("ci", 1, "CI", ".github/workflows/ci.yaml", WORKFLOW, "ghcr.io/acme")


def make_spec(files=None, **fields) -> GoldenPathSpec:
    values = {
        "slug": "tiny",
        "version": 1,
        "name": "Tiny",
        "language": "python",
        "framework": "",
        "files": {"README.md": "# {{ name }}\n"} if files is None else files,
        "pipeline": PIPELINE,
        "deployment_defaults": {"prod": {"replicas": 3}},
        "observability_defaults": {},
    }
    return GoldenPathSpec(**{**values, **fields})


def make_service(spec=None, **fields) -> NewService:
    values = {
        "name": "checkout",
        "team": "payments",
        "description": "Takes payments",
        "values": {"port": 8080},
        "golden_path": spec or make_spec(),
        "environments": ENVIRONMENTS,
        "deploy_to": "staging",
        "repository_url": "file:///srv/git/checkout.git",
        "gitops_url": "file:///srv/git/gitops.git",
    }
    return NewService(**{**values, **fields})
