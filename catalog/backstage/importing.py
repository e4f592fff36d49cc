"""Import Backstage descriptors into the catalog: the service behind `import_catalog` and the
upload form.

1. Read every file (catalog/backstage/import_sources.py); Locations add the files they point at.
2. Keep the first definition of each entity; later ones are rejected, naming the first.
3. Write kind by kind, groups first and users last, in batches of BATCH_SIZE: existing rows are
   looked up by name in one query per batch, rows whose content hash (`etag`) matches are left
   alone, the rest are created or updated in place with bulk queries. References to kinds
   written earlier are resolved as the rows are written.
4. Resolve what could not be resolved while writing (components pointing at components, groups
   at groups, and rows imported earlier whose target has now arrived). References to missing
   entities stay as written, with no row behind them, and are listed in the report.

An entity a team owns is not moved to another owner unless the import confirms owner changes:
it is held, left exactly as it was, and listed in the report. User documents add team
memberships only when the import trusts them. Every import leaves an audit event
(catalog/backstage/import_report.py).

While the import writes, the search table's triggers wait (catalog/search_table.py,
`deferred`): the search rows of the components it created or updated are written once, at the
end, in one statement. Its COPYs run with triggers off where the role may (catalog/bulk_insert.py,
`triggers_off`): their foreign keys are checked set-wise after each COPY, not row by row at
the commit. Python's cycle collector is off meanwhile (it found nothing to free in
the import's objects, only rescanned them).

Each batch is written in a savepoint. If it fails, its documents are written again one by one,
each in its own savepoint, and only the failing ones are rejected: nothing is half-made and one
bad document never stops the rest.
"""

import gc
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from catalog import access, bulk_insert, search_table
from catalog.backstage.descriptors import MAX_FILE_BYTES, EntitySpec, Rejection
from catalog.backstage.import_report import ImportReport, OwnerChange, Unresolved, record_import
from catalog.backstage.import_sources import ReadResult, open_sources, read_tree
from catalog.backstage.refs import format_ref, parse_ref
from catalog.bulk_insert import create_rows, insert_rows
from catalog.choices import TeamRole
from catalog.models import (
    Api,
    ApiRelation,
    Component,
    Dependency,
    Domain,
    Link,
    OwnedEntity,
    Resource,
    System,
    Tag,
    Team,
    TeamMembership,
)
from catalog.services import search_text_for

BATCH_SIZE = 500
LOOKUP_CHUNK = 500
WRITE_ORDER = ["Group", "Domain", "System", "Resource", "API", "Component", "User"]
MODELS = {
    "Group": Team,
    "Domain": Domain,
    "System": System,
    "Resource": Resource,
    "API": Api,
    "Component": Component,
}
MODELS_BY_REF_KIND = {model.KIND: model for model in MODELS.values()}
# reference column → (foreign key column, the kind it must name to resolve)
REF_FKS = {
    "owner_ref": ("owner_id", "group"),
    "system_ref": ("system_id", "system"),
    "domain_ref": ("domain_id", "domain"),
    "subcomponent_of_ref": ("subcomponent_of_id", "component"),
    "parent_ref": ("parent_id", "group"),
}
SWEEPS = [
    (Component, "owner_ref"),
    (Component, "system_ref"),
    (Component, "subcomponent_of_ref"),
    (Api, "owner_ref"),
    (Api, "system_ref"),
    (System, "owner_ref"),
    (System, "domain_ref"),
    (Domain, "owner_ref"),
    (Resource, "owner_ref"),
    (Resource, "system_ref"),
    (Team, "parent_ref"),
]
LINK_COLUMNS = ["component", "title", "url", "kind", "icon"]
CHILD_TABLES = [
    (Link, "component_id"),
    (ApiRelation, "component_id"),
    (Dependency, "source_id"),
    (Component.tags.through, "component_id"),
]
LIST_FIELDS = {
    "provides_apis": "spec.providesApis",
    "consumes_apis": "spec.consumesApis",
    "depends_on": "spec.dependsOn",
    "member_of": "spec.memberOf",
}

Key = tuple[str, str, str]
TRUST_ADMINS_ONLY = (
    "Only platform admins can confirm owner changes or grant team memberships from an import: "
    "import without them, or ask a platform admin."
)


