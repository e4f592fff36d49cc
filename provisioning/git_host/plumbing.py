"""The one module that runs git: plumbing commands on a local bare repository, by its path.

Every function takes the `Path` of a bare repository (the local host's repositories, or a
hosted repository's local mirror) and none knows where it came from. A commit is built
without a work tree (hash-object, a private index, write-tree, commit-tree) and published with
`update-ref NEW OLD`, a compare-and-swap: two writers to the same branch never lose each
other's commits; the loser retries.
"""

import fcntl
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path, PurePosixPath

from provisioning.drivers.base import PermanentError, TransientError

# A revision git may be asked about: letters, digits, '.', '_' and '-', not starting with '-'.
REV = re.compile(r"[0-9A-Za-z_.][0-9A-Za-z_.-]{0,127}")
AUTHOR = {
    "GIT_AUTHOR_NAME": "Platform portal",
    "GIT_AUTHOR_EMAIL": "portal@localhost",
    "GIT_COMMITTER_NAME": "Platform portal",
    "GIT_COMMITTER_EMAIL": "portal@localhost",
}
CAS_ATTEMPTS = 3  # a branch moved by a writer outside the portal: re-read and build again

# Given a reader of the parent commit's files, the further files {repository path: text} the
# same commit writes: a read-modify-write that the compare-and-swap keeps consistent.
Derive = Callable[[Callable[[str], str | None]], dict[str, str]]


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], capture_output=True, check=False, **kwargs)  # noqa: S603, S607


def git(
    repo: Path, *args: str, stdin: str | None = None, env: dict | None = None, strip: bool = True
) -> str:
    """Run one git command in `repo`; PermanentError with git's message when it fails."""
    result = _run(
        [f"--git-dir={repo}", *args],
        input=stdin,
        text=True,
        env={**os.environ, **AUTHOR, **(env or {})},
        timeout=60,
    )
    if result.returncode != 0:
        raise PermanentError(f"git {args[0]} failed in {repo.name}: {result.stderr.strip()[:300]}")
    return result.stdout.strip() if strip else result.stdout


def is_repository(repo: Path) -> bool:
    return (repo / "HEAD").exists()


def init_bare(repo: Path, branch: str) -> bool:
    """Create the bare repository `repo` unless it exists; whether it was created."""
    if is_repository(repo):
        return False
    repo.parent.mkdir(parents=True, exist_ok=True)
    result = _run(["init", "--bare", "--quiet", f"--initial-branch={branch}", str(repo)])
    if result.returncode != 0:
        raise PermanentError(f"git init failed for {repo.name}: {result.stderr[:300]!r}")
    return True


