"""Catalog rows back into Backstage descriptors, with relations and processing status.

The functions read a row and its related rows; the caller prefetches them
(catalog/backstage/entity_query.py does) so that a page of entities costs a fixed number of queries.
The encoding of portal-only fields is described in catalog/backstage/descriptors.py.
"""

import hashlib
import json
import uuid

from catalog.backstage.descriptor_kinds import (
    ANNOTATION_CONTACT,
    ANNOTATION_LANGUAGE,
    ANNOTATION_SOURCE,
    ANNOTATION_TIER,
)
from catalog.backstage.entity_kinds import attach_owned_refs, related
from catalog.backstage.refs import format_ref, parse_ref
from catalog.validators import name_problem

API_VERSION = "backstage.io/v1alpha1"
LABELS = {
    "component": "Component",
    "api": "API",
    "system": "System",
    "domain": "Domain",
    "resource": "Resource",
    "group": "Group",
    "user": "User",
}
PROCESSING_STATUS = "backstage.io/catalog-processing"
# Relation fields the portal keeps only in `extra`: (spec key, relation type, default kind).
EXTRA_RELATIONS = {
    "component": [("dependencyOf", "dependencyOf", "")],
    "resource": [("dependsOn", "dependsOn", ""), ("dependencyOf", "dependencyOf", "")],
    "domain": [("subdomainOf", "partOf", "domain")],
    "group": [("members", "hasMember", "user")],
}
USER_UID_NAMESPACE = uuid.UUID("6b1c3f3e-6f35-4a5c-9d4e-2f0a8c1d7e55")


def kind_of(entity) -> str:
    """The lower-case Backstage kind of a catalog row; a Django user is a `user`."""
    return getattr(entity, "KIND", "") or "user"


def user_uid(user) -> str:
    """Users have no uid column: a stable one derived from the primary key."""
    return str(uuid.uuid5(USER_UID_NAMESPACE, str(user.pk)))


def user_ref(user) -> str:
    return format_ref("user", "default", user.get_username())


def is_catalog_user(user) -> bool:
    return name_problem(user.get_username()) is None


def _put(target: dict, key: str, value) -> None:
    if value not in ("", None, [], {}):
        target[key] = value


def merge(base: dict, extra: dict) -> dict:
    """`base` with `extra`'s keys added; modelled values in `base` win, mappings merge."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged.setdefault(key, value)
    return merged


def digest(descriptor: dict) -> str:
    text = json.dumps(descriptor, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def extra_part(entity, key: str) -> dict:
    """One mapping from `extra`; anything else there (written by hand, say) counts as empty."""
    extra = entity.extra if isinstance(entity.extra, dict) else {}
    part = extra.get(key)
    return part if isinstance(part, dict) else {}


def _fk_ref(entity, field: str) -> str:
    """The written reference, or the resolved row's reference when none was written."""
    written = getattr(entity, f"{field}_ref", "")
    if written or getattr(entity, f"{field}_id", None) is None:
        return written
    return getattr(entity, field).ref


def _field_annotations(entity, kind: str) -> dict:
    if kind == "component":
        found = {ANNOTATION_TIER: str(entity.tier), ANNOTATION_LANGUAGE: entity.language}
        if entity.repository_url:
            found[ANNOTATION_SOURCE] = f"url:{entity.repository_url}"
        return {key: value for key, value in found.items() if value}
    if kind == "group" and entity.contact_channel:
        return {ANNOTATION_CONTACT: entity.contact_channel}
    return {}


def _links(component) -> list[dict]:
    written_types = extra_part(component, "linkTypes")
    links = []
    for link in related(component, "links"):
        item = {"url": link.url}
        _put(item, "title", link.title)
        _put(item, "icon", link.icon)
        _put(item, "type", link.kind if link.kind != "other" else written_types.get(link.url))
        links.append(item)
    return links


def _metadata(entity, kind: str) -> dict:
    meta = {"name": entity.name, "namespace": entity.namespace}
    # A group's display name is its spec.profile.displayName.
    _put(meta, "title", entity.title if kind != "group" else "")
    _put(meta, "description", entity.description)
    _put(meta, "labels", dict(entity.labels or {}))
    _put(meta, "annotations", dict(entity.annotations or {}) | _field_annotations(entity, kind))
    if kind == "component":
        _put(meta, "tags", sorted(tag.name for tag in related(entity, "tags")))
        _put(meta, "links", _links(entity))
    meta["uid"] = str(entity.uid)
    return merge(meta, extra_part(entity, "metadata"))


