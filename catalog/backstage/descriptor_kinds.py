"""Reading one Backstage descriptor's metadata and spec into the portal's model fields (pure).

Every reader takes plain dicts and returns plain values, or raises `Problem` naming the field
and saying what to write instead. What a reader does not consume stays in the dict it was
given; the caller keeps those leftovers in `Entity.extra`, so export loses nothing.
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from catalog.backstage.refs import format_ref, parse_ref
from catalog.choices import LinkKind
from catalog.validators import name_problem, namespace_problem

# Portal fields Backstage has no field for travel as annotations (see backstage/descriptors.py).
ANNOTATION_TIER = "portal.internal/tier"
ANNOTATION_LANGUAGE = "portal.internal/language"
ANNOTATION_CONTACT = "portal.internal/contact-channel"
ANNOTATION_SOURCE = "backstage.io/source-location"
DEFAULT_TIER = 3

TAG_RE = re.compile(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$")
DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SPACE = re.compile(r"\s")
LINK_KINDS = {choice.value for choice in LinkKind} - {LinkKind.OTHER}


def is_web_url(value: str) -> bool:
    """An absolute http(s) URL with a host, as Backstage's `new URL()` check needs."""
    if len(value) > 500 or _SPACE.search(value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class Problem(Exception):
    """Why a document cannot be imported: the field at fault and what to write instead."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass
class Parsed:
    """What one kind's reader found: model fields, references and child lists."""

    fields: dict = field(default_factory=dict)
    refs: dict = field(default_factory=dict)
    lists: dict = field(default_factory=dict)


def take_text(data: dict, key: str, path: str, *, required=False, max_length=63, example=""):
    """Pop a non-empty string; '' when absent and optional."""
    value = data.pop(key, None)
    if value is None:
        if required:
            hint = f", e.g. {key}: {example}" if example else ""
            raise Problem(path, f"{path} is required{hint}")
        return ""
    if not isinstance(value, str) or not value.strip():
        raise Problem(path, f"{path} must be non-empty text, e.g. {key}: {example or 'value'}")
    if len(value) > max_length:
        raise Problem(path, f"{path} is {len(value)} characters long: use at most {max_length}")
    return value


@lru_cache(maxsize=65536)
def _normalized(value: str, namespace: str, default_kind: str) -> tuple[str, str]:
    """(kind, `kind:namespace/name`) of a reference; ValueError says what is wrong.

    Cached: an import repeats the same owners, systems and APIs thousands of times.
    """
    ref = parse_ref(value, default_kind=default_kind, default_namespace=namespace)
    if problem := namespace_problem(ref.namespace) or name_problem(ref.name):
        raise ValueError(f"'{value}': {problem}")
    return ref.kind, format_ref(ref.kind, ref.namespace, ref.name)


def normal_ref(value: object, path: str, *, namespace: str, default_kind: str, kinds) -> str:
    """A reference as `kind:namespace/name`, after Backstage's rules for this field."""
    if not isinstance(value, str):
        raise Problem(path, f"{path} must be an entity reference like 'group:default/payments'")
    try:
        kind, ref = _normalized(value, namespace, default_kind)
    except ValueError as exc:
        raise Problem(path, str(exc)) from None
    if kind not in kinds:
        wanted = " or ".join(sorted(kinds))
        raise Problem(path, f"'{value}' names a {kind}: {path} must refer to a {wanted}")
    return ref


def take_ref(data: dict, key: str, path: str, *, required=False, **rules) -> str:
    if data.get(key) is None:
        return take_text(data, key, path, required=required, example="payments")
    return normal_ref(data.pop(key), path, **rules)


def take_refs(data: dict, key: str, path: str, **rules) -> list[str]:
    """Pop a list of references, de-duplicated case-insensitively, order kept."""
    values = data.pop(key, None)
    if values is None:
        return []
    if not isinstance(values, list):
        raise Problem(path, f"{path} must be a list of references, e.g. [payments-api]")
    refs: dict[str, str] = {}
    for index, value in enumerate(values):
        ref = normal_ref(value, f"{path}[{index}]", **rules)
        refs.setdefault(ref.lower(), ref)
    return list(refs.values())


def take_mapping(data: dict, key: str, path: str) -> dict:
    value = data.pop(key, None)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Problem(path, f"{path} must be a mapping of keys to values")
    return value


def _key_problem(key: str) -> str | None:
    """Backstage's rule for label and annotation keys: `[dns-prefix/]name`."""
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN_RE.match(prefix)):
        return f"'{prefix}' is not a valid key prefix: use a lowercase domain like example.com"
    return name_problem(name)


