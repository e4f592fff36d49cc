"""`relations.<type>=<ref>` filters: which rows of a kind have that relation to those entities.

Outgoing relations are read from the written reference columns, incoming ones from the rows
that point here, exactly as catalog/backstage/descriptor_output.py lists them.
"""

from django.db.models import F, Q
from django.db.models.functions import Lower
from django.db.models.lookups import In

from catalog.backstage.entity_kinds import OWNED_MODELS, KindInfo
from catalog.backstage.refs import parse_ref
from catalog.models import (
    Api,
    ApiRelation,
    Component,
    Dependency,
    Resource,
    System,
    Team,
    TeamMembership,
)


def _written(column: str, refs: tuple[str, ...]) -> Q:
    if not refs:
        return ~Q(**{column: ""})
    return Q(In(Lower(F(column)), list(refs)))


def _pointing(model, fk: str, source_kind: str, refs, prefix: str = "", **where) -> Q | None:
    """Rows that rows of `model` point at through `fk`, limited to sources among `refs`."""
    sources = ref_match(source_kind, refs, prefix)
    if sources is None:
        return None
    rows = model.objects.filter(sources, **{f"{fk}__isnull": False}, **where)
    return Q(pk__in=rows.values(fk))


def _any(*parts: Q | None) -> Q | None:
    found = [part for part in parts if part is not None]
    if not found:
        return None
    combined = found[0]
    for part in found[1:]:
        combined |= part
    return combined


def _api_users(refs, kind: str) -> Q:
    rows = ApiRelation.objects.filter(kind=kind)
    if refs:
        rows = rows.filter(In(Lower(F("api_ref")), list(refs)))
    return Q(pk__in=rows.values("component_id"))


def _depends_on(refs) -> Q:
    rows = Dependency.objects.all()
    if refs:
        rows = rows.filter(In(Lower(F("target_ref")), list(refs)))
    return Q(pk__in=rows.values("source_id"))


def _owner_of(refs) -> Q | None:
    return _any(*(_pointing(model, "owner_id", model.KIND, refs) for model in OWNED_MODELS))


def _has_part_of_system(refs) -> Q | None:
    return _any(
        *(_pointing(model, "system_id", model.KIND, refs) for model in (Component, Api, Resource))
    )


RELATIONS = {
    "component": {
        "ownedby": lambda refs: _written("owner_ref", refs),
        "partof": lambda refs: _any(
            _written("system_ref", refs), _written("subcomponent_of_ref", refs)
        ),
        "subcomponentof": lambda refs: _written("subcomponent_of_ref", refs),
        "haspart": lambda refs: _pointing(Component, "subcomponent_of_id", "component", refs),
        "hassubcomponent": lambda refs: _pointing(
            Component, "subcomponent_of_id", "component", refs
        ),
        "providesapi": lambda refs: _api_users(refs, "provides"),
        "consumesapi": lambda refs: _api_users(refs, "consumes"),
        "dependson": _depends_on,
        "dependencyof": lambda refs: _pointing(
            Dependency, "target_component_id", "component", refs, "source__"
        ),
    },
    "api": {
        "ownedby": lambda refs: _written("owner_ref", refs),
        "partof": lambda refs: _written("system_ref", refs),
        "apiprovidedby": lambda refs: _pointing(
            ApiRelation, "api_id", "component", refs, "component__", kind="provides"
        ),
        "apiconsumedby": lambda refs: _pointing(
            ApiRelation, "api_id", "component", refs, "component__", kind="consumes"
        ),
    },
    "system": {
        "ownedby": lambda refs: _written("owner_ref", refs),
        "partof": lambda refs: _written("domain_ref", refs),
        "haspart": _has_part_of_system,
    },
    "domain": {
        "ownedby": lambda refs: _written("owner_ref", refs),
        "haspart": lambda refs: _pointing(System, "domain_id", "system", refs),
    },
    "resource": {
        "ownedby": lambda refs: _written("owner_ref", refs),
        "partof": lambda refs: _written("system_ref", refs),
        "dependencyof": lambda refs: _pointing(
            Dependency, "target_resource_id", "component", refs, "source__"
        ),
    },
    "group": {
        "childof": lambda refs: _written("parent_ref", refs),
        "parentof": lambda refs: _pointing(Team, "parent_id", "group", refs),
        "hasmember": lambda refs: _pointing(TeamMembership, "team_id", "user", refs, "user__"),
        "ownerof": _owner_of,
    },
    "user": {
        "memberof": lambda refs: _pointing(TeamMembership, "user_id", "group", refs, "team__"),
    },
}


def relation_q(kind: KindInfo, relation: str, refs: tuple[str, ...]) -> Q | None:
    """Rows of `kind` with a `relation` (lower-cased) to any of `refs`, or to anything."""
    handler = RELATIONS.get(kind.name, {}).get(relation)
    return handler(refs) if handler else None


def ref_match(model_kind: str, refs: tuple[str, ...], prefix: str = "") -> Q | None:
    """Rows of one kind whose own reference is among `refs` (all of them when `refs` is empty).

    `prefix` reaches the row through a relation, e.g. "source__" for a dependency's source.
    Names are grouped by namespace, so a thousand references stay one short condition.
    """
    if not refs:
        return Q()
    names: dict[str, set[str]] = {}
    for value in refs:
        try:
            ref = parse_ref(value)
        except ValueError:
            continue
        if ref.kind == model_kind:
            names.setdefault(ref.namespace, set()).add(ref.name.lower())
    if not names:
        return None
    name_column = f"{prefix}username" if model_kind == "user" else f"{prefix}name"
    found = Q()
    for namespace, in_namespace in names.items():
        part = Q(In(Lower(name_column), sorted(in_namespace)))
        if model_kind != "user":
            part &= Q(In(Lower(f"{prefix}namespace"), [namespace]))
        elif namespace != "default":
            continue
        found |= part
    return found if found else None