class RefKeys(dict):
    """(kind, namespace, lower-case name) of each normalized reference, parsed once per import
    (a bounded cache cycled through an import's 100,000 names)."""

    def __missing__(self, ref: str) -> Key:
        parsed = parse_ref(ref)
        key = self[ref] = (parsed.kind, parsed.namespace, parsed.name.lower())
        return key


class RefIndex:
    """Row ids by (kind, namespace, lower-case name), looked up in bulk and remembered."""

    def __init__(self):
        self._ids: dict[Key, int | None] = {}

    def ensure(self, keys) -> None:
        wanted: dict[tuple[str, str], set[str]] = defaultdict(set)
        for kind, namespace, name in keys:
            if (kind, namespace, name) not in self._ids:
                wanted[kind, namespace].add(name)
        for (kind, namespace), names in wanted.items():
            found = _ids_by_name(kind, namespace, sorted(names))
            for name in names:
                self._ids[kind, namespace, name] = found.get(name, (None,))[0]

    def get(self, key: Key) -> int | None:
        return self._ids.get(key)

    def add(self, key: Key, pk: int) -> None:
        self._ids[key] = pk


def _ids_by_name(kind: str, namespace: str, names: list[str]) -> dict[str, tuple]:
    """{lower-case name: (id, etag)} of one kind's rows in one namespace."""
    found = {}
    if kind == "user":
        if namespace != "default":
            return found
        users = get_user_model().objects.annotate(lname=Lower("username"))
        for start in range(0, len(names), LOOKUP_CHUNK):
            rows = users.filter(lname__in=names[start : start + LOOKUP_CHUNK])
            found |= {lname: (pk, "") for lname, pk in rows.values_list("lname", "pk")}
        return found
    model = MODELS_BY_REF_KIND.get(kind)
    if model is None:
        return found
    if connection.vendor == "postgresql":
        return _pg_ids_by_name(model, namespace, names)
    # Matches the case-insensitive unique index on (namespace, name).
    rows = model.objects.annotate(lns=Lower("namespace"), lname=Lower("name")).filter(lns=namespace)
    for start in range(0, len(names), LOOKUP_CHUNK):
        chunk = rows.filter(lname__in=names[start : start + LOOKUP_CHUNK])
        found |= {lname: (pk, etag) for lname, pk, etag in chunk.values_list("lname", "pk", "etag")}
    return found


