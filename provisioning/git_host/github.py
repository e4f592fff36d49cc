"""GitHub as the git host (GIT_HOST=github): repositories in GITHUB_ORG, read and written
through a local mirror of each (github_mirror.py), created and configured through the REST API
(github_api.py).

Reads fetch the branch first, so they see what GitHub has; writes fetch, commit with the
plumbing and push with a lease (a commit pushed by someone else meanwhile is never lost: the
push fails and the engine retries). Git pushes to the `clone_url` the API returned for the
repository. The GitOps repository (GITOPS_REPOSITORY_NAME) is created on first use.
"""

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings

from provisioning.drivers.base import PermanentError, TransientError
from provisioning.git_host import DEFAULT_BRANCH, GITOPS_REPOSITORY, Derive, GitHost, plumbing
from provisioning.git_host import github_mirror as mirrors
from provisioning.git_host.github_api import GitHubClient
from provisioning.git_host.github_settings import apply_settings

NOT_CONNECTED = "not connected: set GITHUB_ORG and GITHUB_TOKEN (or the GITHUB_APP_* settings)"
TAKEN = "name already exists"


def web_url(api_url: str) -> str:
    """GitHub's web address for an API address: github.com for api.github.com, the server for
    GitHub Enterprise Server's `https://host/api/v3`, the address itself otherwise."""
    parts = urlsplit(api_url.rstrip("/"))
    if parts.netloc == "api.github.com":
        return "https://github.com"
    return f"{parts.scheme}://{parts.netloc}{parts.path.removesuffix('/api/v3')}"


