"""Where descriptors are read from: a folder on disk or uploaded files, and the Locations in them.

Files are addressed by POSIX paths relative to the imported root. A Location's targets are
followed only when they are relative paths that stay inside that root; each file is read once,
so Locations that point at each other cannot loop.
"""

import fnmatch
import os
import posixpath
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from catalog.backstage.descriptor_chunks import parse_large_file
from catalog.backstage.descriptors import (
    MAX_FILE_BYTES,
    EntitySpec,
    LocationSpec,
    Rejection,
    parse_file,
)

DESCRIPTOR_SUFFIXES = (".yaml", ".yml")
SKIPPED_FOLDERS = {"node_modules", "__pycache__", "venv", ".venv"}
_ABSOLUTE = re.compile(r"^(/|\\|[A-Za-z]:|[A-Za-z][A-Za-z0-9+.-]*://)")


class SourceTree:
    """Files to import, by relative POSIX path, each read up to one byte past `max_bytes`."""

    max_bytes = MAX_FILE_BYTES

    def read(self, path: str) -> bytes:
        raise NotImplementedError

    def files(self) -> list[str]:
        raise NotImplementedError


class FolderTree(SourceTree):
    """A folder on disk; symbolic links that lead outside it are refused."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self._files: list[str] | None = None

    def read(self, path: str) -> bytes:
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root):
            raise PermissionError(f"'{path}' leads outside the imported folder")
        with open(target, "rb") as handle:
            # One byte over the limit is enough for the parser to refuse the file.
            return handle.read(self.max_bytes + 1)

    def files(self) -> list[str]:
        if self._files is None:
            found = []
            for folder, subfolders, names in os.walk(self.root):
                subfolders[:] = sorted(
                    d for d in subfolders if not d.startswith(".") and d not in SKIPPED_FOLDERS
                )
                relative = Path(folder).relative_to(self.root).as_posix()
                found += [
                    posixpath.normpath(posixpath.join(relative, name))
                    for name in names
                    if name.endswith(DESCRIPTOR_SUFFIXES)
                ]
            self._files = sorted(found)
        return self._files


class MemoryTree(SourceTree):
    """Uploaded files held in memory."""

    def __init__(self, files: dict[str, bytes]):
        self._data = files

    def read(self, path: str) -> bytes:
        if path not in self._data:
            raise FileNotFoundError(path)
        return self._data[path]

    def files(self) -> list[str]:
        return sorted(self._data)


@dataclass
class ReadResult:
    """Everything read from a tree: valid entities, rejections, and which files were seen."""

    entities: list[EntitySpec] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    files_read: list[str] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Pending:
    path: str
    discovery: bool
    origin: LocationSpec | None = None
    field: str = ""


class TargetProblem(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def resolve_target(base_file: str, target: str, location_type: str) -> str:
    """The path of a Location target relative to the root; TargetProblem if it is not followed."""
    if location_type not in ("file", "url"):
        raise TargetProblem(
            f"locations of type '{location_type}' are not followed: only file "
            "paths inside the imported folder are"
        )
    relative = target.startswith(("./", "../")) or not _ABSOLUTE.match(target)
    if not relative or (location_type == "url" and not target.startswith(("./", "../"))):
        raise TargetProblem(
            f"'{target}' is not a relative path: only files inside the imported "
            "folder are followed; import that location separately"
        )
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(base_file), target))
    if joined == ".." or joined.startswith(("../", "/")):
        raise TargetProblem(
            f"'{target}' points outside the imported folder: keep Location targets inside it"
        )
    return joined


def _target_field(location: LocationSpec, index: int) -> str:
    return "spec.target" if len(location.targets) == 1 else f"spec.targets[{index}]"


def _expand(tree: SourceTree, location: LocationSpec, result: ReadResult) -> list[_Pending]:
    """The files a Location points at; problems become rejections of the Location document."""
    pending = []
    for index, target in enumerate(location.targets):
        where = _target_field(location, index)
        try:
            path = resolve_target(location.file, target, location.type)
        except TargetProblem as problem:
            result.rejections.append(
                Rejection(location.file, location.index, where, problem.reason)
            )
            continue
        if not any(char in path for char in "*?["):
            pending.append(_Pending(path, False, location, where))
            continue
        matches = [name for name in tree.files() if fnmatch.fnmatchcase(name, path)]
        if not matches and location.presence == "required":
            reason = f"'{target}' matches no file in the imported folder"
            result.rejections.append(Rejection(location.file, location.index, where, reason))
        pending += [_Pending(name, False, location, where) for name in matches]
    return pending


def _missing(item: _Pending, exc: OSError) -> Rejection | None:
    if item.origin is None:
        return Rejection(item.path, None, "", f"could not be read: {exc.strerror or exc}")
    if item.origin.presence == "optional" and isinstance(exc, FileNotFoundError):
        return None
    reason = (
        f"'{item.path}' does not exist in the imported folder"
        if isinstance(exc, FileNotFoundError)
        else f"'{item.path}' could not be read: {exc}"
    )
    return Rejection(item.origin.file, item.origin.index, item.field, reason)


def read_tree(
    tree: SourceTree, start: list[tuple[str, bool]], parallel: bool = False
) -> ReadResult:
    """Parse the `start` files and every file their Locations lead to, each file once.

    Each start file says whether it was found by searching a folder (then files and documents
    that are not Backstage's are skipped rather than rejected). With `parallel`, a large file
    is parsed in forked processes (descriptor_chunks.py): only where forking is safe, a
    command's own process, never a web server's threads or a Celery worker's pool process.
    """
    result = ReadResult()
    queue = deque(_Pending(path, discovery) for path, discovery in start)
    seen: set[str] = set()
    while queue:
        item = queue.popleft()
        if item.path in seen:
            continue
        seen.add(item.path)
        try:
            data = tree.read(item.path)
        except OSError as exc:
            if rejection := _missing(item, exc):
                result.rejections.append(rejection)
            continue
        parse = parse_large_file if parallel else parse_file
        parsed = parse(item.path, data, discovery=item.discovery, max_bytes=tree.max_bytes)
        if parsed.skipped:
            result.skipped_files.append(item.path)
            continue
        result.files_read.append(item.path)
        result.entities += parsed.entities
        result.rejections += parsed.rejections
        for location in parsed.locations:
            queue.extend(_expand(tree, location, result))
    return result


def open_sources(sources) -> tuple[SourceTree, list[tuple[str, bool]]]:
    """The tree to read and its start files, each with whether it was found by searching.

    `sources` is a folder (searched), a file, several files, or (name, bytes) pairs such as
    uploads; (name, bytes, True) marks a file found by searching, e.g. inside a zip.
    """
    items = [sources] if isinstance(sources, str | Path) else list(sources)
    if items and all(isinstance(item, tuple) for item in items):
        tree = MemoryTree({item[0]: item[1] for item in items})
        return tree, [(item[0], len(item) > 2 and bool(item[2])) for item in items]
    paths = [Path(item) for item in items]
    if len(paths) == 1 and paths[0].is_dir():
        tree = FolderTree(paths[0])
        return tree, [(path, True) for path in tree.files()]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"no such file: {', '.join(missing)}")
    root = Path(os.path.commonpath([p.resolve().parent for p in paths])) if paths else Path()
    start = [(p.resolve().relative_to(root).as_posix(), False) for p in paths]
    return FolderTree(root), start
