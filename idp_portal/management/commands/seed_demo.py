from django.core.management.base import BaseCommand

from idp_portal import audit
from idp_portal.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create the demo users, teams and data (idempotent). Never run this in production."

    def handle(self, *args, **options) -> None:
        with audit.audit_context(audit.Origin(via="cli")):  # its catalog import says "cli"
            summary = seed_demo()
        for line in summary:
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Every demo user's password: {DEMO_PASSWORD}")
        )
