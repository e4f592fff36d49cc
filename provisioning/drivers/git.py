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
  with prune, files in the folder that are not listed are removed. With
  "list_in_kustomization": "<path of a kustomization.yaml in the repository>", the folder is a
  kustomize Component: the same commit adds it to that file's `components:` when the file
  exists and does not list it yet (read at the commit's parent, so nothing else is lost);
  without the file, the outcome says who must list it. With "patches_container": {"path":
  a Deployment manifest, "name": container}, it is listed only if that Deployment has a
  container of that name (the Component's patch merges into it by name); otherwise nothing
  is committed and the step fails saying what to rename.
`ensure` is idempotent: identical content makes no commit and returns "unchanged".
"""

import fcntl
import os
import posixpath
import re
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path, PurePosixPath

import yaml
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

# A revision git may be asked about: letters, digits, '.', '_' and '-', not starting with '-'.
REV = re.compile(r"[0-9A-Za-z_.][0-9A-Za-z_.-]{0,127}")
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


def branch_head(repo: Path, branch: str) -> str | None:
    """The commit `branch` points at; None while the repository or the branch does not exist.
    Read it before `read_files(..., at=head)` and pass it to `commit_files(expected_head=…)`
    to commit what was computed from those files only if nobody committed meanwhile."""
    return _head(repo, branch)


def _head(repo: Path, branch: str) -> str | None:
    result = subprocess.run(
        ["git", f"--git-dir={repo}", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or None


def commit_time(repo: Path, rev: str) -> datetime | None:
    """When `rev` (a commit id, full or abbreviated, or a tag) was committed in `repo`; None when
    the repository does not exist or `rev` is not one of its commits (an image tag that names
    no commit, such as "v1.2" built elsewhere, leaves the commit time unknown)."""
    if not rev or not repo.exists() or not REV.fullmatch(rev):
        return None
    result = subprocess.run(
        ["git", f"--git-dir={repo}", "show", "-s", "--format=%cI", f"{rev}^{{commit}}", "--"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if result.returncode != 0 or not result.stdout.strip():
        return None
    return datetime.fromisoformat(result.stdout.strip())


def read_files(
    repo: Path, branch: str, folder: str = "", errors: str = "strict", at: str | None = None
) -> dict[str, str]:
    """Every file under `folder` at the branch head, as {path relative to folder: text}.
    Two git processes whatever the number of files: `ls-tree` and one `cat-file --batch`.
    {} while the repository or the branch does not exist. A file that is not UTF-8 raises
    UnicodeDecodeError, unless `errors="replace"` (readers that never write the text back).
    `at`: read that commit instead of the head (see `branch_head`)."""
    head = at or _head(repo, branch)
    if head is None:
        return {}
    prefix = f"{folder.rstrip('/')}/" if folder else ""
    listing = _git(repo, "ls-tree", "-r", "-z", head, *([prefix] if prefix else []), strip=False)
    entries = []
    for entry in filter(None, listing.split("\0")):
        meta, _, path = entry.partition("\t")
        _mode, kind, sha = meta.split()
        if kind == "blob":
            entries.append((path, sha))
    texts = _blobs(repo, [sha for _, sha in entries], errors)
    return {path[len(prefix) :]: text for (path, _), text in zip(entries, texts, strict=True)}


def _blobs(repo: Path, shas: list[str], errors: str = "strict") -> list[str]:
    """The texts of these blobs, in order, read by one `git cat-file --batch`."""
    if not shas:
        return []
    result = subprocess.run(
        ["git", f"--git-dir={repo}", "cat-file", "--batch"],
        input="".join(f"{sha}\n" for sha in shas).encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise PermanentError(f"git cat-file failed in {repo.name}: {result.stderr[:300]!r}")
    out, pos, texts = result.stdout, 0, []
    for _ in shas:
        end = out.index(b"\n", pos)
        _sha, _kind, size = out[pos:end].split()
        start = end + 1
        texts.append(out[start : start + int(size)].decode(errors=errors))
        pos = start + int(size) + 1  # the content is followed by a newline
    return texts


def file_at(repo: Path, commit: str | None, path: str) -> str | None:
    """The text of `path` at `commit`; None when the commit or the file does not exist."""
    if commit is None:
        return None
    result = subprocess.run(
        ["git", f"--git-dir={repo}", "cat-file", "blob", f"{commit}:{path}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout if result.returncode == 0 else None


# Given a reader of the parent commit's files, the further files {repository path: text} the
# same commit writes: a read-modify-write that the compare-and-swap keeps consistent.
Derive = Callable[[Callable[[str], str | None]], dict[str, str]]


def _safe_path(path: str) -> str:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise PermanentError(f"'{path}' is not a safe file path inside a repository")
    return str(pure)


CAS_ATTEMPTS = 3  # a branch moved by a writer outside the portal: re-read and build again


@contextmanager
def _commit_lock(repo: Path):
    """One portal writer at a time per repository on this host. Without it, workers committing
    to the shared GitOps repository lose the compare-and-swap to each other and each loss costs
    the engine's backoff (the golden-path benchmark measured 30 retries, 131 s, for 20 services
    at once). The compare-and-swap still guards against writers outside the portal."""
    with open(repo / "portal-commit.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def commit_files(
    repo: Path,
    branch: str,
    files: dict[str, str],
    message: str,
    folder: str = "",
    prune: bool = False,
    derive: Derive | None = None,
    expected_head: str | None = None,
) -> tuple[str, bool]:
    """Commit `files` under `folder`, and what `derive` makes of the head's files; returns
    (head commit, whether a commit was made). TransientError when the branch kept moving, or
    is no longer at `expected_head` (the files were computed from an older state)."""
    with _commit_lock(repo):
        for _ in range(CAS_ATTEMPTS):
            if expected_head is not None and _head(repo, branch) != expected_head:
                raise TransientError(
                    f"{repo.name}@{branch} has new commits since it was read; trying again"
                )
            done = _commit_once(repo, branch, files, message, folder, prune, derive)
            if done is not None:
                return done
    raise TransientError(f"{repo.name}@{branch} moved while committing; trying again")


def _commit_once(
    repo: Path,
    branch: str,
    files: dict[str, str],
    message: str,
    folder: str,
    prune: bool,
    derive: Derive | None,
) -> tuple[str, bool] | None:
    """One read-build-swap; None when the branch moved under it."""
    head = _head(repo, branch)
    prefix = f"{folder.strip('/')}/" if folder else ""
    wanted = {prefix + _safe_path(p): text for p, text in files.items()}
    current = {prefix + p: t for p, t in read_files(repo, branch, folder).items()} if head else {}
    for path, text in (derive(lambda p: file_at(repo, head, p)) if derive else {}).items():
        path = _safe_path(path)
        wanted[path] = text
        if path not in current and (existing := file_at(repo, head, path)) is not None:
            current[path] = existing
    removed = set(current) - set(wanted) if prune else set()
    if head and not removed and all(current.get(p) == t for p, t in wanted.items()):
        return head, False
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if head:
            _git(repo, "read-tree", head, env=env)
        # Mode 0 removes an entry; --index-info works without a work tree, unlike --remove.
        zero = "0" * 40
        entries = [f"0 {zero}\t{path}" for path in sorted(removed)]
        paths = list(wanted)
        for index, blob in enumerate(_write_blobs(repo, [wanted[p] for p in paths], tmp)):
            entries.append(f"100644 {blob}\t{paths[index]}")
        _git(repo, "update-index", "-z", "--index-info", stdin="\0".join(entries) + "\0", env=env)
        tree = _git(repo, "write-tree", env=env)
    commit = _git(repo, "commit-tree", tree, *(["-p", head] if head else []), "-m", message)
    swap = subprocess.run(
        ["git", f"--git-dir={repo}", "update-ref", f"refs/heads/{branch}", commit, head or ""],
        capture_output=True,
        text=True,
        check=False,
    )
    if swap.returncode != 0:
        return None
    return commit, True


def _write_blobs(repo: Path, texts: list[str], tmp: str) -> list[str]:
    """Store these texts as blobs with one `git hash-object`; their ids, in order."""
    if not texts:
        return []
    folder = Path(tmp) / "blobs"
    folder.mkdir()
    names = []
    for index, text in enumerate(texts):
        (folder / str(index)).write_text(text, encoding="utf-8")
        names.append(str(folder / str(index)))
    blobs = _git(repo, "hash-object", "-w", "--no-filters", "--stdin-paths", stdin="\n".join(names))
    return blobs.split()


def list_component(text: str, component: str, where: str) -> str | None:
    """`text` (a kustomization.yaml) with `component` under `components:`; None when it is
    listed already. A file without `components:` keeps every byte and gets the list appended;
    otherwise the YAML is rewritten in its key order (comments are lost, values are not)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PermanentError(f"{where} is not valid YAML ({exc}): fix it, then retry") from None
    listed = (doc.get("components") or []) if isinstance(doc, dict) else None
    if not isinstance(listed, list):
        raise PermanentError(
            f"{where} is not a kustomization with a `components:` list: fix it, then retry"
        )
    if component in listed:
        return None
    if "components" not in doc:
        return f"{text.rstrip(chr(10))}\ncomponents:\n- {component}\n"
    doc["components"] = [*listed, component]
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=100)


