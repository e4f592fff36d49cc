"""Celery tasks: thin wrappers that take ids and let engine.py do the work."""

from celery import shared_task
from django.db import DatabaseError

from provisioning import engine


# A database blip before the claim would otherwise drop the message (it is acknowledged on
# failure) and leave the request waiting for the reconciler's ten-minute re-send.
@shared_task(
    bind=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=6,
)
def apply_request(self, request_id: int) -> str:
    """Apply a queued request; on a transient error, schedule itself again after a backoff."""
    outcome = engine.apply(request_id, worker=self.request.hostname or "worker")
    if outcome.retry_in is not None:
        apply_request.apply_async((request_id,), countdown=outcome.retry_in)
    return outcome.state


@shared_task
def reconcile_stalled_requests() -> list[int]:
    """Beat: re-queue requests whose worker died or whose message the broker lost."""
    return engine.reconcile_stalled()


@shared_task
def check_resource_drift() -> dict[str, int]:
    """Beat: compare what the portal made with what exists; flag the differences."""
    return engine.check_all_drift()


@shared_task
def track_rollout(deployment_id: int, attempt: int = 1) -> None:
    """Check a committed deployment against Argo CD; again later while it is in flight."""
    from django.conf import settings

    from provisioning import rollouts

    if rollouts.check_rollout(deployment_id, attempt):
        track_rollout.apply_async(
            (deployment_id, attempt + 1), countdown=settings.ARGOCD_ROLLOUT_CHECK_SECONDS
        )


@shared_task
def poll_deploy_events() -> dict[str, int]:
    """Beat (only without a webhook secret on GitHub): record recent workflow runs."""
    from provisioning import deploy_events_poll

    try:
        report = deploy_events_poll.poll(deploy_events_poll.github_runs_reader())
    except deploy_events_poll.NotConnected:
        return {"recorded": 0, "problems": 0}
    return {"recorded": report.recorded, "problems": len(report.problems)}
