"""Demo data for the feedback app's tickets part (seed_demo): the shipped Jira export, moved so
its newest ticket is today (the audit always has "the last 90 days"), and a few help requests."""

import csv
import io
from datetime import datetime
from pathlib import Path

from django.contrib.auth import get_user_model

from catalog.models import Component
from feedback.tickets import parsing, services
from feedback.tickets.models import HelpRequest, Ticket

SAMPLE = Path(__file__).parent / "sample" / "jira-last-90-days.csv"
JIRA_FORMAT = "%d/%b/%y %I:%M %p"
HELP_REQUESTS = [
    ("provisioning", "We need a DNS record for the new checkout status page; how do we get one?"),
    ("how-to", "How do I add a second environment to a service created from a golden path?"),
    ("broken", "The coverage page shows our alerts as missing although they exist."),
]


def shifted_sample(today: datetime | None = None) -> bytes:
    """The sample export with every date moved by the same amount so the newest is today."""
    rows = list(csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    created, resolved = header.index("Created"), header.index("Resolved")
    newest = max(datetime.strptime(r[created], JIRA_FORMAT) for r in body)
    shift = (today or datetime.now()).replace(hour=17, minute=0) - newest
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in body:
        for i in (created, resolved):
            if row[i]:
                row[i] = (datetime.strptime(row[i], JIRA_FORMAT) + shift).strftime(JIRA_FORMAT)
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def seed() -> list[str]:
    """Create the part's demo data where absent; one line per thing made, for seed_demo."""
    lines: list[str] = []
    if not Ticket.objects.filter(source="jira-demo").exists():
        report = services.import_tickets(
            shifted_sample(), parsing.Columns(), source="jira-demo", filename=SAMPLE.name
        )
        lines.append(f"ticket audit: imported the sample Jira export ({report.summary()})")
    user = get_user_model().objects.filter(is_superuser=False).order_by("pk").first()
    if user is not None and not HelpRequest.objects.filter(user=user).exists():
        service = Component.objects.filter(type="service").order_by("name").first()
        for category, text in HELP_REQUESTS:
            services.create_help_request(user, category, text, service)
        lines.append(f"help requests: {len(HELP_REQUESTS)} from {user.get_username()}")
    return lines