def container_names(text: str | None) -> list[str] | None:
    """The container names of a Deployment manifest; None when it cannot be read as one."""
    try:
        doc = yaml.safe_load(text) if text else None
        containers = doc["spec"]["template"]["spec"]["containers"]
        return [c["name"] for c in containers]
    except (yaml.YAMLError, KeyError, TypeError):
        return None


class ComponentListing:
    """The `derive` of a gitops-files step whose folder must be listed in a kustomization.

    With `container` ({"path": a Deployment manifest, "name": a container name}) the folder's
    patch merges into that container by name; a Deployment whose container has another name
    (made by an older portal, whose container was called "app") would get a second, image-less
    container, so nothing is committed and the error says what to rename."""

    def __init__(self, folder: str, kustomization: str, container: dict | None = None):
        self.folder = folder
        self.kustomization = _safe_path(kustomization) if kustomization else ""
        here = posixpath.dirname(self.kustomization)
        self.component = posixpath.relpath(folder, here) if folder and here else ""
        self.container = container or {}
        self.note = ""

    def __call__(self, read: Callable[[str], str | None]) -> dict[str, str]:
        text = read(self.kustomization)
        if text is None:
            self.note = (
                f"; the service has no portal overlay ({self.kustomization}), so its team must "
                f"list {self.folder} under `components:` in the kustomization that deploys it, "
                "or the bundle is never deployed"
            )
            return {}
        if self.container:
            path, name = _safe_path(self.container["path"]), self.container["name"]
            names = container_names(read(path))
            if names is not None and name not in names:
                raise PermanentError(
                    f"{self.folder} was not written: the Deployment in {path} names its "
                    f"container {', '.join(names) or 'nothing'}, not {name}, so the bundle's "
                    f"patch would add a second container. Rename the container to {name} in "
                    "that file, then retry this request"
                )
        changed = list_component(text, self.component, self.kustomization)
        self.note = f"; {self.kustomization} lists {self.component}"
        return {self.kustomization: changed} if changed is not None else {}


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
        listing = ComponentListing(
            folder, config.get("list_in_kustomization") or "", config.get("patches_container")
        )
        commit, changed = commit_files(
            repo,
            config.get("branch", "main"),
            config.get("files", {}),
            config.get("message", f"portal: update {resource.name}"),
            folder,
            bool(config.get("prune")),
            derive=listing if listing.component else None,
        )
        outcome = "created" if created else ("updated" if changed else "unchanged")
        where = f"{repo_name}.git" + (f" {folder}/" if folder else "")
        return EnsureResult(
            outcome,
            f"{repo}@{commit[:12]}",
            f"{outcome} {where} at {commit[:12]}" + listing.note,
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
