"""Every write of a team's on-call target: typed by hand (`set_on_call`), or "Connect PagerDuty":
queue a team's connection, run it in a worker, record it.

The OnCallConnection row is the run's state (queued, running, connected, failed) and its
message; the worker claims it with a conditional update, so a message delivered twice runs once.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from catalog.models import Team
from idp_portal import audit
from observability import pagerduty
from observability.models import OnCallConnection, TeamOnCall

State = OnCallConnection.State
STALE_AFTER = timedelta(minutes=15)  # a run takes seconds; older queued/running runs are lost
CONNECT = "on_call.connect"


def request_connection(team: Team, user) -> OnCallConnection:
    """Queue a run for the team (a run already queued or running is left alone)."""
    with transaction.atomic():
        row, created = OnCallConnection.objects.get_or_create(
            team=team, defaults={"requested_by": user, "message": "waiting for a worker"}
        )
        stale = row.updated_at < timezone.now() - STALE_AFTER  # a worker died mid-run
        if not created and (row.state in (State.CONNECTED, State.FAILED) or stale):
            claimed = OnCallConnection.objects.filter(
                pk=team.pk, state=row.state, updated_at=row.updated_at
            ).update(
                state=State.QUEUED,
                requested_by=user,
                message="waiting for a worker",
                updated_at=timezone.now(),
            )
            created = bool(claimed)
        if created:
            from observability.tasks import connect_pagerduty

            audit.record(user, CONNECT, team, team=team.name, detail="queued")
            transaction.on_commit(lambda: connect_pagerduty.delay(team.pk))
    row.refresh_from_db()
    return row


def run_connection(team_id: int) -> OnCallConnection | None:
    """The worker's part: claim the queued run, connect, record the outcome."""
    if not OnCallConnection.objects.filter(pk=team_id, state=State.QUEUED).update(
        state=State.RUNNING, message="connecting"
    ):
        return None  # not queued any more: another worker has it, or it is done
    row = OnCallConnection.objects.select_related("team", "requested_by").get(pk=team_id)
    try:
        done = pagerduty.connect_team(row.team)
    except pagerduty.PagerDutyError as exc:
        return _finish(row, State.FAILED, f"failing: {exc}")
    record_on_call(row.team, row.requested_by, done)
    made = ", ".join(done.created) or "nothing (all found)"
    return _finish(
        row,
        State.CONNECTED,
        f"connected: PagerDuty service {done.service_id}; created {made}; the integration key "
        f"is in Vault at {done.vault_path} ({done.vault_outcome}). Backfill the team's services "
        "so their alert routes read it.",
    )


def _finish(row: OnCallConnection, state: str, message: str) -> OnCallConnection:
    row.state, row.message = state, message
    row.save(update_fields=["state", "message", "updated_at"])
    outcome = "ok" if state == State.CONNECTED else "failed"
    audit.record(
        row.requested_by, CONNECT, row.team, team=row.team.name, detail=message, outcome=outcome
    )
    return row


@transaction.atomic
def record_on_call(team: Team, user, done: pagerduty.Connected) -> TeamOnCall:
    """References only: service and policy ids, the Secret's name, the Vault path."""
    on_call, _ = TeamOnCall.objects.update_or_create(
        team=team,
        defaults={
            "pagerduty_service": done.service_id,
            "escalation_policy": done.policy_id,
            "routing_key_secret": done.secret_name,
            "routing_key_secret_key": pagerduty.ROUTING_KEY,
            "vault_path": done.vault_path,
            "updated_by": user,
        },
    )
    return on_call


@transaction.atomic
def set_on_call(team: Team, user, pagerduty_service: str, secret: str, key: str) -> TeamOnCall:
    """Create or change the team's on-call target (references only, never the key); the
    change, before and after, goes to the audit trail."""
    before = (
        TeamOnCall.objects.filter(team=team)
        .values("pagerduty_service", "routing_key_secret", "routing_key_secret_key")
        .first()
    )
    on_call, _ = TeamOnCall.objects.update_or_create(
        team=team,
        defaults={
            "pagerduty_service": pagerduty_service,
            "routing_key_secret": secret,
            "routing_key_secret_key": key,
            # typed by hand: the Secret is the team's own, not the one synced from Vault
            "escalation_policy": "",
            "vault_path": "",
            "updated_by": user,
        },
    )
    after = {
        "pagerduty_service": pagerduty_service,
        "routing_key_secret": secret,
        "routing_key_secret_key": key,
    }
    audit.record(user, "on_call.edit", team, team=team.name, before=before, after=after)
    return on_call
