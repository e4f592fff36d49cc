"""Demo data for `manage.py seed_demo`: the only place the demo accounts are created."""

from django.contrib.auth import get_user_model
from django.db import transaction

from catalog.choices import TeamRole
from catalog.services import ensure_membership, ensure_team

DEMO_PASSWORD = "platform-demo"  # noqa: S105 - demo accounts only, created by seed_demo alone

DEMO_TEAMS = [
    ("payments", "Payments", "Card payments, refunds and payouts.", "#team-payments"),
    ("search", "Search", "Search indexing and query services.", "#team-search"),
]

# username, full name, is platform admin, [(team slug, role)]
DEMO_USERS = [
    ("admin", "Platform Admin", True, []),
    ("alice", "Alice Lead", False, [("payments", TeamRole.LEAD)]),
    ("bob", "Bob Member", False, [("payments", TeamRole.MEMBER)]),
    ("carol", "Carol Member", False, [("search", TeamRole.MEMBER)]),
]

# Engineers who joined in the last months: history only (no password, nobody signs in as
# them), so the onboarding metric has first deployments to measure. username, name, team.
DEMO_NEWCOMERS = [
    ("dana", "Dana Newcomer", "payments"),
    ("erin", "Erin Newcomer", "search"),
    ("femi", "Femi Newcomer", "payments"),
    ("gita", "Gita Newcomer", "search"),
    ("hugo", "Hugo Newcomer", "payments"),
    ("ines", "Ines Newcomer", "search"),
]


def _ensure_user(username: str, full_name: str, is_admin: bool):
    user_model = get_user_model()
    first, _, last = full_name.partition(" ")
    user, created = user_model.objects.get_or_create(
        username=username,
        defaults={"email": f"{username}@example.com", "first_name": first, "last_name": last},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
    user.is_staff = user.is_superuser = is_admin
    user.save()
    return user


def seed_demo() -> list[str]:
    """1. accounts and teams; 2. the demo catalog (through the descriptor import);
    3. the golden paths; 4. observability baselines and on-call targets; 5. the feedback
    app's history (survey cycles, deployments, requests, tickets, roadmap); 6. the portal
    itself, with its observability bundle (register_portal). Idempotent."""
    from catalog.demo import seed_demo_catalog
    from feedback.demo import seed_feedback
    from idp_portal.self_registration import register_portal
    from observability.demo import seed_demo_observability
    from provisioning.demo import seed_golden_paths

    lines = _seed_accounts()
    lines.append(f"  catalog: {seed_demo_catalog().summary()}")
    lines += seed_golden_paths()
    lines += seed_demo_observability()
    lines += seed_feedback()
    lines += register_portal().lines
    return lines


@transaction.atomic
def _seed_accounts() -> list[str]:
    """Create or update the demo users, teams and memberships; return one line per account."""
    teams = {
        slug: ensure_team(slug, name, text, channel) for slug, name, text, channel in DEMO_TEAMS
    }
    lines = []
    for username, full_name, is_admin, memberships in DEMO_USERS:
        user = _ensure_user(username, full_name, is_admin)
        for slug, role in memberships:
            ensure_membership(teams[slug], user, role)
        roles = ", ".join(f"{role.label.lower()} of {slug}" for slug, role in memberships)
        lines.append(f"  {username:<6} {'platform admin' if is_admin else roles}")
    for username, full_name, slug in DEMO_NEWCOMERS:
        user = _ensure_newcomer(username, full_name)
        ensure_membership(teams[slug], user, TeamRole.MEMBER)
    names = ", ".join(n for n, _, _ in DEMO_NEWCOMERS)
    lines.append(f"  {names}: newcomers with history only (no password)")
    return lines


def _ensure_newcomer(username: str, full_name: str):
    first, _, last = full_name.partition(" ")
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={"email": f"{username}@example.com", "first_name": first, "last_name": last},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
