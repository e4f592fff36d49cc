"""Where each Backstage kind lives in the portal: its model, and which column holds which path.

Users are the Django accounts that belong to at least one team and whose username is a valid
entity name; every other kind has its own catalog model.
"""

from collections import defaultdict, namedtuple
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Prefetch, QuerySet

from catalog.backstage.descriptor_kinds import (
    ANNOTATION_CONTACT,
    ANNOTATION_LANGUAGE,
    ANNOTATION_SOURCE,
    ANNOTATION_TIER,
)
from catalog.backstage.refs import format_ref
from catalog.models import (
    Api,
    ApiRelation,
    Component,
    Dependency,
    Domain,
    Link,
    Resource,
    System,
    Team,
    TeamMembership,
)
from catalog.pagination import id_values

USERNAME_AS_NAME = r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
_COMMON = {
    "metadata.name": "name",
    "metadata.namespace": "namespace",
    "metadata.title": "title",
    "metadata.description": "description",
}
_OWNED = {"spec.owner": "owner_ref"}
# Columns holding references, and the kind a short reference defaults to.
REF_DEFAULT_KINDS = {
    "owner_ref": "group",
    "system_ref": "system",
    "domain_ref": "domain",
    "subcomponent_of_ref": "component",
    "parent_ref": "group",
}


@dataclass(frozen=True)
class KindInfo:
    """One Backstage kind: its label, model and the columns behind its descriptor paths."""

    name: str
    label: str
    columns: dict[str, str]
    annotation_columns: dict[str, str] = field(default_factory=dict)

    @property
    def model(self):
        return MODELS[self.name] if self.name != "user" else get_user_model()

    def queryset(self) -> QuerySet:
        if self.name == "user":
            members = TeamMembership.objects.values("user_id")
            return self.model.objects.filter(pk__in=members, username__regex=USERNAME_AS_NAME)
        return self.model.objects.all()


MODELS = {
    "api": Api,
    "component": Component,
    "domain": Domain,
    "group": Team,
    "resource": Resource,
    "system": System,
}
OWNED_MODELS = [Component, Api, System, Domain, Resource]

KINDS: dict[str, KindInfo] = {
    "api": KindInfo(
        "api",
        "API",
        _COMMON
        | _OWNED
        | {
            "spec.type": "type",
            "spec.lifecycle": "lifecycle",
            "spec.system": "system_ref",
            "spec.definition": "definition",
        },
    ),
    "component": KindInfo(
        "component",
        "Component",
        _COMMON
        | _OWNED
        | {
            "spec.type": "type",
            "spec.lifecycle": "lifecycle",
            "spec.system": "system_ref",
            "spec.subcomponentof": "subcomponent_of_ref",
        },
        {
            ANNOTATION_TIER: "tier",
            ANNOTATION_LANGUAGE: "language",
            ANNOTATION_SOURCE: "repository_url",
        },
    ),
    "domain": KindInfo("domain", "Domain", _COMMON | _OWNED),
    "group": KindInfo(
        "group",
        "Group",
        {k: v for k, v in _COMMON.items() if k != "metadata.title"}
        | {
            "spec.type": "type",
            "spec.parent": "parent_ref",
            "spec.profile.displayname": "title",
        },
        {ANNOTATION_CONTACT: "contact_channel"},
    ),
    "resource": KindInfo(
        "resource",
        "Resource",
        _COMMON
        | _OWNED
        | {
            "spec.type": "type",
            "spec.system": "system_ref",
        },
    ),
    "system": KindInfo("system", "System", _COMMON | _OWNED | {"spec.domain": "domain_ref"}),
    "user": KindInfo(
        "user",
        "User",
        {
            "metadata.name": "username",
            "spec.profile.email": "email",
        },
    ),
}
KIND_ORDER = list(KINDS)  # alphabetical, as Backstage sorts entity references


def _refs_only(model, parent_column: str) -> QuerySet:
    """Just enough of a related row to write its reference and match it to its parent."""
    return model.objects.order_by("pk").only("id", "namespace", "name", parent_column)


def _beyond_ref(relation: str, model) -> list[str]:
    """The columns of a joined row (`relation`) that writing its reference never reads: its
    JSON documents, text and timestamps are most of its bytes and of the time spent building
    it (three JSON columns decoded per joined row)."""
    kept = {"id", "namespace", "name"}
    return [f"{relation}__{f.name}" for f in model._meta.concrete_fields if f.name not in kept]


def related(row, name: str) -> list:
    """The rows of a to-many relation: the list load_related() read, else a query."""
    listed = getattr(row, PREFETCHED + name, None)
    return listed if listed is not None else list(getattr(row, name).all())


PREFETCHED = "prefetched_"

# A related row as the descriptors read it, without a model instance behind it.
Ref = namedtuple("Ref", "ref")  # a row of which only the reference is written
TagRow = namedtuple("TagRow", "name")
LinkRow = namedtuple("LinkRow", "url title icon kind")
ApiRelationRow = namedtuple("ApiRelationRow", "kind api_ref api_id")
DependencyRow = namedtuple("DependencyRow", "target_ref target_component_id target_resource_id")
SourceRow = namedtuple("SourceRow", "source")  # a dependency read from its target's side
UsedByRow = namedtuple("UsedByRow", "kind component")  # an API relation from the API's side


def _ref_of(kind: str, make=None):
    """Builds (namespace, name, ...) into a Ref, or `make(Ref, ...)` for a wrapped one."""

    def build(namespace, name, *rest):
        ref = Ref(format_ref(kind, namespace, name))
        return make(*rest, ref) if make else ref

    return build


