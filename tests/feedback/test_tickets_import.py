"""Importing an export: one transaction, idempotent, reported, audited; and the command."""

import pytest
from django.core.management import CommandError, call_command

from feedback.tickets import parsing, services
from feedback.tickets.models import ClassificationRule, Ticket
from idp_portal.models import AuditEvent
from tests.factories import make_team
from tests.feedback.tickets_helpers import csv_bytes

ROWS = (
    "PLAT-1,Need a bucket,03/Nov/25 9:15 AM,03/Nov/25 11:15 AM,team-payments",
    "PLAT-2,DNS record for shop,2025-11-04T10:00,,",
    "PLAT-3,Something odd,not a date,,",
)


@pytest.fixture
def payments(db):
    return make_team("payments")


def test_it_imports_classifies_and_maps_teams(payments):
    report = services.import_tickets(csv_bytes(*ROWS), parsing.Columns())
    assert (report.created, report.updated, len(report.skipped)) == (2, 0, 1)
    assert dict(Ticket.objects.values_list("key", "type")) == {
        "PLAT-1": "s3-bucket",
        "PLAT-2": "dns-record",
    }
    assert Ticket.objects.get(key="PLAT-1").team == "payments"


def test_a_reimport_overwrites_what_changed(payments):
    services.import_tickets(csv_bytes(*ROWS), parsing.Columns())
    changed = "PLAT-1,Need a bucket now,03/Nov/25 9:15 AM,04/Nov/25 11:15 AM,"
    services.import_tickets(csv_bytes(changed), parsing.Columns())
    ticket = Ticket.objects.get(key="PLAT-1")
    assert (ticket.summary, ticket.resolved.day, ticket.team) == ("Need a bucket now", 4, "")


@pytest.mark.parametrize("size", [5, 50])
def test_the_import_costs_the_same_queries_for_5_or_50_tickets(
    payments, size, django_assert_num_queries
):
    services.import_tickets(csv_bytes(ROWS[0]), parsing.Columns())  # the default rules exist
    rows = [f"PLAT-{n},Need a bucket,2025-11-04T10:00,," for n in range(size)]
    with django_assert_num_queries(8):
        report = services.import_tickets(csv_bytes(*rows), parsing.Columns())
    assert (report.created, report.updated) == (size - 1, 1)


def test_importing_the_same_file_again_updates_without_duplicates(payments):
    services.import_tickets(csv_bytes(*ROWS), parsing.Columns())
    again = services.import_tickets(csv_bytes(*ROWS), parsing.Columns())
    assert (again.created, again.updated) == (0, 2)
    assert Ticket.objects.count() == 2


def test_a_key_twice_in_one_file_is_skipped_the_second_time(db):
    report = services.import_tickets(csv_bytes(ROWS[0], ROWS[0]), parsing.Columns())
    assert report.created == 1 and "PLAT-1 appears again" in report.skipped[0]


def test_a_refused_file_imports_nothing(db):
    with pytest.raises(parsing.ImportRefused):
        services.import_tickets(csv_bytes(*ROWS, header="Key,Title\n"), parsing.Columns())
    assert not Ticket.objects.exists()
    assert not AuditEvent.objects.filter(action="tickets.import").exists()


def test_the_import_is_audited_with_its_counts(db):
    services.import_tickets(csv_bytes(*ROWS), parsing.Columns(), filename="x.csv")
    event = AuditEvent.objects.get(action="tickets.import")
    assert event.after == {"created": 2, "updated": 0, "skipped": 1, "unclassified": 0}


def test_default_rules_are_created_only_when_there_are_none(db):
    ClassificationRule.objects.create(pattern="bucket", type="queue", priority=1)
    services.import_tickets(csv_bytes(ROWS[0]), parsing.Columns())
    assert ClassificationRule.objects.count() == 1
    assert Ticket.objects.get().type == "queue"


def test_the_command_imports_a_jira_file_and_audits_it_as_cli(db, tmp_path, capsys):
    export = tmp_path / "jira.csv"
    export.write_bytes(csv_bytes(*ROWS))
    call_command("import_tickets", str(export))
    assert "2 created, 0 updated, 1 skipped" in capsys.readouterr().out
    assert AuditEvent.objects.get(action="tickets.import").via == "cli"


def test_the_command_maps_other_column_names(db, tmp_path):
    export = tmp_path / "other.csv"
    header = "Id,Title,Opened,Closed,Tags\n"
    export.write_bytes(csv_bytes("SN-1,Queue for events,2025-11-01,2025-11-02,", header=header))
    call_command(
        "import_tickets",
        str(export),
        "--key-column=Id",
        "--summary-column=Title",
        "--created-column=Opened",
        "--resolved-column=Closed",
        "--labels-column=Tags",
        "--source=servicenow",
    )
    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.key, ticket.type) == ("servicenow", "SN-1", "queue")


def test_the_command_names_missing_columns(db, tmp_path):
    export = tmp_path / "bad.csv"
    export.write_bytes(csv_bytes("1,x", header="Key,Title\n"))
    with pytest.raises(CommandError, match="Missing column"):
        call_command("import_tickets", str(export))


def test_the_demo_seed_imports_the_last_90_days_once(db):
    from django.utils import timezone

    from feedback.tickets import demo

    demo.seed()
    demo.seed()
    tickets = Ticket.objects.filter(source="jira-demo")
    assert tickets.count() == 150
    newest = tickets.order_by("-created").first().created
    oldest = tickets.order_by("created").first().created
    assert (timezone.now() - newest).days <= 1 and (timezone.now() - oldest).days < 90
