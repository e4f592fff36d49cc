"""Demo data for the feedback app's metrics part (seed_demo): 12 months of history so every
chart on the metrics dashboard has data.

The only place the metrics part writes provisioning rows: demo services (ServiceOrigin rows
on the first golden path), their deployments (about one in twelve to production fails and is
fixed by the next), succeeded resource requests with realistic lead times that shorten over
the year, lead-time baselines per resource type and a pilot of three demo teams. Random but
reproducible (a fixed seed); idempotent: the history is made once, marked by its requests'
idempotency keys.
"""

import random
from contextlib import contextmanager
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from catalog.models import Team
from feedback.metrics.models import LeadTimeBaseline, PilotProgramme
from provisioning.choices import RequestState
from provisioning.golden_paths.choices import DeploymentStatus
from provisioning.models import (
    Deployment,
    Environment,
    GoldenPath,
    ProvisioningRequest,
    ServiceOrigin,
)

MARK = "demo-metrics-"
DAYS = 365
TEAMS = ("payments", "checkout", "search", "data", "identity")
PILOT_TEAMS = ("payments", "checkout", "search")
PILOT_DAYS = 60  # the demo pilot started this many days ago
# resource type: (median hours before the portal, p90 before, median hours now, where from)
BASELINES = {
    "s3-bucket": (48, 120, 0.05, "Jira PLAT tickets for buckets, 2025, n=212 (demo figures)"),
    "postgres-database": (96, 240, 0.3, "Jira PLAT tickets for databases, 2025, n=64 (demo)"),
    "queue": (40, 96, 0.05, "Jira PLAT tickets for queues, 2025, n=51 (demo figures)"),
    "kubernetes-namespace": (24, 72, 0.1, "Jira PLAT tickets for namespaces, 2025 (demo)"),
}


@contextmanager
def dated(*models):
    """Let the seeder back-date `created_at` (auto_now_add would stamp today on every row)."""
    fields = [m._meta.get_field("created_at") for m in models]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f in fields:
            f.auto_now_add = True


def seed() -> list[str]:
    """Create the part's demo data where absent; one line per thing made, for seed_demo."""
    lines = _baselines()
    lines += _history()
    lines += _newcomers()
    lines += _pilot()
    return lines


def _baselines() -> list[str]:
    made = 0
    for kind, (p50, p90, _, source) in BASELINES.items():
        _, created = LeadTimeBaseline.objects.get_or_create(
            resource_type=kind, defaults={"hours_p50": p50, "hours_p90": p90, "source": source}
        )
        made += created
    return [f"  metrics: {made} lead-time baseline(s) created"] if made else []


def _pilot() -> list[str]:
    teams = list(Team.objects.filter(name__in=PILOT_TEAMS))
    if len(teams) < PilotProgramme.MIN_TEAMS or PilotProgramme.objects.exists():
        return []
    start = timezone.localdate() - timedelta(days=PILOT_DAYS)
    programme = PilotProgramme.objects.create(name="Demo pilot", start_date=start)
    programme.teams.set(teams)
    return [f"  metrics: pilot programme 'Demo pilot' from {start} ({', '.join(PILOT_TEAMS)})"]


@transaction.atomic
def _history() -> list[str]:
    if ProvisioningRequest.objects.filter(idempotency_key__startswith=MARK).exists():
        return []
    gp = GoldenPath.objects.order_by("slug", "-version").first()
    teams = list(Team.objects.filter(name__in=TEAMS))
    users = list(get_user_model().objects.filter(username__in=("alice", "bob", "carol")))
    envs = {e.name: e for e in Environment.objects.all()}
    if gp is None or not teams or not users or not {"dev", "prod"} <= set(envs):
        return ["  metrics: no history seeded (needs the demo golden paths, teams and users)"]
    rng = random.Random(42)  # noqa: S311 -- demo data, not security
    now = timezone.now()
    with dated(ServiceOrigin, Deployment, ProvisioningRequest):
        origins = _origins(rng, gp, teams, now)
        deployments, failures = _deployments(rng, origins, users, envs, now)
        requests = _requests(rng, teams, users, envs["dev"], now)
    return [
        f"  metrics: {len(origins)} demo services, {deployments} deployments "
        f"({failures} failed), {requests} resource requests over {DAYS} days"
    ]


@transaction.atomic
def _newcomers() -> list[str]:
    """The demo newcomers joined over the last five months and first deployed days later,
    sooner as the platform matured: the onboarding metric's history."""
    from idp_portal.demo import DEMO_NEWCOMERS

    users = get_user_model().objects.filter(username__in=[n for n, _, _ in DEMO_NEWCOMERS])
    users = [u for u in users.order_by("username") if not Deployment.objects.filter(requested_by=u)]
    dev = Environment.objects.filter(name="dev").first()
    if not users or dev is None:
        return []
    rng = random.Random(7)  # noqa: S311 -- demo data, not security
    now = timezone.now()
    rows = []
    for n, user in enumerate(users):
        joined = now - timedelta(days=150 - n * 24, hours=rng.randint(0, 8))
        type(user).objects.filter(pk=user.pk).update(date_joined=joined)
        origin = ServiceOrigin.objects.filter(team__memberships__user=user).first()
        if origin is None:
            continue
        first = joined + timedelta(days=max(0.5, 9 - n * 1.5 + rng.uniform(-1, 1)))
        rows.append(_committed(origin, dev, user, first, first - timedelta(hours=3)))
    with dated(Deployment):
        Deployment.objects.bulk_create(rows)
    return [f"  metrics: first deployments of {len(rows)} newcomer(s)"] if rows else []