def take_string_map(meta: dict, key: str, *, label_values=False) -> dict[str, str]:
    """Labels or annotations: text keys and text values, each key valid for Backstage."""
    values = take_mapping(meta, key, f"metadata.{key}")
    for map_key, value in values.items():
        path = f"metadata.{key}.{map_key}"
        if problem := _key_problem(map_key):
            raise Problem(path, problem)
        if not isinstance(value, str):
            raise Problem(path, f"{path} must be text: quote it, e.g. '{value}'")
        if label_values and value and name_problem(value):
            raise Problem(path, f"label values follow the name rules: {name_problem(value)}")
    return dict(values)


def take_tags(meta: dict) -> list[str]:
    tags = meta.pop("tags", None)
    if tags is None:
        return []
    if not isinstance(tags, list):
        raise Problem("metadata.tags", "metadata.tags must be a list, e.g. [python, payments]")
    for index, tag in enumerate(tags):
        if not isinstance(tag, str) or len(tag) > 63 or not TAG_RE.match(tag):
            raise Problem(
                f"metadata.tags[{index}]",
                f"'{tag}' is not a valid tag: use lowercase letters, digits, '+', '#' or ':' "
                "in words joined by '-', at most 63 characters, e.g. 'data-pipeline'",
            )
    return sorted(set(tags))


def _link(raw: object, index: int) -> dict:
    path = f"metadata.links[{index}]"
    if not isinstance(raw, dict):
        raise Problem(path, f"{path} must be a mapping with url, title and type")
    link = dict(raw)
    url = take_text(
        link,
        "url",
        f"{path}.url",
        required=True,
        max_length=500,
        example="https://docs.example.com",
    )
    if not is_web_url(url):
        raise Problem(f"{path}.url", f"'{url}' is not a valid http(s) URL")
    title = take_text(link, "title", f"{path}.title", max_length=200, example="Runbook")
    icon = take_text(link, "icon", f"{path}.icon", max_length=50, example="dashboard")
    link_type = take_text(link, "type", f"{path}.type", example="runbook")
    if link:
        raise Problem(f"{path}.{next(iter(link))}", "links only have url, title, icon and type")
    return {"url": url, "title": title, "icon": icon, "type": link_type}


def take_links(meta: dict) -> list[dict]:
    links = meta.pop("links", None)
    if links is None:
        return []
    if not isinstance(links, list):
        raise Problem("metadata.links", "metadata.links must be a list of {url, title, type}")
    return [_link(raw, index) for index, raw in enumerate(links)]


def component_annotations(annotations: dict) -> dict:
    """Pop the annotations that carry Component fields: tier, language, repository URL."""
    fields = {"tier": DEFAULT_TIER, "language": "", "repository_url": ""}
    tier = annotations.pop(ANNOTATION_TIER, None)
    if tier is not None:
        if tier.strip() not in {"1", "2", "3", "4"}:
            raise Problem(
                f"metadata.annotations.{ANNOTATION_TIER}",
                f'\'{tier}\' is not a tier: use "1", "2", "3" or "4" (1 is the most critical)',
            )
        fields["tier"] = int(tier)
    language = annotations.pop(ANNOTATION_LANGUAGE, None)
    if language is not None:
        fields["language"] = take_text(
            {"v": language}, "v", f"metadata.annotations.{ANNOTATION_LANGUAGE}", example="python"
        )
    source = annotations.get(ANNOTATION_SOURCE, "")
    # Only plain http(s) URLs fit the model; any other form stays as the annotation it was.
    if source.startswith("url:") and len(source) <= 504 and is_web_url(source[4:]):
        fields["repository_url"] = annotations.pop(ANNOTATION_SOURCE)[4:]
    return fields


def _owner(spec: dict, namespace: str) -> str:
    return take_ref(
        spec,
        "owner",
        "spec.owner",
        required=True,
        namespace=namespace,
        default_kind="group",
        kinds={"group", "user"},
    )


def _system(spec: dict, namespace: str) -> str:
    return take_ref(
        spec, "system", "spec.system", namespace=namespace, default_kind="system", kinds={"system"}
    )


def read_component(spec: dict, namespace: str) -> Parsed:
    api_rules = {"namespace": namespace, "default_kind": "api", "kinds": {"api"}}
    return Parsed(
        fields={
            "type": take_text(spec, "type", "spec.type", required=True, example="service"),
            "lifecycle": take_text(
                spec, "lifecycle", "spec.lifecycle", required=True, example="production"
            ),
        },
        refs={
            "owner_ref": _owner(spec, namespace),
            "system_ref": _system(spec, namespace),
            "subcomponent_of_ref": take_ref(
                spec,
                "subcomponentOf",
                "spec.subcomponentOf",
                namespace=namespace,
                default_kind="component",
                kinds={"component"},
            ),
        },
        lists={
            "provides_apis": take_refs(spec, "providesApis", "spec.providesApis", **api_rules),
            "consumes_apis": take_refs(spec, "consumesApis", "spec.consumesApis", **api_rules),
            # Backstage gives dependsOn no default kind: every entry says what it points at.
            "depends_on": take_refs(
                spec,
                "dependsOn",
                "spec.dependsOn",
                namespace=namespace,
                default_kind="",
                kinds={"component", "resource"},
            ),
        },
    )


