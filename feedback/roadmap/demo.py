"""Demo data for the feedback app's roadmap part (seed_demo): roadmap items with votes and
comments, two friction reports, and office hours this month and the next two."""

from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from feedback.roadmap import planning
from feedback.roadmap.models import (
    FrictionReport,
    OfficeHoursSession,
    OfficeHoursSignup,
    RoadmapComment,
    RoadmapItem,
    RoadmapVote,
    SurveyTheme,
)

# title, status, target quarter, description, voters
ITEMS = [
    (
        "Self-service DNS records",
        "now",
        "2027-Q1",
        "Add, change and remove DNS records for your service from the portal, reviewed like any "
        "other provisioning request.",
        ["alice", "bob", "carol"],
    ),
    (
        "Preview environments per pull request",
        "now",
        "2027-Q1",
        "Every pull request gets a short-lived environment with its own URL, torn down on merge.",
        ["bob", "carol"],
    ),
    (
        "GitHub as the git host",
        "next",
        "2027-Q2",
        "Golden paths create repositories on GitHub instead of the internal git server.",
        ["alice", "carol"],
    ),
    (
        "Cost per service on the service page",
        "next",
        "2027-Q2",
        "Monthly cloud cost per service and environment, from the billing export.",
        ["alice"],
    ),
    (
        "Database branching for tests",
        "later",
        "",
        "A copy-on-write branch of the staging database for integration tests.",
        ["bob"],
    ),
    (
        "Scheduled scale-to-zero for dev environments",
        "later",
        "",
        "Dev environments sleep outside working hours unless someone opts out.",
        [],
    ),
    (
        "Secrets rotation from the portal",
        "later",
        "2027-Q4",
        "Rotate a database password or an API key with one button and a rollout.",
        ["carol"],
    ),
    (
        "Observability by default",
        "shipped",
        "2026-Q3",
        "Every new service gets logs, metrics, traces, a dashboard and alerts.",
        ["alice", "bob"],
    ),
    (
        "API tokens for CI",
        "shipped",
        "2026-Q4",
        "Personal access tokens with read or write scope for scripts and CI jobs.",
        ["bob"],
    ),
    (
        "Golden path: Python service",
        "shipped",
        "2026-Q2",
        "A FastAPI service template with CI, deployment and observability wired in.",
        [],
    ),
]
# The "what changed" link of each shipped item, as a URL name: a hand-written path went stale.
SHIPPED_ON = {
    "Observability by default": (date(2026, 9, 15), ("observability:index",)),
    "API tokens for CI": (date(2026, 11, 3), ("tokens",)),
    "Golden path: Python service": (
        date(2026, 5, 20),
        ("provisioning:create_service_form", "python-http"),
    ),
}
COMMENTS = [
    (
        "Self-service DNS records",
        "carol",
        "Today this is a ticket and a two-day wait; search needs three new records next month.",
    ),
    ("Self-service DNS records", "bob", "Please keep an approval step for production zones."),
    ("GitHub as the git host", "alice", "Our pull-request reviews already happen there."),
]


def seed() -> list[str]:
    """Create the part's demo data where absent; one line per thing made, for seed_demo."""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=_NAMES)}
    if not {"alice", "bob", "carol"} <= users.keys():
        return ["  roadmap: skipped (the demo users alice, bob and carol are missing)"]
    items = {title: _item(title, *rest) for title, *rest in ITEMS}
    for title, _, _, _, voters in ITEMS:
        for name in voters:
            RoadmapVote.objects.get_or_create(item=items[title], user=users[name])
    for title, name, text in COMMENTS:
        RoadmapComment.objects.get_or_create(item=items[title], user=users[name], text=text)
    _friction(users, items)
    _themes(items)
    sessions = _office_hours(users)
    return [
        f"  roadmap: {len(items)} items, {RoadmapVote.objects.count()} votes, "
        f"{FrictionReport.objects.count()} friction reports, {sessions} office hours sessions"
    ]


