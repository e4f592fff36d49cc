"""`manage.py import_catalog PATH`: import Backstage descriptors from a file or a folder."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.importing import import_descriptors

# Files on the server are the operator's own, e.g. an all-in-one export: allow far more than
# the 1 MiB an upload may be. Aliases and nesting are refused whatever the size.
DEFAULT_MAX_FILE_MB = 64


class Command(BaseCommand):
    help = (
        "Import Backstage descriptors: a catalog-info.yaml file, or a folder searched for "
        "*.yaml and *.yml files that describe Backstage entities. Rejected documents are "
        "listed and the rest imported; running it twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="a descriptor file, or a folder to search")
        parser.add_argument(
            "--max-file-mb",
            type=int,
            default=DEFAULT_MAX_FILE_MB,
            help="reject descriptor files larger than this many MiB (default %(default)s)",
        )

    def handle(self, *args, path: str, max_file_mb: int, verbosity: int = 1, **options) -> None:
        source = Path(path)
        if not source.exists():
            raise CommandError(f"{path} does not exist: give a catalog-info.yaml or a folder")
        report = import_descriptors(source, max_file_bytes=max_file_mb * 2**20)
        self.stdout.write(f"Imported {report.summary()}.")
        lines = []
        if verbosity > 1:
            lines += [f"  created {ref}" for ref in report.created]
            lines += [f"  updated {ref}" for ref in report.updated]
        if report.rejected:
            lines.append("Rejected (fix these documents and import again):")
            lines += [f"  {rejection}" for rejection in report.rejected]
        if report.unresolved:
            lines.append("References to entities the catalog does not have:")
            lines += [f"  {item}" for item in report.unresolved]
        for line in lines:
            self.stdout.write(line)
