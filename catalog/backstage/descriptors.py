"""Backstage descriptors in and out, as pure functions: no database, no files, no network.

`parse_file(name, data)` turns the bytes of one catalog-info.yaml into `EntitySpec`s (plain
values the import service writes) and `Rejection`s that say which file, document, field and
what to write instead. `entity_to_descriptor(entity)` turns a catalog row back into a
descriptor with Backstage `relations` (see catalog/backstage/descriptor_output.py).

Portal fields with no Backstage field travel as annotations, so a round trip keeps them:

- Component tier: annotation `portal.internal/tier`, "1" (most critical) to "4"; absent means 3.
- Component language: annotation `portal.internal/language`, e.g. "python".
- Component repository URL: Backstage's own `backstage.io/source-location: url:<URL>`.
- Group contact channel: annotation `portal.internal/contact-channel`, e.g. "#payments".
- Group display name: `spec.profile.displayName` (falls back to `metadata.title`).
- Link kind: the link's `type` when it is docs, runbook, dashboard or chat; anything else is
  kind "other" and the written type is kept in `extra`.

Anything else a descriptor says that the portal does not model (a System's `spec.type`, tags
and links of kinds other than Component, unknown metadata or spec keys, apiVersion v1beta1) is
kept in `Entity.extra` as {"apiVersion", "metadata": {}, "spec": {}} and merged back on export.
`metadata.uid` and `metadata.etag` are the portal's to set: values in a file are ignored.
A User becomes a portal account, which keeps only its name, email, display name and team
memberships (granted only by a trusted import: backstage/importing.py). A Group's spec.members is
kept in `extra` and never adds anyone to a team.

Files over MAX_FILE_BYTES are refused unread (1 MiB: uploads use it; the server-side import
command allows more for the operator's own all-in-one files). YAML is read safely and as
Backstage reads it, with guards against hostile documents: see catalog/backstage/descriptor_yaml.py.
"""

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property

import yaml

from catalog.backstage.descriptor_kinds import (
    ANNOTATION_CONTACT,
    LINK_KINDS,
    READERS,
    Problem,
    component_annotations,
    read_location,
    take_links,
    take_mapping,
    take_string_map,
    take_tags,
    take_text,
)
from catalog.backstage.descriptor_output import entity_to_descriptor  # noqa: F401 - part of this API
from catalog.backstage.descriptor_yaml import MAX_DEPTH, BadDocument, load_documents  # noqa: F401
from catalog.backstage.refs import DEFAULT_NAMESPACE, format_ref
from catalog.validators import name_problem, namespace_problem

MAX_FILE_BYTES = 1024 * 1024
API_VERSIONS = ("backstage.io/v1alpha1", "backstage.io/v1beta1")
DEFAULT_API_VERSION = API_VERSIONS[0]
KINDS = {kind.lower(): kind for kind in (*READERS, "Location")}
ROOT_KEYS = {"apiVersion", "kind", "metadata", "spec", "relations", "status"}
# Models whose metadata.tags and metadata.links have their own tables.
TAGGED_KINDS = {"Component"}


@dataclass(frozen=True)
class Rejection:
    """A document (or a whole file when `index` is None) that was not imported, and why."""

    file: str
    index: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = self.file if self.index is None else f"{self.file}#{self.index}"
        return f"{where} {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


@dataclass
class EntitySpec:
    """One valid entity document, normalized; `digest` identifies its content."""

    kind: str
    namespace: str
    name: str
    file: str
    index: int
    fields: dict = field(default_factory=dict)
    refs: dict = field(default_factory=dict)
    lists: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.kind.lower(), self.namespace.lower(), self.name.lower()

    @property
    def ref(self) -> str:
        return format_ref(self.kind, self.namespace, self.name)

    @cached_property
    def digest(self) -> str:
        content = [self.key, self.name, self.fields, self.refs, self.lists, self.extra]
        text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class LocationSpec:
    """A Location document: the files it points at, relative to the file it is in."""

    file: str
    index: int
    type: str
    targets: tuple[str, ...]
    presence: str


@dataclass
class FileResult:
    entities: list[EntitySpec] = field(default_factory=list)
    locations: list[LocationSpec] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    skipped: bool = False
    documents: int = 0  # read, the empty and skipped ones included
    stopped: bool = False  # by a syntax error: the documents after it were not read