def read_api(spec: dict, namespace: str) -> Parsed:
    definition = spec.pop("definition", None)
    if isinstance(definition, dict) and any(key.startswith("$") for key in definition):
        raise Problem(
            "spec.definition",
            "placeholders like $text are not followed: paste the "
            "definition inline as a block string (definition: |)",
        )
    if not isinstance(definition, str) or not definition.strip():
        raise Problem(
            "spec.definition",
            "spec.definition is required: the OpenAPI, AsyncAPI, "
            "GraphQL or gRPC definition as a block string (definition: |)",
        )
    return Parsed(
        fields={
            "type": take_text(spec, "type", "spec.type", required=True, example="openapi"),
            "lifecycle": take_text(
                spec, "lifecycle", "spec.lifecycle", required=True, example="production"
            ),
            "definition": definition,
        },
        refs={"owner_ref": _owner(spec, namespace), "system_ref": _system(spec, namespace)},
    )


def read_system(spec: dict, namespace: str) -> Parsed:
    domain = take_ref(
        spec, "domain", "spec.domain", namespace=namespace, default_kind="domain", kinds={"domain"}
    )
    return Parsed(refs={"owner_ref": _owner(spec, namespace), "domain_ref": domain})


def read_domain(spec: dict, namespace: str) -> Parsed:
    return Parsed(refs={"owner_ref": _owner(spec, namespace)})


def read_resource(spec: dict, namespace: str) -> Parsed:
    return Parsed(
        fields={"type": take_text(spec, "type", "spec.type", required=True, example="database")},
        refs={"owner_ref": _owner(spec, namespace), "system_ref": _system(spec, namespace)},
    )


def read_group(spec: dict, namespace: str) -> Parsed:
    profile = take_mapping(spec, "profile", "spec.profile")
    title = take_text(profile, "displayName", "spec.profile.displayName", max_length=200)
    if profile:
        spec["profile"] = profile
    # children is derived from the other groups' parent, so what is written here is ignored.
    spec.pop("children", None)
    return Parsed(
        fields={
            "type": take_text(spec, "type", "spec.type", required=True, example="team"),
            "title": title,
        },
        refs={
            "parent_ref": take_ref(
                spec,
                "parent",
                "spec.parent",
                namespace=namespace,
                default_kind="group",
                kinds={"group"},
            )
        },
    )


def read_user(spec: dict, namespace: str) -> Parsed:
    profile = take_mapping(spec, "profile", "spec.profile")
    email = take_text(
        profile, "email", "spec.profile.email", max_length=254, example="jo@example.com"
    )
    if email and "@" not in email:
        raise Problem("spec.profile.email", f"'{email}' is not an email address")
    if "memberOf" not in spec:
        raise Problem(
            "spec.memberOf",
            "spec.memberOf is required: a list of groups, e.g. [payments] or [] for none",
        )
    return Parsed(
        fields={
            "email": email,
            "display_name": take_text(
                profile, "displayName", "spec.profile.displayName", max_length=150
            ),
        },
        lists={
            "member_of": take_refs(
                spec,
                "memberOf",
                "spec.memberOf",
                namespace=namespace,
                default_kind="group",
                kinds={"group"},
            ),
        },
    )


def read_location(spec: dict) -> tuple[str, list[str], str]:
    """(type, targets, presence) of a Location; it names files to read, not an entity."""
    location_type = take_text(spec, "type", "spec.type", example="file") or "url"
    targets = []
    if spec.get("target") is not None:
        targets.append(take_text(spec, "target", "spec.target", max_length=1000))
    more = spec.pop("targets", None) or []
    if not isinstance(more, list) or not all(isinstance(t, str) and t for t in more):
        raise Problem("spec.targets", "spec.targets must be a list of paths, e.g. [./a.yaml]")
    presence = spec.pop("presence", "required")
    if presence not in {"required", "optional"}:
        raise Problem("spec.presence", "spec.presence is 'required' or 'optional'")
    return location_type, targets + more, presence


READERS = {
    "Component": read_component,
    "API": read_api,
    "System": read_system,
    "Domain": read_domain,
    "Resource": read_resource,
    "Group": read_group,
    "User": read_user,
}
