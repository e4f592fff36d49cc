"""`manage.py export_catalog DIR`: write the catalog out as Backstage descriptor files."""

from django.core.management.base import BaseCommand, CommandError

from catalog.backstage.exporting import INDEX_FILE, export_catalog


class Command(BaseCommand):
    help = (
        "Write every catalog entity as a Backstage descriptor: DIR/<kind>/<namespace>/<name>.yaml"
        f" plus DIR/{INDEX_FILE}, a Location listing them. Importing DIR again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="folder to write into (created if missing)")
        parser.add_argument(
            "--single-file",
            action="store_true",
            help=f"write every entity into DIR/{INDEX_FILE} instead of one file per entity",
        )
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="replace a previous export in DIR (only the files an export writes)",
        )

    def handle(self, *args, directory: str, single_file: bool, overwrite: bool, **options):
        try:
            count = export_catalog(directory, single_file=single_file, overwrite=overwrite)
        except FileExistsError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Exported {count} entities to {directory}.")
