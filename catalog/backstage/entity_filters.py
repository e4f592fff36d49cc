"""Backstage's catalog filter syntax, translated into one query per kind.

`filter=kind=component,spec.lifecycle=production&filter=kind=api`: the conditions of one
parameter must all hold, and an entity matches when any parameter holds. A condition is
`key=value` or just `key` (the key exists); values compare case-insensitively; the same key
twice in one parameter means either value. Keys are descriptor paths (`metadata.name`,
`spec.owner`, `metadata.annotations.<key>`, `metadata.tags`, `relations.ownedBy`, ...). A key
the portal cannot answer for a kind matches nothing of that kind, as in Backstage, where an
absent key has no value.
"""

import uuid
from dataclasses import dataclass

from django.db.models import CharField, F, Q, TextField, Value
from django.db.models.expressions import Case, When
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Coalesce, Concat, Lower
from django.db.models.lookups import Exact, IContains, In, IsNull

from catalog.backstage import component_conditions
from catalog.backstage.descriptor_output import API_VERSION
from catalog.backstage.entity_kinds import REF_DEFAULT_KINDS, KindInfo
from catalog.backstage.entity_relations import relation_q
from catalog.backstage.refs import ref_variants
from catalog.models import Component

DEFAULT_TEXT_FIELDS = ("metadata.name", "metadata.title")


class FilterError(ValueError):
    """A filter, order or field parameter the portal cannot read; the message says why."""


@dataclass(frozen=True)
class Condition:
    key: str
    values: tuple[str, ...] = ()  # empty: the key only has to exist


def parse_filters(params: list[str]) -> list[list[Condition]]:
    """Each `filter` parameter as a list of conditions, in Backstage's syntax."""
    sets = []
    for param in params:
        by_key: dict[str, list[str]] = {}
        for statement in (s.strip() for s in param.split(",")):
            if not statement:
                continue
            key, sep, value = statement.partition("=")
            if not key.strip():
                raise FilterError(
                    f"Invalid filter, '{statement}' is not a valid statement "
                    "(expected a string on the form a=b or a= or a)"
                )
            values = by_key.setdefault(key.strip(), [])
            if sep:
                values.append(value.strip())
        if by_key:
            sets.append([Condition(key, tuple(values)) for key, values in by_key.items()])
    return sets


def _extra_path(key: str):
    """The text at a descriptor path inside `extra`, e.g. spec.type of a System."""
    expression = "extra"
    parts = key.split(".")
    for part in parts[:-1]:
        expression = KeyTransform(part, expression)
    return KeyTextTransform(parts[-1], expression)


def _annotation_column(kind: KindInfo, annotation: str):
    column = kind.annotation_columns.get(annotation)
    if column == "tier":
        return Cast("tier", CharField())
    if column == "repository_url":
        return Case(
            When(repository_url="", then=Value(None)),
            default=Concat(Value("url:"), F("repository_url")),
            output_field=CharField(),
        )
    return F(column) if column else None


def field_expr(kind: KindInfo, key: str):
    """The text a single-valued descriptor path has for `kind`, or None if it has none."""
    lowered = key.lower()
    if lowered == "kind":
        return Value(kind.label, output_field=CharField())
    if kind.name == "user" and lowered == "metadata.namespace":
        return Value("default", output_field=CharField())
    if lowered in kind.columns:
        return F(kind.columns[lowered])
    if lowered == "metadata.uid" and kind.name != "user":
        return Cast("uid", CharField())
    if kind.name == "user":
        return None
    if lowered == "apiversion":
        return Coalesce(KeyTextTransform("apiVersion", "extra"), Value(API_VERSION))
    for prefix, column in (
        ("metadata.annotations.", "annotations"),
        ("metadata.labels.", "labels"),
    ):
        if lowered.startswith(prefix):
            name = key[len(prefix) :]
            known = _annotation_column(kind, name) if column == "annotations" else None
            return known if known is not None else KeyTextTransform(name, column)
    if lowered.startswith(("metadata.", "spec.")) and lowered not in ("metadata.tags",):
        return _extra_path(key)
    return None