def _origins(rng, gp, teams, now) -> list[ServiceOrigin]:
    rows = []
    for team in teams:
        for i in range(3):
            name = f"{team.name}-demo-{i + 1}"
            created = now - timedelta(days=rng.randint(20, DAYS), hours=rng.randint(0, 23))
            rows.append(
                ServiceOrigin(
                    name=name,
                    golden_path=gp,
                    team=team,
                    image=f"ghcr.io/acme/{name}",
                    created_at=created,
                )
            )
    existing = set(
        ServiceOrigin.objects.filter(name__in=[o.name for o in rows]).values_list("name", flat=True)
    )
    ServiceOrigin.objects.bulk_create([o for o in rows if o.name not in existing])
    return list(ServiceOrigin.objects.filter(name__in=[o.name for o in rows]))


def _deployments(rng, origins, users, envs, now) -> tuple[int, int]:
    rows, failed_requests = [], []
    for origin in origins:
        at = origin.created_at + timedelta(hours=rng.randint(2, 48))
        first_prod = at + timedelta(days=rng.uniform(2, 12))
        while at < now:
            user = rng.choice(users)
            # The change was committed to the service's repository hours before (less as the
            # year goes on): the change lead time's start.
            age = (now - at).days / DAYS
            change = at - timedelta(hours=rng.lognormvariate(0, 0.7) * (4 + 20 * age))
            rows.append(_committed(origin, envs["dev"], user, at, change))
            if at >= first_prod:
                if rng.random() < 0.08:
                    request = _failed_request(origin, envs["prod"], user, at, len(failed_requests))
                    failed_requests.append(request)
                    rows.append(_pending(origin, envs["prod"], user, at, request))
                    at += timedelta(hours=rng.uniform(0.5, 20))  # the fix goes out
                prod_at = at + timedelta(hours=1)
                rows.append(_committed(origin, envs["prod"], user, prod_at, change))
            at += timedelta(days=rng.uniform(1, 6))
    ProvisioningRequest.objects.bulk_create(failed_requests)
    Deployment.objects.bulk_create(rows)
    return len(rows), len(failed_requests)


def _committed(origin, env, user, at, change_at=None) -> Deployment:
    return Deployment(
        origin=origin,
        environment=env,
        tag=f"demo-{at:%Y%m%d%H%M}",
        requested_by=user,
        status=DeploymentStatus.COMMITTED,
        created_at=at,
        committed_at=at + timedelta(minutes=3),
        change_committed_at=change_at,
    )


def _pending(origin, env, user, at, request) -> Deployment:
    return Deployment(
        origin=origin,
        environment=env,
        tag=f"demo-{at:%Y%m%d%H%M}",
        requested_by=user,
        request=request,
        status=DeploymentStatus.PENDING,
        created_at=at,
    )


def _failed_request(origin, env, user, at, n: int) -> ProvisioningRequest:
    return ProvisioningRequest(
        requester=user,
        team=origin.team,
        service_name=origin.name,
        environment=env,
        type="deploy",
        state=RequestState.FAILED,
        idempotency_key=f"{MARK}deploy-{n}",
        failure="demo: the rollout's readiness probe failed",
        created_at=at,
        submitted_at=at,
        finished_at=at + timedelta(minutes=12),
    )


def _requests(rng, teams, users, env, now) -> int:
    rows = []
    for n in range(600):
        kind = rng.choice(list(BASELINES))
        age = rng.uniform(0, DAYS)
        # Lead times shorten over the year as the portal takes over from tickets.
        median = BASELINES[kind][2] * (1 + 3 * age / DAYS)
        team = rng.choice(teams)
        if team.name in PILOT_TEAMS and age < PILOT_DAYS:
            median /= 2  # the pilot teams got the new self-service forms first
        hours = rng.lognormvariate(0, 0.6) * median
        submitted = now - timedelta(days=max(age, hours / 24 + 0.01))  # finished by now
        rows.append(
            ProvisioningRequest(
                requester=rng.choice(users),
                team=team,
                environment=env,
                type=kind,
                state=RequestState.SUCCEEDED,
                idempotency_key=f"{MARK}{n}",
                created_at=submitted,
                submitted_at=submitted,
                started_at=submitted,
                finished_at=submitted + timedelta(hours=hours),
            )
        )
    ProvisioningRequest.objects.bulk_create(rows)
    return len(rows)
