"""Builders for Day-2 update tests: live services, new versions, commits made by a team."""

import subprocess

from provisioning import engine
from provisioning.choices import RequestState
from provisioning.git_host.local import repo_path
from provisioning.git_host.plumbing import commit_files, read_files
from provisioning.golden_paths import services
from provisioning.models import Environment, ServiceOrigin


def make_live(personas, gp, name: str) -> ServiceOrigin:
    """A service created from `gp` through the real engine: repository, catalog entry."""
    staging = Environment.objects.get(name="staging")
    request = services.submit_new_service(
        personas.teammate, gp, name, personas.team, "Takes card payments",
        {"port": 8080, "python_version": "3.12"}, staging,
    )  # fmt: skip
    assert engine.apply(request.pk, "w-create").state == RequestState.SUCCEEDED
    return ServiceOrigin.objects.get(name=name)


def new_golden_path_version(gp, edits: dict[str, str | None], **fields):
    """The next version of `gp` with some skeleton files replaced (None: removed)."""
    files = {f.path: f.content for f in gp.files.all()} | edits
    kept = [{"path": p, "content": c} for p, c in files.items() if c is not None]
    return services.save_new_golden_path_version(gp, fields, kept)


def commits(name: str, branch: str = "main") -> list[str]:
    out = subprocess.run(
        ["git", f"--git-dir={repo_path(name)}", "log", "--format=%H", branch],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return out.stdout.split()


def files_of(name: str, branch: str = "main") -> dict[str, str]:
    return read_files(repo_path(name), branch)


def team_edits(name: str, edits: dict[str, str]) -> None:
    """The service's team commits its own changes to main."""
    commit_files(repo_path(name), "main", edits, "team change")
