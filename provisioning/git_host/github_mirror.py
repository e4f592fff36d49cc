"""Local mirrors of GitHub repositories: fetch before reading, commit with git's plumbing, push
with a compare-and-swap.

Each remote repository has a bare mirror under `GIT_MIRROR_DIR/<org>/<name>.git`. A write is:
1. under a per-mirror lock (one portal writer per repository on this host), fetch the branch
   from the `clone_url` the API returned;
2. commit on the mirror with the local plumbing (no work tree);
3. push `commit:refs/heads/<branch>` with `--force-with-lease=refs/heads/<branch>:<fetched>`,
   so a commit pushed by someone else since the fetch makes the push fail instead of being
   overwritten; the loss is a TransientError and the engine tries again from a new fetch.

The token reaches git as an `http.extraHeader` through GIT_CONFIG_* environment variables: it
is never written to a git config file, a URL, or a log.
"""

import fcntl
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from provisioning.drivers.base import PermanentError, TransientError
from provisioning.git_host.github_api import GitHubClient

GIT_TIMEOUT = 120


def mirror_path(org: str, name: str) -> Path:
    if not name or "/" in name or name.startswith(".") or ".." in name:
        raise PermanentError(f"'{name}' is not a valid repository name")
    return Path(settings.GIT_MIRROR_DIR) / org / f"{name}.git"


def ensure_mirror(org: str, name: str) -> Path:
    mirror = mirror_path(org, name)
    if not (mirror / "HEAD").exists():
        mirror.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "init", "--bare", "--quiet", "--initial-branch=main", str(mirror)],
            check=True,
            capture_output=True,
        )
    return mirror


@contextmanager
def sync_lock(mirror: Path) -> Iterator[None]:
    """One fetch-commit-push at a time per mirror on this host (the plumbing's own commit lock
    is a different file, so holding this one while committing cannot deadlock)."""
    with open(mirror / "portal-sync.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _env(client: GitHubClient) -> dict[str, str]:
    return {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: {client.basic_auth()}",
    }


def _remote_git(client: GitHubClient, mirror: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            ["git", f"--git-dir={mirror}", *args],
            capture_output=True,
            text=True,
            env=_env(client),
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TransientError(f"git {args[0]} to GitHub timed out; trying again") from None


def fetch(client: GitHubClient, mirror: Path, clone_url: str, branch: str) -> str | None:
    """Bring `branch` from GitHub into the mirror; its commit, or None while it does not exist
    there (a repository created and not pushed yet). The mirror's branch follows the remote,
    dropping a local commit whose push was lost."""
    listed = _remote_git(client, mirror, "ls-remote", "--heads", clone_url, branch)
    if listed.returncode != 0:
        raise _git_error("read", clone_url, listed.stderr)
    if not listed.stdout.strip():
        subprocess.run(
            ["git", f"--git-dir={mirror}", "update-ref", "-d", f"refs/heads/{branch}"],
            capture_output=True,
            check=False,
        )
        return None
    ref = f"refs/heads/{branch}"
    got = _remote_git(client, mirror, "fetch", "--quiet", "--no-tags", clone_url, f"+{ref}:{ref}")
    if got.returncode != 0:
        raise _git_error("fetch", clone_url, got.stderr)
    return listed.stdout.split()[0]


def push(
    client: GitHubClient, mirror: Path, clone_url: str, branch: str, commit: str, old: str | None
) -> None:
    """Publish `commit` as `branch` only if GitHub's branch is still at `old` (absent: None)."""
    ref = f"refs/heads/{branch}"
    lease = f"--force-with-lease={ref}:{old or ''}"
    pushed = _remote_git(client, mirror, "push", "--quiet", lease, clone_url, f"{commit}:{ref}")
    if pushed.returncode == 0:
        return
    if "stale info" in pushed.stderr:
        raise TransientError(
            f"{branch} of {clone_url} moved on GitHub while the portal committed; trying again "
            "from the new commit"
        )
    raise _git_error("push to", clone_url, pushed.stderr)


def _git_error(what: str, url: str, stderr: str) -> Exception:
    said = " ".join(stderr.split())[:300]
    if "protected branch" in said.lower() or "GH006" in said:
        return PermanentError(
            f"GitHub's branch protection refused the portal's push to {url} ({said}): let the "
            "portal's App or token bypass the rule, or make the change through a pull request"
        )
    refused = ("401", "403", "Authentication failed", "denied", "could not read Username")
    if any(marker in said for marker in refused):
        return PermanentError(
            f"GitHub refused to let the portal {what} {url} ({said}): the credentials in "
            "GITHUB_TOKEN or GITHUB_APP_* need Contents read and write on the repository"
        )
    return TransientError(f"git could not {what} {url} ({said}); trying again")