def _component_spec(c) -> dict:
    spec = {"type": c.type, "lifecycle": c.lifecycle}
    _put(spec, "owner", _fk_ref(c, "owner"))
    _put(spec, "system", _fk_ref(c, "system"))
    _put(spec, "subcomponentOf", _fk_ref(c, "subcomponent_of"))
    relations = list(related(c, "api_relations"))
    _put(spec, "providesApis", [r.api_ref for r in relations if r.kind == "provides"])
    _put(spec, "consumesApis", [r.api_ref for r in relations if r.kind == "consumes"])
    _put(spec, "dependsOn", [d.target_ref for d in related(c, "dependencies")])
    return spec


def _api_spec(api) -> dict:
    spec = {"type": api.type, "lifecycle": api.lifecycle}
    _put(spec, "owner", _fk_ref(api, "owner"))
    _put(spec, "system", _fk_ref(api, "system"))
    spec["definition"] = api.definition
    return spec


def _system_spec(system) -> dict:
    spec = {}
    _put(spec, "owner", _fk_ref(system, "owner"))
    _put(spec, "domain", _fk_ref(system, "domain"))
    return spec


def _domain_spec(domain) -> dict:
    spec = {}
    _put(spec, "owner", _fk_ref(domain, "owner"))
    return spec


def _resource_spec(resource) -> dict:
    spec = {"type": resource.type}
    _put(spec, "owner", _fk_ref(resource, "owner"))
    _put(spec, "system", _fk_ref(resource, "system"))
    return spec


def _group_spec(team) -> dict:
    spec = {"type": team.type}
    _put(spec, "profile", {"displayName": team.title} if team.title else {})
    _put(spec, "parent", _fk_ref(team, "parent"))
    # Backstage requires children, even empty; it is derived from the children's parent.
    spec["children"] = sorted(child.ref for child in related(team, "children"))
    return spec


SPECS = {
    "component": _component_spec,
    "api": _api_spec,
    "system": _system_spec,
    "domain": _domain_spec,
    "resource": _resource_spec,
    "group": _group_spec,
}


def _user_descriptor(user) -> dict:
    profile = {}
    _put(profile, "displayName", user.get_full_name().strip())
    _put(profile, "email", user.email)
    teams = sorted(m.team.ref for m in related(user, "team_memberships"))
    spec = {"profile": profile} if profile else {}
    descriptor = {
        "apiVersion": API_VERSION,
        "kind": "User",
        "metadata": {"name": user.get_username(), "namespace": "default", "uid": user_uid(user)},
        "spec": spec | {"memberOf": teams},
    }
    descriptor["metadata"]["etag"] = digest(descriptor)
    return descriptor


def entity_to_descriptor(entity) -> dict:
    """apiVersion, kind, metadata, spec and relations of a row, as Backstage would serve it."""
    kind = kind_of(entity)
    if kind == "user":
        return _user_descriptor(entity) | {"relations": relations_of(entity)}
    extra = entity.extra if isinstance(entity.extra, dict) else {}
    descriptor = {
        "apiVersion": extra.get("apiVersion", API_VERSION),
        "kind": LABELS[kind],
        "metadata": _metadata(entity, kind),
        "spec": merge(SPECS[kind](entity), extra_part(entity, "spec")),
    }
    # Rows made outside the import have no content hash yet: derive one from the content.
    descriptor["metadata"]["etag"] = entity.etag or digest(descriptor)
    descriptor["relations"] = relations_of(entity)
    return descriptor


def _extra_refs(entity, kind: str) -> list[tuple[str, str]]:
    found = []
    spec = extra_part(entity, "spec")
    for key, relation, default_kind in EXTRA_RELATIONS.get(kind, []):
        values = spec.get(key)
        for value in values if isinstance(values, list) else [values]:
            try:
                ref = parse_ref(value, default_kind, entity.namespace)
            except ValueError:
                continue
            found.append((relation, str(ref)))
    return found


def _component_relations(c) -> list[tuple[str, str]]:
    found = [("ownedBy", _fk_ref(c, "owner")), ("partOf", _fk_ref(c, "system"))]
    parent = _fk_ref(c, "subcomponent_of")
    # Backstage itself says partOf for a subcomponent; subcomponentOf names it exactly.
    found += [("partOf", parent), ("subcomponentOf", parent)]
    for child in related(c, "subcomponents"):
        found += [("hasPart", child.ref), ("hasSubcomponent", child.ref)]
    for relation in related(c, "api_relations"):
        found.append(
            ("providesApi" if relation.kind == "provides" else "consumesApi", relation.api_ref)
        )
    found += [("dependsOn", d.target_ref) for d in related(c, "dependencies")]
    found += [("dependencyOf", d.source.ref) for d in related(c, "dependents")]
    return found


