from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from provisioning.environments import EnvironmentFileError, load_environments


class Command(BaseCommand):
    help = "Create or update environments from a YAML file, so their configuration can live in git."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options) -> None:
        if not file.is_file():
            raise CommandError(f"{file} is not a file: pass the path of an environments YAML file")
        try:
            created, updated = load_environments(file.read_text())
        except EnvironmentFileError as exc:
            raise CommandError(f"{file}: {exc}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(created)} created, {len(updated)} updated: {', '.join(created + updated)}"
            )
        )
