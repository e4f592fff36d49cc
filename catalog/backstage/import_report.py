"""What a catalog import did, and the audit events that record it.

An import never moves an entity from one team to another on a file's say-so alone: such an
owner change is held (the entity is left exactly as it was) unless a platform admin confirms
it, and User documents grant team memberships only when a platform admin trusts them. The
report says what was held and skipped; `record_import()` writes one `catalog.import` event per
import and one `catalog.owner_change` event per confirmed move.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from catalog.backstage.descriptors import Rejection
from idp_portal import audit


@dataclass(frozen=True)
class Unresolved:
    """A reference an imported entity makes to an entity the catalog does not have."""

    entity: str
    field: str
    target: str

    def __str__(self) -> str:
        return (
            f"{self.entity} {self.field} → {self.target} is not in the catalog (kept: it "
            "resolves when that entity is imported)"
        )


@dataclass(frozen=True)
class OwnerChange:
    """An existing entity owned by one team whose document names a different owner."""

    entity: str
    current: str  # the owning team's reference, e.g. group:default/payments
    proposed: str  # the document's spec.owner, "" when it names none
    current_team: str = field(compare=False)  # the owning team's name, for the audit trail
    model: type = field(compare=False, repr=False)
    pk: int = field(compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.entity}: owned by {self.current}, the file says {self.proposed or '(none)'}"


@dataclass
class ImportReport:
    """What an import did, entity by entity, and what it refused, held or skipped and why."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    files_read: list[str] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)
    held_owner_changes: list[OwnerChange] = field(default_factory=list)
    owner_changes: list[OwnerChange] = field(default_factory=list)  # confirmed and applied
    memberships_granted: int = 0
    memberships_skipped: int = 0

    def summary(self) -> str:
        held = len(self.held_owner_changes)
        total = len(self.created) + len(self.updated) + len(self.unchanged) + held
        return (
            f"{total} entities from {len(self.files_read)} files: {len(self.created)} "
            f"created, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.rejected)} rejected" + (f", {held} held (owner change)" if held else "")
        )

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "rejected": len(self.rejected),
            "held_owner_changes": len(self.held_owner_changes),
            "owner_changes": len(self.owner_changes),
            "memberships_granted": self.memberships_granted,
            "memberships_skipped": self.memberships_skipped,
        }


def record_import(report: ImportReport, actor=None, actor_name: str = "") -> None:
    """One `catalog.import` event with the counts, one `catalog.owner_change` per moved entity."""
    detail = (
        f"{report.summary()}; team memberships: {report.memberships_granted} granted, "
        f"{report.memberships_skipped} skipped"
    )
    audit.record(actor, "catalog.import", after=report.counts(), detail=detail,
                 actor_name=actor_name)  # fmt: skip
    pks_by_model = defaultdict(list)
    for change in report.owner_changes:
        pks_by_model[change.model].append(change.pk)
    rows = {model: model.objects.in_bulk(pks) for model, pks in pks_by_model.items()}
    for change in report.owner_changes:
        audit.record(
            actor,
            "catalog.owner_change",
            rows[change.model].get(change.pk),
            team=change.current_team,
            before={"owner": change.current},
            after={"owner": change.proposed},
            detail=f"{change.entity} moved by a confirmed catalog import",
            actor_name=actor_name,
        )
