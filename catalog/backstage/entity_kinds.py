"""Where each Backstage kind lives in the portal: its model, and which column holds which path.

Users are the Django accounts that belong to at least one team and whose username is a valid
entity name; every other kind has its own catalog model.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
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
    Resource,
    System,
    Team,
    TeamMembership,
)

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


# Columns a related row never needs when only its reference is written: the search text and
# the JSON documents are most of a component row's bytes.
_WIDE = ("description", "labels", "annotations", "extra", "search_text")


def _with_source_ref(qs: QuerySet, fk: str, columns: tuple[str, ...]) -> QuerySet:
    """`qs` joined to the component behind `fk`, reading only what its reference needs."""
    refs = (fk, f"{fk}__namespace", f"{fk}__name")
    return qs.select_related(fk).only("id", *columns, *refs).order_by("pk")


def related(row, name: str) -> list:
    """The rows of a to-many relation: the list with_related() prefetched, else a query."""
    listed = getattr(row, PREFETCHED + name, None)
    return listed if listed is not None else list(getattr(row, name).all())


PREFETCHED = "prefetched_"


def _prefetch(qs: QuerySet, *lookups) -> QuerySet:
    """Prefetch into plain lists (`prefetched_<name>`): Django then builds no queryset per row
    per relation, which cost more than the queries themselves on a page of 50."""
    prefetches = []
    for lookup in lookups:
        name = lookup if isinstance(lookup, str) else lookup.prefetch_through
        queryset = None if isinstance(lookup, str) else lookup.queryset
        prefetches.append(Prefetch(name, queryset, to_attr=PREFETCHED + name))
    return qs.prefetch_related(*prefetches)


def with_related(kind: str, qs: QuerySet) -> QuerySet:
    """`qs` with everything its descriptors read fetched up front, in a fixed number of queries."""
    if kind == "component":
        dependents = _with_source_ref(
            Dependency.objects,
            "source",
            ("target_ref", "target_component", "target_resource"),
        )
        related = qs.select_related("owner", "system", "subcomponent_of")
        return _prefetch(
            related.defer("search_text", *(f"subcomponent_of__{f}" for f in _WIDE)),
            "tags",
            "links",
            "api_relations",
            "dependencies",
            Prefetch("dependents", dependents),
            Prefetch("subcomponents", _refs_only(Component, "subcomponent_of_id")),
        )
    if kind == "api":
        relations = _with_source_ref(ApiRelation.objects, "component", ("kind", "api_ref", "api"))
        return _prefetch(
            qs.select_related("owner", "system"), Prefetch("component_relations", relations)
        )
    if kind == "system":
        return _prefetch(
            qs.select_related("owner", "domain"),
            Prefetch("components", _refs_only(Component, "system_id")),
            Prefetch("apis", _refs_only(Api, "system_id")),
            Prefetch("resources", _refs_only(Resource, "system_id")),
        )
    if kind == "domain":
        systems = _refs_only(System, "domain_id")
        return _prefetch(qs.select_related("owner"), Prefetch("systems", systems))
    if kind == "resource":
        dependents = _with_source_ref(
            Dependency.objects,
            "source",
            ("target_ref", "target_component", "target_resource"),
        )
        return _prefetch(qs.select_related("owner", "system"), Prefetch("dependents", dependents))
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