def _api_relations(api) -> list[tuple[str, str]]:
    found = [("ownedBy", _fk_ref(api, "owner")), ("partOf", _fk_ref(api, "system"))]
    for relation in related(api, "component_relations"):
        kind = "apiProvidedBy" if relation.kind == "provides" else "apiConsumedBy"
        found.append((kind, relation.component.ref))
    return found


def _system_relations(system) -> list[tuple[str, str]]:
    found = [("ownedBy", _fk_ref(system, "owner")), ("partOf", _fk_ref(system, "domain"))]
    for part in [
        *related(system, "components"),
        *related(system, "apis"),
        *related(system, "resources"),
    ]:
        found.append(("hasPart", part.ref))
    return found


def _domain_relations(domain) -> list[tuple[str, str]]:
    found = [("ownedBy", _fk_ref(domain, "owner"))]
    return found + [("hasPart", system.ref) for system in related(domain, "systems")]


def _resource_relations(resource) -> list[tuple[str, str]]:
    found = [("ownedBy", _fk_ref(resource, "owner")), ("partOf", _fk_ref(resource, "system"))]
    return found + [("dependencyOf", d.source.ref) for d in related(resource, "dependents")]


def _group_relations(team) -> list[tuple[str, str]]:
    found = [("childOf", _fk_ref(team, "parent"))]
    found += [("parentOf", child.ref) for child in related(team, "children")]
    found += [
        ("hasMember", user_ref(m.user))
        for m in related(team, "memberships")
        if is_catalog_user(m.user)
    ]
    owned = getattr(team, "owned_refs", None)
    if owned is None:
        attach_owned_refs([team])
        owned = team.owned_refs
    return found + [("ownerOf", ref) for ref in owned]


def _user_relations(user) -> list[tuple[str, str]]:
    return [("memberOf", m.team.ref) for m in related(user, "team_memberships")]


RELATIONS = {
    "component": _component_relations,
    "api": _api_relations,
    "system": _system_relations,
    "domain": _domain_relations,
    "resource": _resource_relations,
    "group": _group_relations,
    "user": _user_relations,
}


def relations_of(entity) -> list[dict]:
    """Backstage relations, both directions, with lower-case full target references."""
    kind = kind_of(entity)
    pairs = RELATIONS[kind](entity) + (_extra_refs(entity, kind) if kind != "user" else [])
    unique = sorted({(relation, ref.lower()) for relation, ref in pairs if ref})
    return [{"type": relation, "targetRef": ref} for relation, ref in unique]


def _unresolved(entity, kind: str) -> list[tuple[str, str]]:
    """(field, reference) pairs whose target is not in the catalog."""
    found = []
    for field, path in (
        ("owner", "spec.owner"),
        ("system", "spec.system"),
        ("domain", "spec.domain"),
        ("subcomponent_of", "spec.subcomponentOf"),
        ("parent", "spec.parent"),
    ):
        ref = getattr(entity, f"{field}_ref", "")
        # Owners may be users, which have no foreign key: only group owners are checked.
        if ref and getattr(entity, f"{field}_id") is None and not ref.startswith("user:"):
            found.append((path, ref))
    if kind == "component":
        for relation in related(entity, "api_relations"):
            if relation.api_id is None:
                path = "spec.providesApis" if relation.kind == "provides" else "spec.consumesApis"
                found.append((path, relation.api_ref))
        for dependency in related(entity, "dependencies"):
            if dependency.target_component_id is None and dependency.target_resource_id is None:
                found.append(("spec.dependsOn", dependency.target_ref))
    return found


def status_of(entity) -> dict | None:
    """Backstage's `status` for a row with references to missing entities, else None."""
    kind = kind_of(entity)
    if kind == "user":
        return None
    items = []
    for path, ref in _unresolved(entity, kind):
        message = f"{path} refers to {ref.lower()}, which is not in the catalog"
        items.append(
            {
                "type": PROCESSING_STATUS,
                "level": "error",
                "message": f"NotFoundError: {message}",
                "error": {"name": "NotFoundError", "message": message},
            }
        )
    return {"items": items} if items else None
