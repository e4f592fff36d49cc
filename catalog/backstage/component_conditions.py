"""One query language for components: the conditions behind both the Backstage API's filters
(`filter=spec.owner=…`, POST predicates; catalog/backstage/entity_filters.py) and the catalog
list's filters (catalog/filtersets.py translates `?owner=payments&tier=1` into these keys).

Each condition is written the way the database answers it fastest and still means what
Backstage means (values compare case-insensitively, references may leave kind and namespace
out): an owner or system is matched by its team's or system's id (the component's
`(owner, name, id)` index), or, for a component whose reference names no catalog entity, by
the reference text; a tier by the integer column; tags by id through the tag table.
"""

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.db.models.lookups import In

from catalog.backstage.descriptor_kinds import ANNOTATION_LANGUAGE, ANNOTATION_TIER
from catalog.backstage.refs import parse_ref, ref_variants
from catalog.models import Component, System, Tag, Team

TIER_KEY = f"metadata.annotations.{ANNOTATION_TIER}"
LANGUAGE_KEY = f"metadata.annotations.{ANNOTATION_LANGUAGE}"
# Keys answered here for components; entity_filters answers every other key generically.
KEYS = {"spec.owner", "spec.system", "spec.type", "spec.lifecycle", TIER_KEY, LANGUAGE_KEY}
# Keys compared with a column's value, ignoring case.
VALUE_COLUMNS = {"spec.type": "type", "spec.lifecycle": "lifecycle", LANGUAGE_KEY: "language"}


def _refs_q(values: tuple[str, ...], kind: str) -> Q:
    """Rows of `kind` (group or system) whose reference is among `values`, by name."""
    found = Q()
    for value in values:
        try:
            ref = parse_ref(value, kind)
        except ValueError:
            continue
        if ref.kind == kind:
            found |= Q(In(Lower("namespace"), [ref.namespace.lower()])) & Q(
                In(Lower("name"), [ref.name.lower()])
            )
    return found


def reference_targets(values: tuple[str, ...], kind: str, model) -> tuple[QuerySet | None, list]:
    """What a reference filter on `kind` (group or system) matches: the ids of the `model` rows
    the values name (None when they name none), and the lower-cased reference texts that a
    component whose reference resolves to nothing is compared with, as Backstage compares it."""
    targets = _refs_q(values, kind)
    written = ref_variants([value.lower() for value in values], kind)
    return (model.objects.filter(targets).values("id") if targets else None), written


def _by_reference(values: tuple[str, ...], kind: str, column: str, model) -> Q:
    """`column` (owner or system) is an entity among `values` (reference_targets)."""
    named, written = reference_targets(values, kind, model)
    unresolved = Q(**{f"{column}__isnull": True}) & Q(In(Lower(f"{column}_ref"), written))
    if named is None:
        return unresolved
    return Q(**{f"{column}_id__in": named}) | unresolved


def tiers_of(values: tuple[str, ...]) -> list[int]:
    """The tiers a tier filter's values name; a value that is not a number names none."""
    return [int(value) for value in values if value.strip().isdigit()]


def tag_ids_of(names: list[str]) -> QuerySet:
    """The ids of the tags named, ignoring case."""
    lowered = sorted({name.lower() for name in names})
    return Tag.objects.filter(In(Lower("name"), lowered)).values("id")


def component_q(key: str, values: tuple[str, ...], narrow: bool = False) -> Q | None:
    """Components whose `key` (lower-cased) has any of `values`; None for a key not answered
    here. An empty `values` means the key has any value at all.

    `narrow`: the condition on the search table (catalog/models/search.py), which keeps type,
    lifecycle and language lower-cased already."""
    if not values:
        return None  # "has a value": entity_filters' generic existence test answers it
    if key == "spec.owner":
        return _by_reference(values, "group", "owner", Team)
    if key == "spec.system":
        return _by_reference(values, "system", "system", System)
    if key == TIER_KEY:
        tiers = tiers_of(values)
        return Q(tier__in=tiers) if tiers else Q(pk__in=[])
    column = VALUE_COLUMNS.get(key)
    if column is None:
        return None
    lowered = sorted({value.lower() for value in values})
    return Q(**{f"{column}__in": lowered}) if narrow else Q(In(Lower(column), lowered))


def tags_q(names: list[str], narrow: bool = False) -> Q:
    """Components with any of the tags, ignoring case; each component counts once.

    `narrow`: the condition on the search table (catalog/models/search.py), whose rows carry
    their tag ids: an array overlap per row, where a join through the tag table would start
    from every component with a popular tag."""
    tag_ids = tag_ids_of(names)
    if narrow:
        from django.contrib.postgres.expressions import ArraySubquery

        return Q(tag_ids__overlap=ArraySubquery(tag_ids))
    tagged = Component.tags.through.objects.filter(tag_id__in=tag_ids)
    return Q(pk__in=tagged.values("component_id"))