def head(repo: Path, branch: str) -> str | None:
    """The commit `branch` points at; None while the repository or the branch does not exist.
    Read it before `read_files(..., at=head)` and pass it to `commit_files(expected_head=…)`
    to commit what was computed from those files only if nobody committed meanwhile."""
    result = _run(
        [f"--git-dir={repo}", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
        text=True,
    )
    return result.stdout.strip() or None


def commit_time(repo: Path, rev: str) -> datetime | None:
    """When `rev` (a commit id, full or abbreviated, or a tag) was committed in `repo`; None when
    the repository does not exist or `rev` is not one of its commits (an image tag that names
    no commit, such as "v1.2" built elsewhere, leaves the commit time unknown)."""
    if not rev or not repo.exists() or not REV.fullmatch(rev):
        return None
    result = _run(
        [f"--git-dir={repo}", "show", "-s", "--format=%cI", f"{rev}^{{commit}}", "--"],
        text=True,
        timeout=30,
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
    `at`: read that commit instead of the head (see `head`)."""
    commit = at or head(repo, branch)
    if commit is None:
        return {}
    prefix = f"{folder.rstrip('/')}/" if folder else ""
    listing = git(repo, "ls-tree", "-r", "-z", commit, *([prefix] if prefix else []), strip=False)
    entries = []
    for entry in filter(None, listing.split("\0")):
        meta, _, path = entry.partition("\t")
        _mode, kind, sha = meta.split()
        if kind == "blob":
            entries.append((path, sha))
    texts = blobs(repo, [sha for _, sha in entries], errors)
    return {path[len(prefix) :]: text for (path, _), text in zip(entries, texts, strict=True)}


def list_blobs(repo: Path, branch: str, pathspecs: list[str]) -> dict[str, str]:
    """{path: blob id} of the files at the branch head under these literal path prefixes,
    by one `git ls-tree` (no file is read). PermanentError when git fails."""
    result = _run(
        ["--literal-pathspecs", f"--git-dir={repo}", "ls-tree", "-r", "-z", branch, "--"]
        + pathspecs,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise PermanentError(f"git ls-tree failed in {repo.name}: {result.stderr.strip()[:300]}")
    found = {}
    for entry in filter(None, result.stdout.split("\0")):
        meta, _, path = entry.partition("\t")
        _mode, kind, sha = meta.split()
        if kind == "blob":
            found[path] = sha
    return found


def blobs(repo: Path, shas: list[str], errors: str = "strict") -> list[str]:
    """The texts of these blobs, in order, read by one `git cat-file --batch`."""
    if not shas:
        return []
    result = _run(
        [f"--git-dir={repo}", "cat-file", "--batch"],
        input="".join(f"{sha}\n" for sha in shas).encode(),
        timeout=60,
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
    result = _run([f"--git-dir={repo}", "cat-file", "blob", f"{commit}:{path}"], text=True)
    return result.stdout if result.returncode == 0 else None


def safe_path(path: str) -> str:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise PermanentError(f"'{path}' is not a safe file path inside a repository")
    return str(pure)


@contextmanager
def commit_lock(repo: Path):
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
    with commit_lock(repo):
        for _ in range(CAS_ATTEMPTS):
            if expected_head is not None and head(repo, branch) != expected_head:
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
    parent = head(repo, branch)
    prefix = f"{folder.strip('/')}/" if folder else ""
    wanted = {prefix + safe_path(p): text for p, text in files.items()}
    current = {prefix + p: t for p, t in read_files(repo, branch, folder).items()} if parent else {}
    for path, text in (derive(lambda p: file_at(repo, parent, p)) if derive else {}).items():
        path = safe_path(path)
        wanted[path] = text
        if path not in current and (existing := file_at(repo, parent, path)) is not None:
            current[path] = existing
    removed = set(current) - set(wanted) if prune else set()
    if parent and not removed and all(current.get(p) == t for p, t in wanted.items()):
        return parent, False
    commit = _build_commit(repo, parent, wanted, removed, message)
    return (commit, True) if _swap(repo, branch, commit, parent or "") else None


def _build_commit(
    repo: Path, parent: str | None, wanted: dict[str, str], removed: set[str], message: str
) -> str:
    """A commit on `parent` writing `wanted` and removing `removed`; no branch moves."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if parent:
            git(repo, "read-tree", parent, env=env)
        # Mode 0 removes an entry; --index-info works without a work tree, unlike --remove.
        zero = "0" * 40
        entries = [f"0 {zero}\t{path}" for path in sorted(removed)]
        paths = list(wanted)
        for index, blob in enumerate(_write_blobs(repo, [wanted[p] for p in paths], tmp)):
            entries.append(f"100644 {blob}\t{paths[index]}")
        git(repo, "update-index", "-z", "--index-info", stdin="\0".join(entries) + "\0", env=env)
        tree = git(repo, "write-tree", env=env)
    return git(repo, "commit-tree", tree, *(["-p", parent] if parent else []), "-m", message)


def _swap(repo: Path, branch: str, new: str, old: str) -> bool:
    """Move `branch` to `new` only if it is at `old` ("" : only if it does not exist)."""
    swap = _run([f"--git-dir={repo}", "update-ref", f"refs/heads/{branch}", new, old], text=True)
    return swap.returncode == 0


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
    blob_ids = git(
        repo, "hash-object", "-w", "--no-filters", "--stdin-paths", stdin="\n".join(names)
    )
    return blob_ids.split()


def start_branch(repo: Path, branch: str, source: str) -> bool:
    """Create `branch` at `source`'s head unless it exists; False when it did already."""
    # An empty old value makes update-ref create the branch only if it is absent.
    return _swap(repo, branch, head(repo, source) or "", "")


def merge_file(ours: str, base: str, theirs: str, labels: tuple[str, str, str]) -> tuple[str, bool]:
    """(merged text, whether it has conflicts), by `git merge-file -p` (no repository)."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / n for n in ("ours", "base", "theirs")]
        for path, text in zip(paths, (ours, base, theirs), strict=True):
            path.write_text(text)
        labelled = [arg for label in labels for arg in ("-L", label)]
        result = _run(["merge-file", "-p", *labelled, *map(str, paths)], text=True, timeout=60)
    # The exit code is the number of conflicts (capped at 127); a negative one is git failing.
    if result.returncode < 0 or result.returncode > 127:
        raise RuntimeError(f"git merge-file failed: {result.stderr.strip()[:200]}")
    return result.stdout, result.returncode > 0
