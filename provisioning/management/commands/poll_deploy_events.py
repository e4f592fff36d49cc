"""Record recent GitHub workflow runs of every service (the webhook's fallback)."""

from django.core.management.base import BaseCommand, CommandError

from provisioning import deploy_events_poll


class Command(BaseCommand):
    help = "Read each service's recent GitHub Actions runs and record them as builds."

    def handle(self, *args, **options) -> None:
        try:
            read = deploy_events_poll.github_runs_reader()
        except deploy_events_poll.NotConnected as error:
            raise CommandError(str(error)) from None
        report = deploy_events_poll.poll(read)
        for service, problem in report.problems.items():
            self.stderr.write(f"{service}: {problem}")
        self.stdout.write(f"{report.recorded} completed run(s) recorded")
