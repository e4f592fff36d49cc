"""Git host driver: repositories and GitOps files, written through the git host
(provisioning/git_host: local bare repositories, or a hosted service).

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

import posixpath
from collections.abc import Callable

import yaml

from provisioning.drivers.base import (
    EnsureResult,
    NotConnectedError,
    PermanentError,
    PlannedResource,
    ResourceDriver,
    ResourceMissing,
)
from provisioning.git_host import DEFAULT_BRANCH, get_host
from provisioning.git_host.plumbing import safe_path


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
        self.kustomization = safe_path(kustomization) if kustomization else ""
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
            path, name = safe_path(self.container["path"]), self.container["name"]
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


class GitDriver(ResourceDriver):
    provider = "git"
    kinds = frozenset({"repository", "gitops-files"})

    @classmethod
    def connection_status(cls) -> tuple[bool, str]:
        return get_host().connection_status()

    def _host(self):
        host = get_host()
        connected, status = host.connection_status()
        if not connected:
            raise NotConnectedError(status)
        return host

    def _target(self, resource: PlannedResource) -> tuple[str, str]:
        if resource.kind == "repository":
            return resource.name, ""
        repo, _, folder = resource.name.partition(":")
        return repo, folder

    def ensure(self, resource: PlannedResource, secrets: dict | None = None) -> EnsureResult:
        host = self._host()
        repo_name, folder = self._target(resource)
        created = host.ensure_repository(repo_name)
        config = resource.config
        listing = ComponentListing(
            folder, config.get("list_in_kustomization") or "", config.get("patches_container")
        )
        commit, changed = host.commit_files(
            repo_name,
            config.get("branch", DEFAULT_BRANCH),
            config.get("files", {}),
            config.get("message", f"portal: update {resource.name}"),
            folder,
            bool(config.get("prune")),
            derive=listing if listing.component else None,
        )
        outcome = "created" if created else ("updated" if changed else "unchanged")
        where = f"{repo_name}.git" + (f" {folder}/" if folder else "")
        location = host.location(repo_name)
        return EnsureResult(
            outcome,
            f"{location}@{commit[:12]}",
            f"{outcome} {where} at {commit[:12]}" + listing.note,
            {"commit": commit, "path": location},
        )

    def check_drift(self, resource: PlannedResource) -> list[str]:
        host = self._host()
        repo_name, folder = self._target(resource)
        if not host.exists(repo_name):
            raise ResourceMissing(f"repository {repo_name} no longer exists")
        present = host.read_files(repo_name, resource.config.get("branch", DEFAULT_BRANCH), folder)
        return [
            f"{path} was {'removed' if path not in present else 'changed'} outside the portal"
            for path, text in resource.config.get("files", {}).items()
            if present.get(safe_path(path)) != text
        ]

    def decommission(self, resource: PlannedResource) -> EnsureResult:
        host = self._host()
        repo_name, folder = self._target(resource)
        location = host.location(repo_name)
        if resource.kind == "repository" or not host.exists(repo_name):
            # Repositories are archived by people, never deleted by the portal.
            return EnsureResult(
                "unchanged", location, f"kept repository {repo_name}: archive it by hand"
            )
        branch = resource.config.get("branch", DEFAULT_BRANCH)
        commit, _ = host.commit_files(
            repo_name, branch, {}, f"portal: remove {folder}", folder, prune=True
        )
        return EnsureResult(
            "deleted", f"{location}@{commit[:12]}", f"removed {folder}/ from {repo_name}"
        )