class GitHubHost(GitHost):
    """Repositories of GITHUB_ORG; one instance per use (get_host() makes a new one)."""

    def __init__(self) -> None:
        self._client: GitHubClient | None = None
        self._repos: dict[str, dict] = {}  # the API's answer per repository, for this instance

    @property
    def client(self) -> GitHubClient:
        if self._client is None:
            self._client = GitHubClient.from_settings()
        return self._client

    def connection_status(self) -> tuple[bool, str]:
        if not settings.GITHUB_ORG or not (settings.GITHUB_TOKEN or settings.GITHUB_APP_ID):
            return False, NOT_CONNECTED
        how = "a GitHub App" if settings.GITHUB_APP_ID else "a token"
        return True, f"GitHub organisation {settings.GITHUB_ORG} ({web_url(_api())}), as {how}"

    # --- repositories ------------------------------------------------------------------------

    def _repo(self, name: str) -> dict | None:
        if name not in self._repos:
            answer = self.client.get_repo(name)
            if answer is None:
                return None
            self._repos[name] = answer
        return self._repos[name]

    def _existing(self, name: str) -> dict:
        repo = self._repo(name)
        if repo is None and name == GITOPS_REPOSITORY:
            self.ensure_repository(name, description="GitOps: manifests of the portal's services")
            repo = self._repo(name)
        if repo is None:
            raise PermanentError(
                f"{settings.GITHUB_ORG}/{name} does not exist on GitHub: it was deleted or "
                "renamed outside the portal; retry the request that creates it"
            )
        return repo

    def ensure_repository(
        self, name: str, *, description: str = "", topics: Sequence[str] = (), private: bool = True
    ) -> bool:
        if self._repo(name) is not None:
            return False
        visibility = "private" if private else "public"
        try:
            answer = self.client.create_repo(name, description or f"{name}", visibility)
        except PermanentError as exc:
            # Made meanwhile (another worker, a person): the caller decides if it may use it.
            taken = any(TAKEN in str(e) for e in getattr(exc, "errors", []))
            if taken and self._repo(name) is not None:
                return False
            raise
        self._repos[name] = answer
        if topics:
            self.client.replace_topics(name, list(topics))
        return True

    def exists(self, name: str) -> bool:
        return self._repo(name) is not None

    def clone_url(self, name: str) -> str:
        """What Argo CD and the catalog's source links use; planned before the repository exists,
        so built the way GitHub builds it. Pushes use the API's own `clone_url`."""
        return f"{web_url(_api())}/{settings.GITHUB_ORG}/{name}.git"

    def location(self, name: str) -> str:
        return f"{web_url(_api())}/{settings.GITHUB_ORG}/{name}"

    # --- reading -----------------------------------------------------------------------------

    def _fetched(self, name: str, branch: str) -> tuple[object, str | None]:
        """(the mirror's path, the branch's commit) after fetching it; (None, None) while the
        repository does not exist."""
        repo = self._repo(name)
        if repo is None:
            return None, None
        mirror = mirrors.ensure_mirror(settings.GITHUB_ORG, name)
        with mirrors.sync_lock(mirror):
            return mirror, mirrors.fetch(self.client, mirror, repo["clone_url"], branch)

    def head(self, name: str, branch: str = DEFAULT_BRANCH) -> str | None:
        return self._fetched(name, branch)[1]

    def read_files(
        self,
        name: str,
        branch: str = DEFAULT_BRANCH,
        folder: str = "",
        errors: str = "strict",
        at: str | None = None,
    ) -> dict[str, str]:
        mirror, head = self._fetched(name, branch)
        if mirror is None or (head is None and at is None):
            return {}
        return plumbing.read_files(mirror, branch, folder, errors, at)

    def file_at(self, name: str, commit: str | None, path: str) -> str | None:
        if commit is None:
            return None
        mirror = mirrors.mirror_path(settings.GITHUB_ORG, name)
        text = plumbing.file_at(mirror, commit, path) if plumbing.is_repository(mirror) else None
        if text is None:  # a commit the mirror has not fetched yet
            mirror, _ = self._fetched(name, DEFAULT_BRANCH)
            text = plumbing.file_at(mirror, commit, path) if mirror else None
        return text

    def commit_time(self, name: str, rev: str) -> datetime | None:
        mirror, _ = self._fetched(name, DEFAULT_BRANCH)
        return plumbing.commit_time(mirror, rev) if mirror else None

    def list_files(
        self, name: str, branch: str = DEFAULT_BRANCH, prefixes: Sequence[str] = ("",)
    ) -> dict[str, str]:
        mirror, head = self._fetched(name, branch)
        if mirror is None or head is None:
            return {}
        return plumbing.list_blobs(mirror, branch, [p for p in prefixes if p])

    # --- writing -----------------------------------------------------------------------------

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
        url = self._existing(name)["clone_url"]
        mirror = mirrors.ensure_mirror(settings.GITHUB_ORG, name)
        with mirrors.sync_lock(mirror):
            old = mirrors.fetch(self.client, mirror, url, branch)
            if expected_head is not None and old != expected_head:
                raise TransientError(
                    f"{name}@{branch} has new commits on GitHub since it was read; trying again"
                )
            commit, changed = plumbing.commit_files(
                mirror, branch, files, message, folder, prune, derive, expected_head
            )
            if changed:
                mirrors.push(self.client, mirror, url, branch, commit, old)
        return commit, changed

    def start_branch(self, name: str, branch: str, source: str = DEFAULT_BRANCH) -> bool:
        url = self._existing(name)["clone_url"]
        mirror = mirrors.ensure_mirror(settings.GITHUB_ORG, name)
        with mirrors.sync_lock(mirror):
            if mirrors.fetch(self.client, mirror, url, branch) is not None:
                return False
            start = mirrors.fetch(self.client, mirror, url, source)
            if start is None:
                raise PermanentError(f"{name} has no branch {source} to start {branch} from")
            mirrors.push(self.client, mirror, url, branch, start, None)
        return True

    # --- reviews ------------------------------------------------------------------------------

    def requires_review(self, name: str, branch: str = DEFAULT_BRANCH) -> bool:
        """Whether `branch` is protected, so the portal's changes go through a pull request."""
        self._existing(name)
        return self.client.is_protected(name, branch)

    def propose(self, name: str, branch: str, title: str, body: str) -> str:
        """Open (or find) the pull request of `branch` into the default branch; its address."""
        self._existing(name)
        pull = self.client.open_pull_request(name, branch, DEFAULT_BRANCH, title, body)
        return pull["html_url"]

    # --- GitHub's own settings ---------------------------------------------------------------

    def apply_settings(self, name: str, config: dict) -> list[str]:
        """Topics, branch protection, team, Actions variables and secrets (github_settings)."""
        self._existing(name)
        org = settings.GITHUB_ORG
        # {"repository": "gitops"} names the GitOps repository, whatever it is called here.
        values = {
            key: f"{org}/{_repository(spec['repository'])}"
            for key, spec in (config.get("variables") or {}).items()
            if "repository" in spec
        }
        secrets, missing = {}, []
        for secret, setting in (config.get("secrets") or {}).items():
            value = getattr(settings, setting, "")
            if value:
                secrets[secret] = value
            else:
                missing.append(
                    f"secret {secret} not set: set {setting} and retry, or add it in the "
                    "repository's settings"
                )
        return apply_settings(self.client, name, config, values, secrets) + missing


def _repository(planned: str) -> str:
    return GITOPS_REPOSITORY if planned == "gitops" else planned


def _api() -> str:
    return settings.GITHUB_API_URL
