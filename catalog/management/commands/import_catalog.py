"""`manage.py import_catalog PATH`: import Backstage descriptors from a file or a folder."""

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.backstage.importing import ImportReport, import_descriptors
from idp_portal import audit

# Files on the server are the operator's own, e.g. an all-in-one export (100,000 entities are
# about 80 MiB): allow far more than the 1 MiB an upload may be. Aliases and nesting are
# refused whatever the size.
DEFAULT_MAX_FILE_MB = 128


def _operator() -> str:
    """The account running the command, for the audit trail ("" when the system has no name)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


class Command(BaseCommand):
    help = (
        "Import Backstage descriptors: a catalog-info.yaml file, or a folder searched for "
        "*.yaml and *.yml files that describe Backstage entities. Rejected documents are "
        "listed and the rest imported; running it twice changes nothing. Entities owned by "
        "one team that a file gives to another are held unless --confirm-owner-changes, and "
        "User documents add nobody to a team unless --trust-memberships."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="a descriptor file, or a folder to search")
        parser.add_argument(
            "--max-file-mb",
            type=int,
            default=DEFAULT_MAX_FILE_MB,
            help="reject descriptor files larger than this many MiB (default %(default)s)",
        )
        parser.add_argument(
            "--confirm-owner-changes",
            action="store_true",
            help="move entities a team owns to the owner their file names (each move is "
            "audited); without it they are held and left as they are",
        )
        parser.add_argument(
            "--trust-memberships",
            action="store_true",
            help="add users to the teams in their spec.memberOf; without it User documents "
            "create accounts but put nobody in a team (team members can deploy and approve)",
        )

    def handle(self, *args, path: str, max_file_mb: int, verbosity: int = 1, **options) -> None:
        source = Path(path)
        if not source.exists():
            raise CommandError(f"{path} does not exist: give a catalog-info.yaml or a folder")
        with audit.audit_context(audit.Origin(via="cli")):
            report = import_descriptors(
                source,
                max_file_bytes=max_file_mb * 2**20,
                actor_name=_operator(),
                confirm_owner_changes=options["confirm_owner_changes"],
                trust_memberships=options["trust_memberships"],
                parallel_parse=True,  # a command's own process: forking is safe here
            )
        self.stdout.write(f"Imported {report.summary()}.")
        for line in self._details(report, verbosity):
            self.stdout.write(line)

    @staticmethod
    def _details(report: ImportReport, verbosity: int) -> list[str]:
        lines = []
        if verbosity > 1:
            lines += [f"  created {ref}" for ref in report.created]
            lines += [f"  updated {ref}" for ref in report.updated]
        if report.rejected:
            lines.append("Rejected (fix these documents and import again):")
            lines += [f"  {rejection}" for rejection in report.rejected]
        if report.held_owner_changes:
            lines.append("Held, not changed at all (run again with --confirm-owner-changes):")
            lines += [f"  held: owner change {change}" for change in report.held_owner_changes]
        lines += [f"Owner changed: {change}" for change in report.owner_changes]
        if report.memberships_skipped:
            lines.append(
                f"Skipped {report.memberships_skipped} team memberships from User documents: "
                "run again with --trust-memberships to grant them."
            )
        if report.memberships_granted:
            lines.append(f"Granted {report.memberships_granted} team memberships.")
        if report.unresolved:
            lines.append("References to entities the catalog does not have:")
            lines += [f"  {item}" for item in report.unresolved]
        return lines
