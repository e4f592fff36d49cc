"""`manage.py register_portal`: the portal in its own catalog, fully observed (idempotent)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from idp_portal import audit
from idp_portal.self_registration import DESCRIPTOR, register_portal


class Command(BaseCommand):
    help = (
        "Import the portal's own descriptor (deploy/catalog-info.yaml) and write its "
        "observability bundle, so the coverage page shows it fully covered. The deploy Job "
        "runs it after migrations; running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--descriptor",
            default=str(DESCRIPTOR),
            help="the portal's catalog-info.yaml (default %(default)s)",
        )

    def handle(self, *args, descriptor: str, **options) -> None:
        path = Path(descriptor)
        if not path.is_file():
            raise CommandError(f"{descriptor} is not a file: give the portal's catalog-info.yaml")
        with audit.audit_context(audit.Origin(via="cli")):
            result = register_portal(path)
        for line in result.lines:
            self.stdout.write(line)
