"""Git host driver: repositories and GitOps files, committed with git's plumbing commands.

Locally (GIT_HOST=local, the default) repositories are bare repositories under the data
folder: `<data>/git/<name>.git`. A commit is built without a work tree (hash-object, a private
index, write-tree, commit-tree) and published with `update-ref NEW OLD`, a compare-and-swap:
two writers to the same branch never lose each other's commits; the loser retries.

Kinds and config:
- "repository": name = repository name; config {"files": {path: text}, "message": str,
  "branch": "main"}. Creates the repository if absent and commits the files that differ.
- "gitops-files": name = "<repo>:<folder>"; config {"files": {path relative to folder: text},
  "message": str, "branch": "main", "prune": bool}. Writes the folder's files in one commit;
  with prune, files in the folder that are not listed are removed.
`ensure` is idempotent: identical content makes no commit and returns "unchanged".
"""

import os
import subprocess
import tempfile
from pathlib import Path, PurePosixPath

from django.conf import settings

from provisioning.drivers.base import (
    EnsureResult,
    NotConnectedError,
    PermanentError,
    PlannedResource,
    ResourceDriver,
    ResourceMissing,
    TransientError,
)

AUTHOR = {
    "GIT_AUTHOR_NAME": "Platform portal",
    "GIT_AUTHOR_EMAIL": "portal@localhost",
    "GIT_COMMITTER_NAME": "Platform portal",
    "GIT_COMMITTER_EMAIL": "portal@localhost",
}


def repo_path(name: str) -> Path:
    if not name or "/" in name or name.startswith(".") or ".." in name:
        raise PermanentError(f"'{name}' is not a valid repository name")
    return Path(settings.GIT_DIR) / f"{name}.git"


def _git(
    repo: Path, *args: str, stdin: str | None = None, env: dict | None = None, strip: bool = True
) -> str:
    result = subprocess.run(
        ["git", f"--git-dir={repo}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **AUTHOR, **(env or {})},
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise PermanentError(f"git {args[0]} failed in {repo.name}: {result.stderr.strip()[:300]}")
    return result.stdout.strip() if strip else result.stdout


def _head(repo: Path, branch: str) -> str | None:
    result = subprocess.run(
        ["git", f"--git-dir={repo}", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or None


def read_files(repo: Path, branch: str, folder: str = "") -> dict[str, str]:
    """Every file under `folder` at the branch head, as {path relative to folder: text}."""
    head = _head(repo, branch)
    if head is None:
        return {}
    prefix = f"{folder.rstrip('/')}/" if folder else ""
    listing = _git(repo, "ls-tree", "-r", "--name-only", head, *([prefix] if prefix else []))
    return {
        path[len(prefix) :]: _git(repo, "show", f"{head}:{path}", strip=False)
        for path in listing.splitlines()
        if path
    }


def _safe_path(path: str) -> str:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise PermanentError(f"'{path}' is not a safe file path inside a repository")
    return str(pure)


def commit_files(
    repo: Path,
    branch: str,
    files: dict[str, str],
    message: str,
    folder: str = "",
    prune: bool = False,
) -> tuple[str, bool]:
    """Commit `files` under `folder`; returns (head commit, whether a commit was made)."""
    head = _head(repo, branch)
    prefix = f"{folder.strip('/')}/" if folder else ""
    wanted = {prefix + _safe_path(p): text for p, text in files.items()}
    current = {prefix + p: t for p, t in read_files(repo, branch, folder).items()} if head else {}
    removed = set(current) - set(wanted) if prune else set()
    if head and not removed and all(current.get(p) == t for p, t in wanted.items()):
        return head, False
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if head:
            _git(repo, "read-tree", head, env=env)
        if removed:
            # Mode 0 removes an entry; --index-info works without a work tree, unlike --remove.
            zero = "0" * 40
            lines = "".join(f"0 {zero}\t{path}\n" for path in sorted(removed))
            _git(repo, "update-index", "--index-info", stdin=lines, env=env)
        for path, text in wanted.items():
            blob = _git(repo, "hash-object", "-w", "--stdin", stdin=text)
            _git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
        tree = _git(repo, "write-tree", env=env)
    commit = _git(repo, "commit-tree", tree, *(["-p", head] if head else []), "-m", message)
    swap = subprocess.run(
        ["git", f"--git-dir={repo}", "update-ref", f"refs/heads/{branch}", commit, head or ""],
        capture_output=True,
        text=True,
        check=False,
    )
    if swap.returncode != 0:
        raise TransientError(f"{repo.name}@{branch} moved while committing; trying again")
    return commit, True


def ensure_repository(name: str) -> tuple[Path, bool]:
    repo = repo_path(name)
    if (repo / "HEAD").exists():
        return repo, False
    repo.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["git", "init", "--bare", "--quiet", "--initial-branch=main", str(repo)],
        check=True,
        capture_output=True,
    )
    return repo, True


class GitDriver(ResourceDriver):
    provider = "git"
    kinds = frozenset({"repository", "gitops-files"})

    @classmethod
    def connection_status(cls) -> tuple[bool, str]:
        if settings.GIT_HOST == "local":
            return True, f"local git repositories in {settings.GIT_DIR}"
        return False, f"not connected: the {settings.GIT_HOST} API driver is not available yet"

    def _check_connected(self) -> None:
        connected, status = self.connection_status()
        if not connected:
            raise NotConnectedError(status)

    def _target(self, resource: PlannedResource) -> tuple[str, str]:
        if resource.kind == "repository":
            return resource.name, ""
        repo, _, folder = resource.name.partition(":")
        return repo, folder

    def ensure(self, resource: PlannedResource, secrets: dict | None = None) -> EnsureResult:
        self._check_connected()
        repo_name, folder = self._target(resource)
        repo, created = ensure_repository(repo_name)
        config = resource.config
        commit, changed = commit_files(
            repo,
            config.get("branch", "main"),
            config.get("files", {}),
            config.get("message", f"portal: update {resource.name}"),
            folder,
            bool(config.get("prune")),
        )
        outcome = "created" if created else ("updated" if changed else "unchanged")
        where = f"{repo_name}.git" + (f" {folder}/" if folder else "")
        return EnsureResult(
            outcome,
            f"{repo}@{commit[:12]}",
            f"{outcome} {where} at {commit[:12]}",
            {"commit": commit, "path": str(repo)},
        )

    def check_drift(self, resource: PlannedResource) -> list[str]:
        self._check_connected()
        repo_name, folder = self._target(resource)
        repo = repo_path(repo_name)
        if not (repo / "HEAD").exists():
            raise ResourceMissing(f"repository {repo_name} no longer exists")
        present = read_files(repo, resource.config.get("branch", "main"), folder)
        return [
            f"{path} was {'removed' if path not in present else 'changed'} outside the portal"
            for path, text in resource.config.get("files", {}).items()
            if present.get(_safe_path(path)) != text
        ]

    def decommission(self, resource: PlannedResource) -> EnsureResult:
        self._check_connected()
        repo_name, folder = self._target(resource)
        repo = repo_path(repo_name)
        if resource.kind == "repository" or not (repo / "HEAD").exists():
            # Repositories are archived by people, never deleted by the portal.
            return EnsureResult(
                "unchanged", str(repo), f"kept repository {repo_name}: archive it by hand"
            )
        branch = resource.config.get("branch", "main")
        commit, _ = commit_files(repo, branch, {}, f"portal: remove {folder}", folder, prune=True)
        return EnsureResult(
            "deleted", f"{repo}@{commit[:12]}", f"removed {folder}/ from {repo_name}"
        )