@dataclass(frozen=True)
class Related:
    """One to-many relation of a kind, read as tuples of `columns` (after the parent column),
    ordered by `order`, and built into the row type the descriptors read."""

    name: str
    model: type
    parent: str
    columns: tuple[str, ...]
    build: object
    order: str = "pk"


_DEPENDENTS = ("source__namespace", "source__name")
RELATED: dict[str, tuple[Related, ...]] = {
    "component": (
        Related("tags", Component.tags.through, "component_id", ("tag__name",), TagRow,
                order="tag__name"),
        Related("links", Link, "component_id", ("url", "title", "icon", "kind"), LinkRow),
        Related("api_relations", ApiRelation, "component_id", ("kind", "api_ref", "api_id"),
                ApiRelationRow),
        Related("dependencies", Dependency, "source_id",
                ("target_ref", "target_component_id", "target_resource_id"), DependencyRow),
        Related("dependents", Dependency, "target_component_id", _DEPENDENTS,
                _ref_of("component", SourceRow)),
        Related("subcomponents", Component, "subcomponent_of_id", ("namespace", "name"),
                _ref_of("component")),
    ),
    "resource": (
        Related("dependents", Dependency, "target_resource_id", _DEPENDENTS,
                _ref_of("component", SourceRow)),
    ),
    "api": (
        Related("component_relations", ApiRelation, "api_id",
                ("component__namespace", "component__name", "kind"),
                _ref_of("component", UsedByRow)),
    ),
    "system": (
        Related("components", Component, "system_id", ("namespace", "name"),
                _ref_of("component")),
        Related("apis", Api, "system_id", ("namespace", "name"), _ref_of("api")),
        Related("resources", Resource, "system_id", ("namespace", "name"), _ref_of("resource")),
    ),
    "domain": (
        Related("systems", System, "domain_id", ("namespace", "name"), _ref_of("system")),
    ),
}  # fmt: skip


def load_related(kind: str, rows: list) -> None:
    """Set `prefetched_<name>` on each row for every to-many relation its descriptor reads,
    one query per relation. Read as tuples rather than through prefetch_related: a page of 50
    components has some 500 related rows, and building them as model instances cost more than
    the queries (about 40% of a by-query page)."""
    ids = [row.pk for row in rows]
    for relation in RELATED.get(kind, ()) if ids else ():
        found = defaultdict(list)
        for parent, *columns in _related_values(kind, relation, ids):
            found[parent].append(relation.build(*columns))
        for row in rows:
            setattr(row, PREFETCHED + relation.name, found.get(row.pk, []))


# The SQL of each relation's query on PostgreSQL, where the ids are one array parameter and
# the SQL never changes: compiled once, as compiling it cost more than running it.
_RELATED_SQL: dict[tuple[str, str], str] = {}


def _related_values(kind: str, relation: Related, ids: list[int]):
    """(parent id, *columns) of every related row of the rows `ids`, in the relation's order."""
    key = (kind, relation.name)
    if connection.vendor == "postgresql" and (sql := _RELATED_SQL.get(key)) is not None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [ids])
            return cursor.fetchall()
    values = (
        relation.model.objects.filter(**{f"{relation.parent}__in": id_values(ids)})
        .order_by(relation.order)
        .values_list(relation.parent, *relation.columns)
    )
    if connection.vendor == "postgresql":
        sql, params = values.query.sql_with_params()
        if list(params) == [ids]:  # the ids alone: the same SQL serves every page
            _RELATED_SQL[key] = sql
    return list(values)


def _prefetch(qs: QuerySet, *lookups) -> QuerySet:
    """Prefetch into plain lists (`prefetched_<name>`), as load_related() does for the kinds
    whose related rows it reads as tuples: Django then builds no queryset per row."""
    prefetches = []
    for lookup in lookups:
        name = lookup if isinstance(lookup, str) else lookup.prefetch_through
        queryset = None if isinstance(lookup, str) else lookup.queryset
        prefetches.append(Prefetch(name, queryset, to_attr=PREFETCHED + name))
    return qs.prefetch_related(*prefetches)


def _joined(qs: QuerySet, **relations) -> QuerySet:
    """`qs` joined to each to-one relation (name=model), reading only what its reference needs."""
    deferred = [column for name, model in relations.items() for column in _beyond_ref(name, model)]
    return qs.select_related(*relations).defer(*deferred)


def with_related(kind: str, qs: QuerySet) -> QuerySet:
    """`qs` with its to-one relations joined and, for groups and users, its to-many relations
    prefetched; load_related() reads the other kinds' to-many relations."""
    if kind == "component":
        return _joined(
            qs.defer("search_text"), owner=Team, system=System, subcomponent_of=Component
        )
    if kind in ("api", "resource"):
        return _joined(qs, owner=Team, system=System)
    if kind == "system":
        return _joined(qs, owner=Team, domain=Domain)
    if kind == "domain":
        return _joined(qs, owner=Team)
    if kind == "group":
        return _prefetch(
            qs.select_related("parent"),
            Prefetch("children", _refs_only(Team, "parent_id")),
            Prefetch("memberships", TeamMembership.objects.select_related("user").order_by("pk")),
        )
    memberships = TeamMembership.objects.select_related("team").order_by("pk")
    return _prefetch(qs, Prefetch("team_memberships", memberships))


def attach_owned_refs(teams: list) -> None:
    """Set `owned_refs` on each team: what it owns, in one query per owned kind."""
    owned = defaultdict(list)
    ids = [team.pk for team in teams]
    for model in OWNED_MODELS:
        rows = model.objects.filter(owner_id__in=ids).values_list("owner_id", "namespace", "name")
        for owner_id, namespace, name in rows:
            owned[owner_id].append(format_ref(model.KIND, namespace, name))
    for team in teams:
        team.owned_refs = sorted(owned[team.pk])
