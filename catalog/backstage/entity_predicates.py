"""Backstage's filter predicates (the `query` body of POST by-query and entity-facets), compiled
into one condition per kind, the same Q objects the `filter` parameter compiles into.

A predicate is an object: `{"kind": "component", "spec.type": {"$in": ["service", "website"]}}`
(every key must match), combined with `{"$all": [...]}`, `{"$any": [...]}` and `{"$not": ...}`.
A key's value is a string, number or boolean (equal, ignoring case), `{"$in": [...]}`,
`{"$exists": true|false}`, `{"$hasPrefix": "..."}` or `{"$contains": value}` (an element of a
list such as metadata.tags equals the value). As with `filter`, a key a kind has no value for
matches nothing of that kind, and `$not` turns that into everything of that kind. `$hasPrefix`
reads single values and tags; on `relations.*` it matches nothing.
"""

from django.db.models import Q
from django.db.models.functions import Lower
from django.db.models.lookups import IStartsWith, StartsWith

from catalog.backstage.entity_filters import Condition, FilterError, condition_q, field_expr
from catalog.backstage.entity_kinds import KindInfo
from catalog.models import Component

LOGICAL = ("$all", "$any", "$not")
MAX_DEPTH = 16
MAX_NODES = 500  # keys and operators in one predicate: enough for any real query


def validate(predicate, depth: int = 0, seen: list[int] | None = None) -> None:
    """Raise FilterError naming the first part of `predicate` that is not Backstage's syntax."""
    seen = seen if seen is not None else [0]
    seen[0] += 1
    if depth > MAX_DEPTH or seen[0] > MAX_NODES:
        raise FilterError(
            f"Invalid query: at most {MAX_DEPTH} levels and {MAX_NODES} conditions per predicate"
        )
    if not isinstance(predicate, dict):
        raise FilterError(
            "Invalid query: a predicate is an object like "
            f'{{"kind": "component"}}, got {_shown(predicate)}'
        )
    operators = [key for key in predicate if key in LOGICAL]
    if operators and len(predicate) != 1:
        raise FilterError(
            f"Invalid query: {operators[0]} must be the only key of its object, "
            "wrap it in $all to combine it with other conditions"
        )
    for key, value in predicate.items():
        if key in ("$all", "$any"):
            if not isinstance(value, list):
                raise FilterError(f"Invalid query: {key} takes a list of predicates")
            for item in value:
                validate(item, depth + 1, seen)
        elif key == "$not":
            validate(value, depth + 1, seen)
        elif key.startswith("$") or not key.strip():
            raise FilterError(
                f"Invalid query: unknown operator '{key}', use $all, $any, $not or a field path"
            )
        else:
            _validate_value(key, value)
            seen[0] += 1


def _validate_value(key: str, value) -> None:
    if _primitive(value):
        return
    if not isinstance(value, dict) or len(value) != 1:
        raise FilterError(
            f'Invalid query value for "{key}": expected a string, number or boolean, or one '
            f"of $exists, $in, $hasPrefix, $contains, got {_shown(value)}"
        )
    (operator, operand), ok = next(iter(value.items())), True
    if operator == "$exists":
        ok = isinstance(operand, bool)
    elif operator == "$in":
        ok = isinstance(operand, list) and all(_primitive(item) for item in operand)
    elif operator == "$hasPrefix":
        ok = isinstance(operand, str)
    elif operator == "$contains":
        ok = _primitive(operand) or (
            isinstance(operand, dict) and list(operand) == ["$in"] and _primitive_list(operand)
        )
    else:
        raise FilterError(
            f'Invalid query value for "{key}": unknown operator {operator}, use $exists, $in, '
            "$hasPrefix or $contains"
        )
    if not ok:
        expected = {
            "$exists": "true or false",
            "$in": "a list of strings, numbers or booleans",
            "$hasPrefix": "a string",
            "$contains": "a string, number or boolean (or {$in: [...]})",
        }[operator]
        raise FilterError(f'Invalid query value for "{key}": {operator} takes {expected}')


def _primitive(value) -> bool:
    return isinstance(value, (str, int, float, bool)) and value is not None


def _primitive_list(operand: dict) -> bool:
    items = operand["$in"]
    return isinstance(items, list) and all(_primitive(item) for item in items)


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _text(value) -> str:
    """A primitive as Backstage compares it: String(value), so true is 'true'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def predicate_q(kind: KindInfo, predicate: dict) -> Q | None:
    """The rows of `kind` matching a validated predicate; None when none can."""
    if "$all" in predicate:
        return _every(kind, predicate["$all"])
    if "$any" in predicate:
        return _some(kind, predicate["$any"])
    if "$not" in predicate:
        return _negate(kind, predicate_q(kind, predicate["$not"]))
    conditions = [_value_q(kind, key, value) for key, value in predicate.items()]
    return _and(conditions)


def _and(parts: list[Q | None]) -> Q | None:
    combined = Q()
    for part in parts:
        if part is None:
            return None
        combined &= part
    return combined


def _every(kind: KindInfo, predicates: list) -> Q | None:
    return _and([predicate_q(kind, item) for item in predicates])


def _some(kind: KindInfo, predicates: list) -> Q | None:
    found = [q for q in (predicate_q(kind, item) for item in predicates) if q is not None]
    if not found:
        return None
    combined = found[0]
    for part in found[1:]:
        combined |= part
    return combined


def _negate(kind: KindInfo, condition: Q | None) -> Q | None:
    """Rows not matching: through the primary key, so a NULL value counts as not matching."""
    if condition is None:
        return Q()
    if not condition:
        return None  # the negation of "every row"
    return ~Q(pk__in=kind.model._default_manager.filter(condition).values("pk"))


def _value_q(kind: KindInfo, key: str, value) -> Q | None:
    if _primitive(value):
        return condition_q(kind, Condition(key, (_text(value),)))
    operator, operand = next(iter(value.items()))
    if operator == "$exists":
        exists = condition_q(kind, Condition(key))
        return exists if operand else _negate(kind, exists)
    if operator == "$in":
        if not operand:
            return None
        return condition_q(kind, Condition(key, tuple(_text(item) for item in operand)))
    if operator == "$contains":
        values = operand["$in"] if isinstance(operand, dict) else [operand]
        if not values:
            return None
        return condition_q(kind, Condition(key, tuple(_text(item) for item in values)))
    return _prefix_q(kind, key, operand)


def _prefix_q(kind: KindInfo, key: str, prefix: str) -> Q | None:
    """Rows whose value at `key` starts with `prefix`, ignoring case."""
    lowered = key.lower()
    if lowered == "kind":
        return Q() if kind.label.lower().startswith(prefix.lower()) else None
    if lowered == "metadata.tags":
        if kind.name != "component":
            return None
        through = Component.tags.through.objects.filter(tag__name__istartswith=prefix)
        return Q(pk__in=through.values("component_id"))
    if lowered.startswith("relations."):
        return None
    expression = field_expr(kind, key)
    if expression is None:
        return None
    if lowered in kind.columns:
        # lower(column) LIKE 'prefix%' can use a lower() btree index; ILIKE cannot.
        return Q(StartsWith(Lower(expression), prefix.lower()))
    return Q(IStartsWith(expression, prefix))
