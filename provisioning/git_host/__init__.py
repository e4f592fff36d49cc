"""The git host: where the portal's repositories live, named by repository name.

`get_host()` returns the implementation `settings.GIT_HOST` names: "local" (bare repositories
under settings.GIT_DIR, local.py), "github" (github.py: a local mirror bare repository per
remote one, fetched before reading and pushed with a lease after committing) or "gitlab"
(designed for, not built). A host that cannot be loaded is an `UnavailableHost` whose every
call says "not connected: …". Git itself runs only in plumbing.py, on a repository's path.
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.utils.module_loading import import_string

from provisioning.drivers.base import NotConnectedError
from provisioning.git_host.plumbing import Derive

# The manifests and Argo CD applications of every service (settings.GITOPS_REPOSITORY_NAME).
GITOPS_REPOSITORY: str = settings.GITOPS_REPOSITORY_NAME
DEFAULT_BRANCH = "main"  # the branch the portal reads, commits to and Argo CD follows

HOSTS = {
    "local": "provisioning.git_host.local.LocalGitHost",
    "github": "provisioning.git_host.github.GitHubHost",
}

__all__ = ["DEFAULT_BRANCH", "GITOPS_REPOSITORY", "Derive", "GitHost", "get_host"]


class GitHost(ABC):
    """Repositories by name on one git host; every branch defaults to DEFAULT_BRANCH."""

    @abstractmethod
    def connection_status(self) -> tuple[bool, str]:
        """(connected, a sentence for the status page: where, or "not connected: …")."""

    @abstractmethod
    def ensure_repository(
        self, name: str, *, description: str = "", topics: Sequence[str] = (), private: bool = True
    ) -> bool:
        """Create repository `name` unless it exists; whether it was created."""

    @abstractmethod
    def exists(self, name: str) -> bool:
        """Whether repository `name` exists on the host."""

    @abstractmethod
    def head(self, name: str, branch: str = DEFAULT_BRANCH) -> str | None:
        """The commit `branch` points at; None while the repository or branch does not exist."""

    @abstractmethod
    def read_files(
        self,
        name: str,
        branch: str = DEFAULT_BRANCH,
        folder: str = "",
        errors: str = "strict",
        at: str | None = None,
    ) -> dict[str, str]:
        """{path relative to `folder`: text} at the branch head (or at commit `at`)."""

    @abstractmethod
    def file_at(self, name: str, commit: str | None, path: str) -> str | None:
        """The text of `path` at `commit`; None when either does not exist."""

    @abstractmethod
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
        """(head commit, whether a commit was made); a compare-and-swap on the branch:
        TransientError when it moved, or is no longer at `expected_head`."""

    @abstractmethod
    def start_branch(self, name: str, branch: str, source: str = DEFAULT_BRANCH) -> bool:
        """Create `branch` at `source`'s head unless it exists; whether it was created."""

    @abstractmethod
    def commit_time(self, name: str, rev: str) -> datetime | None:
        """When `rev` was committed in `name`; None when unknown."""

    @abstractmethod
    def list_files(
        self, name: str, branch: str = DEFAULT_BRANCH, prefixes: Sequence[str] = ("",)
    ) -> dict[str, str]:
        """{path: blob id} under these path prefixes at the branch head, no content read;
        {} while the repository or branch does not exist."""

    @abstractmethod
    def clone_url(self, name: str) -> str:
        """What Argo CD and the catalog's source links point at."""

    @abstractmethod
    def location(self, name: str) -> str:
        """Where the repository is, for outcomes and logs (a path or a web address)."""


class UnavailableHost(GitHost):
    """A git host that is configured but cannot be used here; every call says why."""

    def __init__(self, status: str) -> None:
        self.status = status

    def connection_status(self) -> tuple[bool, str]:
        return False, self.status

    def _refuse(self, *args, **kwargs):
        raise NotConnectedError(self.status)

    ensure_repository = exists = head = read_files = file_at = commit_files = _refuse
    start_branch = commit_time = list_files = _refuse

    def clone_url(self, name: str) -> str:
        return ""  # plans can still be shown; committing them says "not connected"

    def location(self, name: str) -> str:
        return name


def get_host() -> GitHost:
    """The git host `settings.GIT_HOST` names, read at call time (tests override it)."""
    kind = settings.GIT_HOST
    path = HOSTS.get(kind)
    if path is None:
        return UnavailableHost(f"not connected: the {kind} API driver is not available yet")
    try:
        host_class = import_string(path)
    except ImportError:
        return UnavailableHost(f"not connected: the {kind} API driver is not available yet")
    return host_class()