def _metadata(raw: object, kind: str) -> tuple[dict, dict]:
    """(common fields, leftovers) of metadata, checked by Backstage's name rules."""
    if not isinstance(raw, dict):
        raise Problem("metadata", "metadata is required: a mapping with at least a name")
    meta = dict(raw)
    name = meta.pop("name", None)
    if problem := name_problem(name):
        raise Problem("metadata.name", problem)
    namespace = meta.pop("namespace", None) or DEFAULT_NAMESPACE
    if problem := namespace_problem(namespace):
        raise Problem("metadata.namespace", problem)
    for ignored in ("uid", "etag"):
        meta.pop(ignored, None)
    common = {
        "name": name,
        "namespace": namespace,
        "title": take_text(meta, "title", "metadata.title", max_length=200, example="Payments"),
        "description": take_text(meta, "description", "metadata.description", max_length=10_000),
        "labels": take_string_map(meta, "labels", label_values=True),
        "annotations": take_string_map(meta, "annotations"),
    }
    return common, meta


def _kept_type(link_type: str) -> bool:
    return bool(link_type) and link_type not in LINK_KINDS


def _link_row(link: dict) -> dict:
    kind = link["type"] if link["type"] in LINK_KINDS else "other"
    return {"url": link["url"], "title": link["title"], "icon": link["icon"], "kind": kind}


def _tags_and_links(kind: str, meta: dict, lists: dict) -> dict:
    """Components keep tags and links in their own tables; other kinds keep them in `extra`.

    Returns the `extra` entry that keeps link types a Link row has no kind for.
    """
    tags, links = take_tags(meta), take_links(meta)
    if kind not in TAGGED_KINDS:
        meta |= {"tags": tags} if tags else {}
        meta |= {"links": [{k: v for k, v in link.items() if v} for link in links]} if links else {}
        return {}
    lists |= {"tags": tags, "links": [_link_row(link) for link in links]}
    link_types = {link["url"]: link["type"] for link in links if _kept_type(link["type"])}
    return {"linkTypes": link_types} if link_types else {}


def _group_fields(fields: dict, parsed_fields: dict, meta: dict) -> None:
    """A group's title is its display name; a different metadata.title is kept in `extra`."""
    fields["contact_channel"] = fields["annotations"].pop(ANNOTATION_CONTACT, "")[:200]
    shown, titled = parsed_fields["title"], fields["title"]
    if shown and titled and shown != titled:
        meta["title"] = titled
    parsed_fields["title"] = shown or titled


def _entity(doc: dict, kind: str, file: str, index: int) -> EntitySpec:
    common, meta = _metadata(doc.get("metadata"), kind)
    spec = dict(take_mapping(dict(doc), "spec", "spec"))
    parsed = READERS[kind](spec, common["namespace"])
    fields = {k: common[k] for k in ("title", "description", "labels", "annotations")}
    link_extra = _tags_and_links(kind, meta, parsed.lists)
    if kind == "Component":
        fields |= component_annotations(fields["annotations"])
    if kind == "Group":
        _group_fields(fields, parsed.fields, meta)
    api_version = doc["apiVersion"]
    extra = {"metadata": meta, "spec": spec} | link_extra
    extra |= {"apiVersion": api_version} if api_version != DEFAULT_API_VERSION else {}
    return EntitySpec(
        kind=kind,
        namespace=common["namespace"],
        name=common["name"],
        file=file,
        index=index,
        fields=fields | parsed.fields,
        refs=parsed.refs,
        lists=parsed.lists,
        extra={key: value for key, value in extra.items() if value},
    )


def _envelope(doc: dict) -> str:
    """The canonical kind of a document whose apiVersion, kind and top-level keys are valid."""
    api_version = doc.get("apiVersion")
    if api_version not in API_VERSIONS:
        raise Problem(
            "apiVersion",
            f"apiVersion {api_version!r} is not supported: use "
            f"{DEFAULT_API_VERSION} (or backstage.io/v1beta1)",
        )
    kind = KINDS.get(str(doc.get("kind", "")).lower())
    if kind is None:
        raise Problem(
            "kind",
            f"kind {doc.get('kind')!r} is not one the portal imports: use "
            "Component, API, System, Domain, Resource, Group, User or Location",
        )
    for key in doc:
        if key not in ROOT_KEYS:
            raise Problem(
                key,
                f"'{key}' is not a top-level descriptor field: move it under "
                "metadata.annotations or spec",
            )
    return kind


