"""What the GitOps repository holds of the observability bundles, read with one `git ls-tree`.

Blob ids come straight from git, so a folder's digest (bundle.digest_of_blobs) can be compared
with a freshly rendered bundle's without reading any file's content.
"""

import subprocess
from pathlib import PurePosixPath

from observability.conf import GITOPS_REPOSITORY
from provisioning.drivers.git import GitDriver, repo_path

BRANCH = "main"
PATHSPEC_CHUNK = 500  # keeps the command line far below the system's argument limit
# {(service, environment): {file name: git blob id}}
BundleIndex = dict[tuple[str, str], dict[str, str]]


class NotConnected(Exception):
    """The git host is not reachable from here; the message says why."""


def _ls_tree(repo, pathspecs: list[str]) -> str:
    result = subprocess.run(
        ["git", "--literal-pathspecs", f"--git-dir={repo}", "ls-tree", "-r", "-z", BRANCH, "--"]
        + pathspecs,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise NotConnected(
            f"error: git ls-tree failed in {repo.name}: {result.stderr.strip()[:300]}"
        )
    return result.stdout


def parse_ls_tree(output: str) -> BundleIndex:
    """`<mode> blob <sha>\\t<path>` entries under apps/<service>/<env>/observability/."""
    index: BundleIndex = {}
    for entry in output.split("\0"):
        meta, _, path = entry.partition("\t")
        parts = PurePosixPath(path).parts
        if len(parts) != 5 or parts[0] != "apps" or parts[3] != "observability":
            continue
        sha = meta.split()[2]
        index.setdefault((parts[1], parts[2]), {})[parts[4]] = sha
    return index


def bundle_index(services: list[str] | None = None) -> BundleIndex:
    """The observability folders at the branch head, for `services` (None: every service).

    Raises NotConnected when the git host is not the local one, or the repository cannot be
    read; returns {} while the repository or its branch does not exist yet.
    """
    connected, status = GitDriver.connection_status()
    if not connected:
        raise NotConnected(status)
    repo = repo_path(GITOPS_REPOSITORY)
    if not (repo / "HEAD").exists():
        return {}
    has_branch = subprocess.run(
        ["git", f"--git-dir={repo}", "rev-parse", "--verify", "--quiet", f"refs/heads/{BRANCH}"],
        capture_output=True,
        check=False,
    )
    if has_branch.returncode != 0:
        return {}
    if services is None:
        return parse_ls_tree(_ls_tree(repo, ["apps/"]))
    index: BundleIndex = {}
    specs = [f"apps/{name}/" for name in services]
    for start in range(0, len(specs), PATHSPEC_CHUNK):
        index |= parse_ls_tree(_ls_tree(repo, specs[start : start + PATHSPEC_CHUNK]))
    return index
