"""Every write of the tickets part: importing an export, the default rules, saved export
formats and help requests; each audited."""

from dataclasses import dataclass, field

from django.db import transaction

from catalog.models import Component, Team
from feedback.tickets import parsing
from feedback.tickets.models import ClassificationRule, ColumnMapping, HelpRequest, Ticket
from idp_portal import audit


@dataclass
class ImportReport:
    """What an import did: rows created, updated (same key again), skipped with reasons."""

    created: int = 0
    updated: int = 0
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unclassified: int = 0

    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {len(self.skipped)} skipped, "
            f"{self.unclassified} unclassified"
        )


def ensure_default_rules() -> int:
    """Create the default keyword/label rules when there are no rules at all; how many made."""
    if ClassificationRule.objects.exists():
        return 0
    rules = [
        ClassificationRule(match=r.match, pattern=r.pattern, type=r.type, priority=r.priority)
        for r in parsing.DEFAULT_RULES
    ]
    ClassificationRule.objects.bulk_create(rules, ignore_conflicts=True)
    return len(rules)


def current_rules() -> list[parsing.Rule]:
    return [
        parsing.Rule(r.match, r.pattern, r.type, r.priority)
        for r in ClassificationRule.objects.all()
    ]


# What an import writes on a ticket; a re-import of its key overwrites them.
TICKET_FIELDS = ["created", "resolved", "summary", "labels", "type", "team"]


@transaction.atomic
def import_tickets(
    data: bytes,
    columns: parsing.Columns,
    *,
    actor=None,
    actor_name: str = "",
    source: str = "jira",
    filename: str = "",
) -> ImportReport:
    """Import an export in one transaction: all rows with the report, or ImportRefused and
    nothing. Re-importing a key updates its ticket (idempotent)."""
    parsed = parsing.read_rows(data, columns)
    ensure_default_rules()
    rules = current_rules()
    teams = set(Team.objects.values_list("name", flat=True))
    existing = set(
        Ticket.objects.filter(source=source, key__in=[r.key for r in parsed.rows]).values_list(
            "key", flat=True
        )
    )
    report = ImportReport(skipped=parsed.skipped, notes=parsed.notes)
    seen: set[str] = set()
    tickets = []
    for row in parsed.rows:
        if row.key in seen:
            report.skipped.append(f"line {row.line}: {row.key} appears again in this file")
            continue
        seen.add(row.key)
        kind = parsing.classify(row.text, row.labels, rules)
        tickets.append(
            Ticket(
                source=source,
                key=row.key,
                created=row.created,
                resolved=row.resolved,
                summary=row.summary,
                labels=list(row.labels),
                type=kind,
                team=parsing.team_of(row.labels, teams),
            )
        )
        report.unclassified += kind == ""
        if row.key in existing:
            report.updated += 1
        else:
            report.created += 1
    # One INSERT … ON CONFLICT per thousand rows, not two queries per ticket: a re-imported key
    # updates its ticket (idempotent).
    Ticket.objects.bulk_create(
        tickets,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["source", "key"],
        update_fields=[*TICKET_FIELDS, "imported_at"],
    )
    audit.record(
        actor,
        "tickets.import",
        None,
        detail=f"{filename or 'upload'} ({source}): {report.summary()}",
        after={
            "created": report.created,
            "updated": report.updated,
            "skipped": len(report.skipped),
            "unclassified": report.unclassified,
        },
        actor_name=actor_name,
    )
    return report


def reclassify_all() -> int:
    """Apply the current rules to every ticket again (after a rule changed); how many changed."""
    rules = current_rules()
    changed = []
    for ticket in Ticket.objects.only("id", "summary", "labels", "type"):
        kind = parsing.classify(ticket.summary, tuple(ticket.labels), rules)
        if kind != ticket.type:
            ticket.type = kind
            changed.append(ticket)
    Ticket.objects.bulk_update(changed, ["type"], batch_size=500)
    return len(changed)


def save_mapping(name: str, columns: parsing.Columns, actor) -> ColumnMapping:
    """Remember an export format's column names for next time (audited when it changes)."""
    fields = {
        "key_column": columns.key,
        "created_column": columns.created,
        "summary_column": columns.summary,
        "labels_column": columns.labels,
        "resolved_column": columns.resolved,
    }
    mapping = ColumnMapping.objects.filter(name=name).first()
    before = {f: getattr(mapping, f) for f in fields} if mapping else None
    if before == fields:
        return mapping
    mapping, _ = ColumnMapping.objects.update_or_create(name=name, defaults=fields)
    audit.record(actor, "tickets.mapping", mapping, before=before, after=fields)
    return mapping


def columns_of(mapping: ColumnMapping) -> parsing.Columns:
    return parsing.Columns(
        key=mapping.key_column,
        created=mapping.created_column,
        summary=mapping.summary_column,
        labels=mapping.labels_column,
        resolved=mapping.resolved_column,
    )


def create_help_request(
    user, category: str, description: str, service: Component | None
) -> HelpRequest:
    """Save a question for the platform team, with the service's owner team when one is named."""
    help_request = HelpRequest.objects.create(
        user=user,
        category=category,
        description=description,
        service_name=service.name if service else "",
        team=service.owner.name if service and service.owner else "",
    )
    audit.record(
        user,
        "help.request",
        help_request,
        team=help_request.team,
        after={"category": category, "service": help_request.service_name},
    )
    return help_request