def parse_document(doc: object, file: str, index: int) -> EntitySpec | LocationSpec | Rejection:
    """Validate one loaded document; `relations` and `status` are derived, so they are ignored."""
    if isinstance(doc, BadDocument):
        return Rejection(file, index, "", doc.reason)
    if not isinstance(doc, dict):
        return Rejection(
            file,
            index,
            "",
            f"a descriptor must be a mapping with apiVersion, "
            f"kind, metadata and spec, not a {type(doc).__name__}",
        )
    try:
        kind = _envelope(doc)
        if kind == "Location":
            spec = take_mapping(dict(doc), "spec", "spec")
            location_type, targets, presence = read_location(dict(spec))
            return LocationSpec(file, index, location_type, tuple(targets), presence)
        return _entity(doc, kind, file, index)
    except Problem as problem:
        return Rejection(file, index, problem.field, problem.reason)


def _is_foreign(doc: object) -> bool:
    """A document that is clearly not Backstage's, e.g. a Kubernetes manifest next to one."""
    api_version = doc.get("apiVersion") if isinstance(doc, dict) else None
    if isinstance(api_version, str):
        return not api_version.startswith("backstage.io/")
    return not (isinstance(doc, dict) and str(doc.get("kind", "")).lower() in KINDS)


def checked_bytes(name: str, data: bytes, discovery: bool, max_bytes: int) -> bytes | FileResult:
    """The bytes to parse, once they are known to be UTF-8 text within `max_bytes`."""
    looks_like_catalog = b"backstage.io/" in data[:65536]
    if len(data) > max_bytes:
        if discovery and not looks_like_catalog:
            return FileResult(skipped=True)
        reason = (
            f"the file is larger than {max_bytes:,} bytes: split it into smaller "
            "files (one entity per file is usual)"
        )
        return FileResult(rejections=[Rejection(name, None, "", reason)])
    if discovery and not looks_like_catalog:
        return FileResult(skipped=True)
    try:
        # Only a check: libyaml reads the bytes itself (skipping a BOM), where text would be
        # copied back to UTF-8 first, holding the file three times over (240 MB at 100,000
        # documents).
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        reason = f"the file is not UTF-8 text (byte {exc.start}): save it as UTF-8"
        return FileResult(rejections=[Rejection(name, None, "", reason)])
    return data


def _yaml_error(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or str(exc)
    return (
        f"YAML syntax error{where}: {problem}; fix it (later documents in the file were not read)"
    )


def parse_file(
    name: str, data: bytes, *, discovery: bool = False, max_bytes: int = MAX_FILE_BYTES
) -> FileResult:
    """Every document of one file, each valid or rejected; document numbers start at 1.

    With `discovery`, a file found by searching a folder, files and documents that are not
    Backstage's (no `backstage.io/` apiVersion) are skipped instead of rejected.
    """
    checked = checked_bytes(name, data, discovery, max_bytes)
    if isinstance(checked, FileResult):
        return checked
    result = parse_documents(name, checked, discovery=discovery)
    result.skipped = discovery and not (result.entities or result.locations or result.rejections)
    return result


def parse_documents(name: str, data: bytes, *, discovery: bool = False) -> FileResult:
    """Every document of bytes `checked_bytes` let through, numbered from 1, and how many there
    were (an empty or skipped one counts too)."""
    result = FileResult()
    index = 0
    try:
        for index, doc in enumerate(load_documents(data), start=1):
            if doc is None or (discovery and _is_foreign(doc)):
                continue
            parsed = parse_document(doc, name, index)
            bucket = {Rejection: result.rejections, LocationSpec: result.locations}
            bucket.get(type(parsed), result.entities).append(parsed)
    except (yaml.YAMLError, RecursionError) as exc:
        reason = _yaml_error(exc) if isinstance(exc, yaml.YAMLError) else "nested too deeply"
        result.rejections.append(Rejection(name, index + 1, "", reason))
        result.stopped = True
    result.documents = index
    return result
