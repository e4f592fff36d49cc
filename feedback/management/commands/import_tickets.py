"""`manage.py import_tickets FILE`: import a ticket export (Jira CSV by default) for the audit."""

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from feedback.tickets import parsing, services
from idp_portal import audit

DEFAULTS = parsing.Columns()


def _operator() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


class Command(BaseCommand):
    help = (
        "Import tickets from a CSV export (Jira's column names by default) into the ticket "
        "audit. Importing the same tickets again updates them; rows with a bad date are "
        "skipped and listed; a file with missing columns is refused and nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV export")
        parser.add_argument("--source", default="jira", help="where it came from (default jira)")
        for name, default in [
            ("key", DEFAULTS.key),
            ("created", DEFAULTS.created),
            ("summary", DEFAULTS.summary),
            ("labels", DEFAULTS.labels),
            ("resolved", DEFAULTS.resolved),
        ]:
            parser.add_argument(
                f"--{name}-column",
                default=default,
                help=f"the column holding the {name} (default '{default}')",
            )

    def handle(self, *args, file: str, source: str, verbosity: int = 1, **options) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file} does not exist: give the CSV export's path")
        if path.stat().st_size > parsing.MAX_BYTES:
            raise CommandError(f"{file} is over the {parsing.MAX_BYTES // 2**20} MiB limit")
        columns = parsing.Columns(
            key=options["key_column"],
            created=options["created_column"],
            summary=options["summary_column"],
            labels=options["labels_column"],
            resolved=options["resolved_column"],
        )
        with audit.audit_context(audit.Origin(via="cli")):
            try:
                report = services.import_tickets(
                    path.read_bytes(),
                    columns,
                    actor_name=_operator(),
                    source=source,
                    filename=path.name,
                )
            except parsing.ImportRefused as exc:
                raise CommandError(str(exc)) from None
        self.stdout.write(f"Imported {report.summary()}.")
        for line in report.notes + [f"  skipped {reason}" for reason in report.skipped]:
            self.stdout.write(line)