_NAMES = ["admin", "alice", "bob", "carol"]


def _item(title: str, status: str, quarter: str, description: str, _voters) -> RoadmapItem:
    shipped_at, (url_name, *args) = SHIPPED_ON.get(title, (None, (None,)))
    url = reverse(url_name, args=args) if url_name else ""
    item, _ = RoadmapItem.objects.get_or_create(
        title=title,
        defaults={
            "status": status,
            "target_quarter": quarter,
            "description": description,
            "shipped_at": shipped_at,
            "what_changed_url": url,
        },
    )
    return item


def _friction(users: dict, items: dict) -> None:
    FrictionReport.objects.get_or_create(
        user=users["carol"],
        page="/provisioning/",
        defaults={
            "trying_to": "add a DNS record for the search API",
            "what_happened": "There is no DNS resource type; I had to open a ticket.",
            "status": "linked",
            "roadmap_item": items["Self-service DNS records"],
        },
    )
    FrictionReport.objects.get_or_create(
        user=users["bob"],
        page="/catalog/",
        defaults={
            "trying_to": "find which team owns the ledger service",
            "what_happened": "The owner column shows a team slug I did not recognise.",
        },
    )


# Themes the platform team read in the last closed cycle's answers: title, mentions, summary,
# the roadmap item that addresses it (None: not planned yet).
THEMES = [
    (
        "DNS records still need a ticket",
        23,
        "Teams ask to add and change DNS records themselves, with approval for production.",
        "Self-service DNS records",
    ),
    (
        "Testing a change needs a shared environment",
        14,
        "People wait for staging to be free; they ask for an environment per pull request.",
        "Preview environments per pull request",
    ),
    ("Hard to find who owns a service", 3, "", None),
]


def _themes(items: dict) -> None:
    from feedback.survey.choices import CycleStatus
    from feedback.survey.models import SurveyCycle

    cycle = SurveyCycle.objects.filter(status=CycleStatus.CLOSED).order_by("-quarter").first()
    if cycle is None:
        return
    for title, mentions, summary, item in THEMES:
        SurveyTheme.objects.get_or_create(
            cycle=cycle,
            title=title,
            defaults={"mentions": mentions, "summary": summary, "roadmap_item": items.get(item)},
        )


def _office_hours(users: dict) -> int:
    """The second Tuesday, 15:00 UTC, of this month and the next two; a past one has notes."""
    today = timezone.localdate()
    first = today.replace(day=1)
    for k in range(3):
        month = (first + timedelta(days=32 * k)).replace(day=1)
        day = planning.nth_weekday(month.year, month.month, 1, 2)
        starts_at = timezone.make_aware(datetime.combine(day, time(15)))
        session, _ = OfficeHoursSession.objects.get_or_create(
            starts_at=starts_at,
            defaults={
                "where": "https://meet.example.com/platform-office-hours",
                "host": users.get("admin"),
            },
        )
        if starts_at < timezone.now():
            _past_session(session, users)
        else:
            OfficeHoursSignup.objects.get_or_create(
                session=session,
                user=users["alice"],
                defaults={"topic": "Cost per service: which billing tags do we need?"},
            )
    past = timezone.make_aware(datetime.combine(first - timedelta(days=20), time(15)))
    session, _ = OfficeHoursSession.objects.get_or_create(
        starts_at=past,
        defaults={"where": "Room 4.12", "host": users.get("admin")},
    )
    _past_session(session, users)
    return OfficeHoursSession.objects.count()


def _past_session(session: OfficeHoursSession, users: dict) -> None:
    OfficeHoursSignup.objects.get_or_create(
        session=session, user=users["bob"], defaults={"topic": "Preview environments"}
    )
    if not session.notes:
        session.notes = (
            "- Preview environments: the team will pilot them with payments next quarter.\n"
            "- DNS: until self-service ships, tag the ticket 'dns' so it is picked first.\n"
            "- Asked for: cost per service (now on the roadmap, 'next')."
        )
        session.save(update_fields=["notes"])
