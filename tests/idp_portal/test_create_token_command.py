"""manage.py create_token: a token for a CI bot, printed once."""

import pytest
from django.core.management import CommandError, call_command

from idp_portal.models import ApiToken, AuditEvent
from idp_portal.tokens import digest_of
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_it_prints_a_working_token_once(capsys):
    bot = make_user("ci-bot")
    call_command("create_token", "ci-bot", "--scope", "write", "--days", "90", "--name", "deploy")
    secret = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(digest=digest_of(secret))
    assert (token.user, token.scope, token.name) == (bot, "write", "deploy")


def test_it_is_audited_as_the_command_line(capsys):
    make_user("ci-bot")
    call_command("create_token", "ci-bot", "--scope", "read", "--days", "1")
    event = AuditEvent.objects.get(action="token.create")
    assert event.via == "cli" and event.after["scope"] == "read"


def test_an_unknown_user_is_refused():
    with pytest.raises(CommandError, match="no user named 'ghost'"):
        call_command("create_token", "ghost", "--scope", "read", "--days", "30")


@pytest.mark.parametrize("days", ["0", "400"])
def test_days_out_of_range_are_refused(days):
    make_user("ci-bot")
    with pytest.raises(CommandError, match="1 to 365 days"):
        call_command("create_token", "ci-bot", "--scope", "read", "--days", days)
    assert not ApiToken.objects.exists()


def test_an_unknown_scope_is_refused():
    make_user("ci-bot")
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("create_token", "ci-bot", "--scope", "admin", "--days", "30")
