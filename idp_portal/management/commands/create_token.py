from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from idp_portal.audit import Origin, audit_context
from idp_portal.models import ApiToken, AuditEvent
from idp_portal.tokens import MAX_DAYS, MIN_DAYS, create_token


class Command(BaseCommand):
    help = (
        "Create a personal access token for USERNAME (e.g. a CI bot's user) and print it once. "
        "Send it as 'Authorization: Bearer <token>' to the /api/ endpoints."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="the portal user the token acts as")
        parser.add_argument(
            "--scope",
            choices=ApiToken.Scope.values,
            required=True,
            help="read: GET requests only; write: also submit provisioning requests",
        )
        parser.add_argument(
            "--days", type=int, required=True, help=f"days until it expires, {MIN_DAYS}-{MAX_DAYS}"
        )
        parser.add_argument("--name", default="", help="what it is for (default: cli-<scope>)")

    def handle(self, *args, username: str, scope: str, days: int, name: str, **options) -> None:
        if not MIN_DAYS <= days <= MAX_DAYS:
            raise CommandError(
                f"--days {days} is out of range: a token lives {MIN_DAYS} to {MAX_DAYS} days"
            )
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(
                f"no user named {username!r}: create the user first (e.g. in the Django admin)"
            )
        if not user.is_active:
            raise CommandError(f"user {username!r} is deactivated: its tokens would not work")
        with audit_context(Origin(via=AuditEvent.Via.CLI)):
            token, secret = create_token(user, name or f"cli-{scope}", scope, days)
        self.stderr.write(
            f"Token {token.name!r} for {username} ({scope}), expires "
            f"{token.expires_at:%Y-%m-%d}. It is printed only now: store it in your CI secrets."
        )
        self.stdout.write(secret)