def _pg_ids_by_name(model, namespace: str, names: list[str]) -> dict[str, tuple]:
    """As `_ids_by_name`, one index probe on (namespace, name) per name.

    `lower(name) IN (...)` lets PostgreSQL probe the index by namespace alone and filter the
    names, which reads every row of the namespace: a namespace an import is filling has no
    statistics yet, so the planner takes it for tiny, and a 100,000-entity import spent 30 s
    re-reading its own rows (a plain join is hashed over the namespace, just as slow). A
    lateral subquery with LIMIT 1 cannot be flattened: each name is one probe on both columns.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    # The table name comes from the model's metadata: nothing here is user input.
    sql = (
        "SELECT wanted.name, row.id, row.etag FROM unnest(%s::text[]) AS wanted(name) "  # noqa: S608
        f"CROSS JOIN LATERAL (SELECT id, etag FROM {table} WHERE lower(namespace) = %s "
        "AND lower(name) = wanted.name LIMIT 1) AS row"
    )
    found = {}
    with connection.cursor() as cursor:
        for start in range(0, len(names), LOOKUP_CHUNK * 10):
            cursor.execute(sql, [names[start : start + LOOKUP_CHUNK * 10], namespace])
            found |= {name: (pk, etag) for name, pk, etag in cursor.fetchall()}
    return found


@dataclass
class Outcome:
    created: list[tuple[EntitySpec, int]] = field(default_factory=list)
    updated: list[tuple[EntitySpec, int]] = field(default_factory=list)
    unchanged: list[tuple[EntitySpec, int]] = field(default_factory=list)
    held: list[OwnerChange] = field(default_factory=list)
    owner_changes: list[OwnerChange] = field(default_factory=list)
    memberships_granted: int = 0
    memberships_skipped: int = 0


class Writer:
    """Writes parsed entities kind by kind and keeps the report."""

    def __init__(
        self, report: ImportReport, *, confirm_owner_changes=False, trust_memberships=False
    ):
        self.report = report
        self.confirm_owner_changes = confirm_owner_changes
        self.trust_memberships = trust_memberships
        self.index = RefIndex()
        self.ref_keys = RefKeys()
        self.written: list[EntitySpec] = []
        self.changed_components: list[int] = []  # ids of the components created or updated

    def write(self, kind: str, specs: list[EntitySpec]) -> None:
        """Write one kind in batches; a failing batch is retried document by document."""
        write_batch = self._write_users if kind == "User" else self._write_batch
        for start in range(0, len(specs), BATCH_SIZE):
            batch = specs[start : start + BATCH_SIZE]
            try:
                with transaction.atomic():
                    outcome = write_batch(kind, batch)
            except Exception:  # any database refusal: find the culprit document by document
                self._write_one_by_one(kind, batch, write_batch)
            else:
                self._record(outcome)

    def _write_one_by_one(self, kind: str, batch: list[EntitySpec], write_batch) -> None:
        for spec in batch:
            try:
                with transaction.atomic():
                    outcome = write_batch(kind, [spec])
            except Exception as exc:  # one document's failure must not stop the others
                reason = f"could not be saved: {exc.__class__.__name__}: {exc}"[:500]
                self.report.rejected.append(Rejection(spec.file, spec.index, "", reason))
            else:
                self._record(outcome)

    def _record(self, outcome: Outcome) -> None:
        for spec, pk in outcome.created + outcome.updated + outcome.unchanged:
            self.index.add(spec.key, pk)
            self.written.append(spec)
        self.changed_components += [pk for spec, pk in outcome.created + outcome.updated
                                    if spec.kind == "Component"]  # fmt: skip
        self.report.created += [spec.ref for spec, _ in outcome.created]
        self.report.updated += [spec.ref for spec, _ in outcome.updated]
        self.report.unchanged += [spec.ref for spec, _ in outcome.unchanged]
        self.report.held_owner_changes += outcome.held
        self.report.owner_changes += outcome.owner_changes
        self.report.memberships_granted += outcome.memberships_granted
        self.report.memberships_skipped += outcome.memberships_skipped

    def _spec_refs(self, spec: EntitySpec) -> list[Key]:
        keys = self.ref_keys
        refs = [keys[ref] for ref in spec.refs.values() if ref]
        return refs + [keys[ref] for name in LIST_FIELDS for ref in spec.lists.get(name, ())]

    def _target(self, ref_field: str, ref: str) -> int | None:
        """The row a reference column points at, when it is of the kind the column takes."""
        if not ref or (key := self.ref_keys[ref])[0] != REF_FKS[ref_field][1]:
            return None
        return self.index.get(key)

    def _values(self, model, spec: EntitySpec) -> dict:
        """The row for `spec` as {column attribute: value}."""
        values = {
            "namespace": spec.namespace,
            "name": spec.name,
            "etag": spec.digest,
            "extra": spec.extra,
            **spec.fields,
            **spec.refs,
        }
        for ref_field, ref in spec.refs.items():
            values[REF_FKS[ref_field][0]] = self._target(ref_field, ref)
        if model is Component:
            values["search_text"] = search_text_for(
                spec.name, spec.fields["title"], spec.fields["description"], spec.lists["tags"]
            )
        return values

    def _update_fields(self, model, spec: EntitySpec) -> list[str]:
        names = ["namespace", "name", "etag", "extra", "updated_at", *spec.fields, *spec.refs]
        names += [REF_FKS[ref_field][0] for ref_field in spec.refs]
        return names + (["search_text"] if model is Component else [])

    def _write_batch(self, kind: str, specs: list[EntitySpec]) -> Outcome:
        model = MODELS[kind]
        by_namespace = defaultdict(list)
        for spec in specs:
            by_namespace[spec.key[1]].append(spec.key[2])
        existing = {
            (namespace, name): found
            for namespace, names in by_namespace.items()
            for name, found in _ids_by_name(model.KIND, namespace, names).items()
        }
        self.index.ensure(key for spec in specs for key in self._spec_refs(spec))
        outcome, created, updated = Outcome(), [], []
        owners = self._current_owners(model, specs, existing)
        for spec in specs:
            pk, etag = existing.get(spec.key[1:], (None, None))
            if pk is not None and etag == spec.digest:
                outcome.unchanged.append((spec, pk))
            elif pk is None:
                created.append((spec, self._values(model, spec)))
            elif (change := self._owner_change(model, spec, pk, owners)) and not (
                self.confirm_owner_changes
            ):
                outcome.held.append(change)  # left exactly as it is, every field of it
            else:
                updated.append((spec, model(pk=pk, **self._values(model, spec))))
                outcome.owner_changes += [change] if change else []
        ids = create_rows(model, [values for _, values in created])
        outcome.created = [(spec, pk) for (spec, _), pk in zip(created, ids, strict=True)]
        now = timezone.now()
        for _, row in updated:
            row.updated_at = now
        if updated:
            fields = self._update_fields(model, updated[0][0])
            model.objects.bulk_update([row for _, row in updated], fields)
        outcome.updated = [(spec, row.pk) for spec, row in updated]
        if model is Component:
            self._write_children(
                outcome.created + outcome.updated, [pk for _, pk in outcome.updated]
            )
        return outcome

    @staticmethod
    def _current_owners(model, specs: list[EntitySpec], existing: dict) -> dict[int, tuple]:
        """{id: (team id, team reference, team name)} of the rows `specs` would change that a
        team owns."""
        if not issubclass(model, OwnedEntity):
            return {}
        pks = [found[0] for spec in specs if (found := existing.get(spec.key[1:]))
               and found[1] != spec.digest]  # fmt: skip
        rows = model.objects.filter(pk__in=pks, owner__isnull=False).values_list(
            "pk", "owner_id", "owner__namespace", "owner__name"
        )
        return {pk: (team, format_ref("Group", ns, name), name) for pk, team, ns, name in rows}

    def _owner_change(self, model, spec: EntitySpec, pk: int, owners: dict) -> OwnerChange | None:
        """The move `spec` would make from the team that owns row `pk` to another owner."""
        if pk not in owners:
            return None  # nobody owns it yet: claiming it takes nothing from a team
        team, team_ref, team_name = owners[pk]
        proposed = spec.refs.get("owner_ref", "")
        if self._target("owner_ref", proposed) == team:
            return None
        return OwnerChange(spec.ref, team_ref, proposed, team_name, model, pk)

    def _tag_ids(self, names: set[str]) -> dict[str, int]:
        Tag.objects.bulk_create([Tag(name=name) for name in sorted(names)], ignore_conflicts=True)
        return dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))

    def _write_children(self, pairs: list[tuple[EntitySpec, int]], replaced: list[int]) -> None:
        """Tags, links, API relations and dependencies of created or changed components."""
        through = Component.tags.through
        for model, column in CHILD_TABLES:
            if replaced:
                model.objects.filter(**{f"{column}__in": replaced}).delete()
        batch_ids = {spec.key: pk for spec, pk in pairs}
        tag_ids = self._tag_ids({tag for spec, _ in pairs for tag in spec.lists["tags"]})
        tags, links, apis, dependencies = [], [], [], []
        for spec, pk in pairs:
            tags += [(pk, tag_ids[tag]) for tag in spec.lists["tags"]]
            links += [(pk, *(link[k] for k in LINK_COLUMNS[1:])) for link in spec.lists["links"]]
            apis += self._api_rows(spec, pk)
            dependencies += [self._dependency_row(ref, pk, batch_ids) for ref in
                             spec.lists["depends_on"]]  # fmt: skip
        insert_rows(through, ["component", "tag"], tags)
        insert_rows(Link, LINK_COLUMNS, links)
        insert_rows(ApiRelation, ["component", "kind", "api_ref", "api"], apis)
        columns = ["source", "target_ref", "target_component", "target_resource"]
        insert_rows(Dependency, columns, dependencies)

    def _api_rows(self, spec: EntitySpec, pk: int) -> list[tuple]:
        rows, keys, get = [], self.ref_keys, self.index.get
        for relation, name in (("provides", "provides_apis"), ("consumes", "consumes_apis")):
            rows += [(pk, relation, ref, get(keys[ref])) for ref in spec.lists[name]]
        return rows

    def _dependency_row(self, ref: str, pk: int, batch_ids: dict) -> tuple:
        """(source, reference, component, resource): a component in this batch counts too."""
        key = self.ref_keys[ref]
        target = batch_ids.get(key) or self.index.get(key)
        return (pk, ref, target, None) if key[0] == "component" else (pk, ref, None, target)

    def _write_users(self, kind: str, specs: list[EntitySpec]) -> Outcome:
        """Create missing accounts (no usable password); add the listed memberships if trusted.

        Existing accounts are matched by username and otherwise left alone: an import never
        changes who can sign in as whom, and never removes a membership. Memberships put
        people into teams (whose members deploy and approve), so untrusted files only count
        the ones they would add.
        """
        existing = _ids_by_name("user", "default", [spec.key[2] for spec in specs])
        self.index.ensure(key for spec in specs for key in self._spec_refs(spec))
        new = [spec for spec in specs if spec.key[2] not in existing]
        user_model = get_user_model()
        rows = [self._user(user_model, spec) for spec in new]
        user_model.objects.bulk_create(rows)
        ids = {name: pk for name, (pk, _) in existing.items()}
        ids |= {spec.key[2]: row.pk for spec, row in zip(new, rows, strict=True)}
        missing = self._missing_memberships(specs, ids)
        outcome, changed = Outcome(), set()
        if self.trust_memberships:
            TeamMembership.objects.bulk_create(
                [TeamMembership(user_id=u, team_id=t, role=TeamRole.MEMBER) for u, t in missing]
            )
            outcome.memberships_granted, changed = len(missing), {user for user, _ in missing}
        else:
            outcome.memberships_skipped = len(missing)
        for spec in specs:
            pk = ids[spec.key[2]]
            if spec.key[2] not in existing:
                outcome.created.append((spec, pk))
            else:
                (outcome.updated if pk in changed else outcome.unchanged).append((spec, pk))
        return outcome

    def _missing_memberships(self, specs: list[EntitySpec], ids: dict[str, int]) -> list[tuple]:
        """(user id, team id) for each listed group the user is not yet a member of."""
        have = set(
            TeamMembership.objects.filter(user_id__in=ids.values()).values_list(
                "user_id", "team_id"
            )
        )
        wanted = {(ids[spec.key[2]], team) for spec in specs for ref in spec.lists["member_of"]
                  if (team := self.index.get(self.ref_keys[ref]))}  # fmt: skip
        return sorted(wanted - have)

    @staticmethod
    def _user(user_model, spec: EntitySpec):
        first, _, last = spec.fields["display_name"].partition(" ")
        return user_model(
            username=spec.name,
            email=spec.fields["email"],
            first_name=first[:150],
            last_name=last[:150],
            password=make_password(None),
        )

    def resolve(self) -> None:
        """Point rows at entities this import created, which they name but could not reach.

        Only kinds that gained rows can satisfy a reference that was missing before, so only
        their references are looked at, with one query per referring column.
        """
        created = {self.ref_keys[ref][0] for ref in self.report.created}
        for model, ref_field in SWEEPS:
            fk, kind = REF_FKS[ref_field]
            if kind in created:
                rows = model.objects.filter(**{f"{fk}__isnull": True})
                rows = rows.filter(**{f"{ref_field}__startswith": f"{kind}:"})
                self._link(model, fk, list(rows.values_list("pk", ref_field)))
        if "api" in created:
            rows = ApiRelation.objects.filter(api__isnull=True)
            self._link(ApiRelation, "api_id", list(rows.values_list("pk", "api_ref")))
        orphans = Dependency.objects.filter(
            target_component__isnull=True, target_resource__isnull=True
        )
        for kind, fk in (("component", "target_component_id"), ("resource", "target_resource_id")):
            if kind in created:
                rows = orphans.filter(target_ref__startswith=f"{kind}:")
                self._link(Dependency, fk, list(rows.values_list("pk", "target_ref")))

    def _link(self, model, fk: str, pairs: list[tuple[int, str]]) -> None:
        """Point each row at the target its reference names, a chunk of rows per query (the
        dependencies among 100,000 imported components name as many targets)."""
        keys = {pk: self.ref_keys[ref] for pk, ref in pairs}
        self.index.ensure(keys.values())
        targets = [(pk, target) for pk, key in keys.items() if (target := self.index.get(key))]
        if connection.vendor == "postgresql":
            _pg_link(model, fk, targets)
        else:
            rows = [model(pk=pk, **{fk: target}) for pk, target in targets]
            model.objects.bulk_update(rows, [fk], batch_size=LOOKUP_CHUNK)

    def unresolved(self) -> list[Unresolved]:
        """References of the written entities that name nothing in the catalog: each distinct
        reference is looked up once, and only the entities naming a missing one are listed."""
        refs: set[str] = set()
        for spec in self.written:
            refs.update(spec.refs.values())
            for name in LIST_FIELDS:
                refs.update(spec.lists.get(name, ()))
        refs.discard("")
        keys = {ref: self.ref_keys[ref] for ref in refs}
        self.index.ensure(set(keys.values()))
        missing = {ref for ref, key in keys.items() if self.index.get(key) is None}
        return [
            Unresolved(spec.ref, path, ref.lower())
            for spec in self.written
            if missing and _names_any(spec, missing)
            for path, ref in _named_refs(spec)
            if ref in missing
        ]


def _names_any(spec: EntitySpec, refs: set[str]) -> bool:
    if not refs.isdisjoint(spec.refs.values()):
        return True
    return any(not refs.isdisjoint(spec.lists.get(name, ())) for name in LIST_FIELDS)


def _named_refs(spec: EntitySpec):
    """(field path, reference) of every reference an entity makes."""
    for ref_field, ref in spec.refs.items():
        if ref:
            yield _ref_path(ref_field), ref
    for name, path in LIST_FIELDS.items():
        for ref in spec.lists.get(name, ()):
            yield path, ref


def _pg_link(model, fk: str, pairs: list[tuple[int, int]]) -> None:
    """Set `fk` of each (row id, target id): unnest() takes 5,000 pairs per UPDATE."""
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(model._meta.get_field(fk).column)
    # Names come from the model's own metadata, quoted: nothing here is user input.
    sql = (
        f"UPDATE {table} SET {column} = pairs.target FROM unnest(%s::bigint[], %s::bigint[]) "  # noqa: S608
        f"AS pairs(id, target) WHERE {table}.id = pairs.id"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), LOOKUP_CHUNK * 10):
            chunk = pairs[start : start + LOOKUP_CHUNK * 10]
            cursor.execute(sql, [[pk for pk, _ in chunk], [target for _, target in chunk]])


@lru_cache(maxsize=64)
def _ref_path(ref_field: str) -> str:
    """e.g. spec.subcomponentOf for subcomponent_of_ref."""
    first, *rest = ref_field.removesuffix("_ref").split("_")
    return "spec." + first + "".join(part.title() for part in rest)


def _deduplicated(read: ReadResult) -> dict[str, list[EntitySpec]]:
    """Entities by kind, first definition wins; later ones are rejected naming the first."""
    first: dict[tuple, EntitySpec] = {}
    for spec in read.entities:
        if spec.key in first:
            kept = first[spec.key]
            reason = f"{spec.ref} is already defined in {kept.file}#{kept.index}: keep one"
            read.rejections.append(Rejection(spec.file, spec.index, "metadata.name", reason))
        else:
            first[spec.key] = spec
    by_kind = defaultdict(list)
    for spec in first.values():
        by_kind[spec.kind].append(spec)
    return by_kind


@contextmanager
def _no_cycle_collection():
    """Python's cycle collector off while an import runs: the millions of dicts and lists it
    builds are kept to the end, so the collector only rescans them (a tenth of the parse) and
    finds nothing to free."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_descriptors(
    sources,
    *,
    max_file_bytes: int = MAX_FILE_BYTES,
    actor=None,
    actor_name: str = "",
    confirm_owner_changes: bool = False,
    trust_memberships: bool = False,
    parallel_parse: bool = False,
) -> ImportReport:
    """Import a folder, files, or (name, bytes) pairs; running it twice changes nothing.

    Files larger than `max_file_bytes` are rejected unread. `actor` is the user importing
    (None for the platform itself: a command or the demo seed); confirming owner changes and
    trusting memberships are a platform admin's call. The import is recorded in the audit trail.
    `parallel_parse` (the import_catalog command) parses a large file on several processes.
    """
    if actor is not None and (confirm_owner_changes or trust_memberships):
        access.require(actor, "catalog.import_trust", why=TRUST_ADMINS_ONLY)
    with _no_cycle_collection():
        tree, start = open_sources(sources)
        tree.max_bytes = max_file_bytes
        read = read_tree(tree, start, parallel=parallel_parse)
        report = ImportReport(files_read=read.files_read, skipped_files=read.skipped_files)
        by_kind = _deduplicated(read)
        report.rejected = read.rejections
        writer = Writer(
            report, confirm_owner_changes=confirm_owner_changes, trust_memberships=trust_memberships
        )
        with transaction.atomic():
            # A component's search row is written once, not with the row and again with its tags.
            # Its COPYs skip the per-row foreign-key triggers, checked set-wise per COPY instead.
            with search_table.deferred(writer.changed_components), bulk_insert.triggers_off():
                for kind in WRITE_ORDER:
                    writer.write(kind, by_kind.get(kind, []))
            writer.resolve()
            report.unresolved = writer.unresolved()
            record_import(report, actor, actor_name)
        return report
