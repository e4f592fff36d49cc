"""The local git host: bare repositories under settings.GIT_DIR, `<GIT_DIR>/<name>.git`."""

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from django.conf import settings

from provisioning.drivers.base import PermanentError
from provisioning.git_host import DEFAULT_BRANCH, Derive, GitHost, plumbing


def repo_path(name: str) -> Path:
    """The bare repository of `name`; PermanentError for a name that could escape GIT_DIR."""
    if not name or "/" in name or name.startswith(".") or ".." in name:
        raise PermanentError(f"'{name}' is not a valid repository name")
    return Path(settings.GIT_DIR) / f"{name}.git"


def ensure_repository(name: str) -> tuple[Path, bool]:
    """The bare repository of `name`, created if absent; (its path, whether it was created)."""
    repo = repo_path(name)
    return repo, plumbing.init_bare(repo, DEFAULT_BRANCH)


class LocalGitHost(GitHost):
    def connection_status(self) -> tuple[bool, str]:
        return True, f"local git repositories in {settings.GIT_DIR}"

    def ensure_repository(
        self, name: str, *, description: str = "", topics: Sequence[str] = (), private: bool = True
    ) -> bool:
        # A bare repository has nowhere to keep a description, topics or visibility.
        return ensure_repository(name)[1]

    def exists(self, name: str) -> bool:
        return plumbing.is_repository(repo_path(name))

    def head(self, name: str, branch: str = DEFAULT_BRANCH) -> str | None:
        return plumbing.head(repo_path(name), branch)

    def read_files(
        self,
        name: str,
        branch: str = DEFAULT_BRANCH,
        folder: str = "",
        errors: str = "strict",
        at: str | None = None,
    ) -> dict[str, str]:
        return plumbing.read_files(repo_path(name), branch, folder, errors, at)

    def file_at(self, name: str, commit: str | None, path: str) -> str | None:
        return plumbing.file_at(repo_path(name), commit, path)

    def commit_files(
        self,
        name: str,
        branch: str,
        files: dict[str, str],
        message: str,
        folder: str = "",
        prune: bool = False,
        derive: Derive | None = None,
        expected_head: str | None = None,
    ) -> tuple[str, bool]:
        return plumbing.commit_files(
            repo_path(name), branch, files, message, folder, prune, derive, expected_head
        )

    def start_branch(self, name: str, branch: str, source: str = DEFAULT_BRANCH) -> bool:
        return plumbing.start_branch(repo_path(name), branch, source)

    def commit_time(self, name: str, rev: str) -> datetime | None:
        return plumbing.commit_time(repo_path(name), rev)

    def list_files(
        self, name: str, branch: str = DEFAULT_BRANCH, prefixes: Sequence[str] = ("",)
    ) -> dict[str, str]:
        repo = repo_path(name)
        if not plumbing.is_repository(repo) or plumbing.head(repo, branch) is None:
            return {}
        return plumbing.list_blobs(repo, branch, [p for p in prefixes if p])

    def clone_url(self, name: str) -> str:
        return f"file://{str(settings.GIT_DIR).rstrip('/')}/{name}.git"

    def location(self, name: str) -> str:
        return str(repo_path(name))
