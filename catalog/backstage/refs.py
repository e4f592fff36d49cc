"""Backstage entity references: `[kind:][namespace/]name`."""

from typing import NamedTuple

DEFAULT_NAMESPACE = "default"


class EntityRef(NamedTuple):
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.namespace}/{self.name}"


def parse_ref(
    value: str, default_kind: str = "", default_namespace: str = DEFAULT_NAMESPACE
) -> EntityRef:
    """Parse a reference; the kind and namespace may be left out when the context implies them.

    Raises ValueError with a readable reason for an empty or malformed reference.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(
            "an entity reference must be a non-empty string like 'component:default/name'"
        )
    text = value.strip()
    kind, sep, rest = text.partition(":")
    if not sep:
        kind, rest = default_kind, text
    namespace, sep, name = rest.partition("/")
    if not sep:
        namespace, name = default_namespace, rest
    if not kind:
        raise ValueError(f"'{value}' names no kind: write it as 'kind:namespace/name'")
    if not name or "/" in name or ":" in name:
        raise ValueError(f"'{value}' is not a valid reference: write it as 'kind:namespace/name'")
    return EntityRef(kind.lower(), namespace.lower() or default_namespace, name)


def format_ref(kind: str, namespace: str, name: str) -> str:
    return f"{kind.lower()}:{namespace}/{name}"


def ref_variants(values, default_kind: str) -> list[str]:
    """What a reference filter matches: each value as written and in its full
    `kind:namespace/name` form (the kind and namespace filled in when left out)."""
    found = set(values)
    for value in values:
        try:
            found.add(str(parse_ref(value, default_kind)))
        except ValueError:
            continue
    return sorted(found)
