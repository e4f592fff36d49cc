"""What the GitOps repository holds of the observability bundles, listed without reading files.

Blob ids come straight from git, so a folder's digest (bundle.digest_of_blobs) can be compared
with a freshly rendered bundle's without reading any file's content.
"""

from pathlib import PurePosixPath

from observability.conf import GITOPS_REPOSITORY
from provisioning.drivers.base import NotConnectedError, PermanentError
from provisioning.git_host import DEFAULT_BRANCH, get_host

PATHSPEC_CHUNK = 500  # keeps the command line far below the system's argument limit
# {(service, environment): {file name: git blob id}}
BundleIndex = dict[tuple[str, str], dict[str, str]]


class NotConnected(Exception):
    """The git host is not reachable from here; the message says why."""


def index_blobs(blobs: dict[str, str]) -> BundleIndex:
    """{path: blob id} entries under apps/<service>/<env>/observability/, by folder."""
    index: BundleIndex = {}
    for path, sha in blobs.items():
        parts = PurePosixPath(path).parts
        if len(parts) != 5 or parts[0] != "apps" or parts[3] != "observability":
            continue
        index.setdefault((parts[1], parts[2]), {})[parts[4]] = sha
    return index


def bundle_index(services: list[str] | None = None) -> BundleIndex:
    """The observability folders at the branch head, for `services` (None: every service).

    Raises NotConnected when the git host is not connected, or the repository cannot be
    read; returns {} while the repository or its branch does not exist yet.
    """
    host = get_host()
    connected, status = host.connection_status()
    if not connected:
        raise NotConnected(status)
    specs = ["apps/"] if services is None else [f"apps/{name}/" for name in services]
    index: BundleIndex = {}
    try:
        for start in range(0, len(specs), PATHSPEC_CHUNK):
            chunk = specs[start : start + PATHSPEC_CHUNK]
            index |= index_blobs(host.list_files(GITOPS_REPOSITORY, DEFAULT_BRANCH, chunk))
    except (PermanentError, NotConnectedError) as exc:
        raise NotConnected(f"error: {exc}") from exc
    return index