def _exists(expression) -> Q:
    return Q(IsNull(expression, False)) & ~Q(Exact(expression, ""))


def _match(expression, values: tuple[str, ...], default_kind: str = "") -> Q:
    if not values:
        return _exists(expression)
    lowered = [value.lower() for value in values]
    if default_kind:
        lowered = ref_variants(lowered, default_kind)
    return Q(In(Lower(expression), lowered))


def _tags_q(kind: KindInfo, condition: Condition, tag_from_key: str) -> Q | None:
    if tag_from_key and condition.values and "true" not in {v.lower() for v in condition.values}:
        return None
    tags = [tag_from_key] if tag_from_key else [v.lower() for v in condition.values]
    if kind.name == "component":
        if tags:
            return component_conditions.tags_q(tags)
        return Q(pk__in=Component.tags.through.objects.values("component_id"))
    if kind.name == "user":
        return None
    listed = Cast(_extra_path("metadata.tags"), TextField())
    if not tags:
        return Q(IsNull(listed, False))
    # The stored list is JSON text, so a quoted tag matches exactly that element.
    found = Q()
    for tag in tags:
        found |= Q(IContains(listed, f'"{tag}"'))
    return found


def _uid_q(kind: KindInfo, values: tuple[str, ...]) -> Q | None:
    """uids compare as UUIDs: SQLite stores them without dashes."""
    if kind.name == "user":
        return None  # users' uids are derived from their id, not stored
    if not values:
        return Q()
    uids = []
    for value in values:
        try:
            uids.append(uuid.UUID(value))
        except ValueError:
            continue
    return Q(uid__in=uids) if uids else None


def condition_q(kind: KindInfo, condition: Condition) -> Q | None:
    """The rows of `kind` that satisfy one condition; None when none can."""
    lowered = condition.key.lower()
    values = tuple(v.lower() for v in condition.values)
    if lowered == "kind":
        return Q() if not values or kind.name in values else None
    if lowered.startswith("relations."):
        return relation_q(kind, lowered.removeprefix("relations."), values)
    if lowered == "metadata.uid":
        return _uid_q(kind, values)
    if lowered == "metadata.tags" or lowered.startswith("metadata.tags."):
        return _tags_q(kind, condition, lowered.removeprefix("metadata.tags").lstrip("."))
    if kind.name == "component" and lowered in component_conditions.KEYS:
        answered = component_conditions.component_q(lowered, condition.values)
        if answered is not None:
            return answered
    expression = field_expr(kind, condition.key)
    if expression is None:
        return None
    column = kind.columns.get(lowered)
    return _match(expression, condition.values, REF_DEFAULT_KINDS.get(column, ""))


def _all_of(kind: KindInfo, conditions: list[Condition]) -> Q | None:
    combined = Q()
    for condition in conditions:
        found = condition_q(kind, condition)
        if found is None:
            return None
        combined &= found
    return combined


def kind_q(kind: KindInfo, filters: list[list[Condition]]) -> Q | None:
    """The rows of `kind` matching any of the filter sets; None when no row can."""
    if not filters:
        return Q()
    alternatives = [
        q for q in (_all_of(kind, conditions) for conditions in filters) if q is not None
    ]
    if not alternatives:
        return None
    combined = alternatives[0]
    for alternative in alternatives[1:]:
        combined |= alternative
    return combined


def text_q(kind: KindInfo, term: str, fields: list[str]) -> Q | None:
    """Rows where any of `fields` contains `term`, ignoring case; None if no field applies."""
    found = None
    for key in fields or DEFAULT_TEXT_FIELDS:
        if key.lower() == "metadata.tags":
            part = _tags_q(kind, Condition("metadata.tags", (term,)), "")
        else:
            expression = field_expr(kind, key)
            part = Q(IContains(expression, term)) if expression is not None else None
        if part is not None:
            found = part if found is None else found | part
    return found
