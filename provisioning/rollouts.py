"""When a deployment is done: with Argo CD connected, when Argo CD reports the Application
Synced and Healthy at the deployment's GitOps commit (or a later one of the same repository);
Degraded is a failure. Without ARGOCD_SERVER nothing here runs and the commit is the
deployment, as before.

After the commit lands, `start_tracking` marks the deployment "waiting" and a Celery task
checks Argo CD every ARGOCD_ROLLOUT_CHECK_SECONDS, at most ARGOCD_ROLLOUT_CHECKS times; each
change of state is written to the deployment's request log.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from provisioning import argocd
from provisioning.choices import EventKind
from provisioning.golden_paths.choices import DeploymentStatus, RolloutStatus
from provisioning.models import Deployment
from provisioning.services import record

logger = logging.getLogger(__name__)
ACTOR = "argocd"


def verdict(app: argocd.AppState, commit: str, later_commits: set[str]) -> str:
    """DONE, DEGRADED or WAITING for a deployment whose GitOps commit is `commit`, given the
    GitOps commits made after it (pure). Argo CD's sync revision is the commit it compared
    against: until it is ours or a later one, our change has not reached it."""
    reached = bool(app.revision) and (app.revision == commit or app.revision in later_commits)
    if reached and app.is_done:
        return RolloutStatus.DONE
    if reached and app.is_degraded:
        return RolloutStatus.DEGRADED
    return RolloutStatus.WAITING


def later_commits(d: Deployment) -> set[str]:
    """GitOps commits the portal made after `d`'s (the repository is shared and linear)."""
    return set(
        Deployment.objects.filter(
            status=DeploymentStatus.COMMITTED, committed_at__gt=d.committed_at
        )
        .exclude(gitops_commit="")
        .values_list("gitops_commit", flat=True)[:500]
    )


def start_tracking(deployment_id: int) -> None:
    """After a deployment's commit: wait for Argo CD's word (nothing without Argo CD)."""
    if not argocd.is_connected():
        return
    updated = Deployment.objects.filter(
        pk=deployment_id, status=DeploymentStatus.COMMITTED, rollout=RolloutStatus.UNTRACKED
    ).update(rollout=RolloutStatus.WAITING, rollout_detail="waiting for Argo CD to sync")
    if updated:
        from provisioning.tasks import track_rollout

        d = Deployment.objects.select_related("origin", "environment", "request").get(
            pk=deployment_id
        )
        if d.request_id:
            name = argocd.application_name(d.origin.name, d.environment.name)
            record(d.request, ACTOR, EventKind.INFO, f"waiting for Argo CD to sync {name}")

        transaction.on_commit(lambda: track_rollout.delay(deployment_id, 1))


def _set(d: Deployment, state: str, detail: str, kind: str = EventKind.INFO) -> None:
    """Save the new state; a change of state goes to the request's log too."""
    changed = d.rollout != state or d.rollout_detail != detail[:500]
    d.rollout, d.rollout_detail = state, detail[:500]
    if state == RolloutStatus.DONE and d.rolled_out_at is None:
        d.rolled_out_at = timezone.now()
    d.save(update_fields=["rollout", "rollout_detail", "rolled_out_at"])
    if changed and d.request_id:
        record(d.request, ACTOR, kind, detail)


def check_rollout(deployment_id: int, attempt: int) -> bool:
    """One check; True when another should follow."""
    d = (
        Deployment.objects.select_related("origin", "environment", "request")
        .filter(pk=deployment_id)
        .first()
    )
    if d is None or d.rollout not in (RolloutStatus.WAITING, RolloutStatus.UNREADABLE):
        return False
    name = argocd.application_name(d.origin.name, d.environment.name)
    more = attempt < settings.ARGOCD_ROLLOUT_CHECKS
    try:
        app = argocd.application(name)
    except argocd.ArgoError as error:
        more = more and error.transient  # a refused token or a bad answer will not mend itself
        then = "checking again" if more else "stopped checking: use Sync now or check Argo CD"
        _set(d, RolloutStatus.UNREADABLE, f"Argo CD {name}: {error}; {then}", EventKind.RETRY)
        return more
    state = verdict(app, d.gitops_commit, later_commits(d))
    if state == RolloutStatus.DONE:
        _set(d, state, f"Argo CD {name}: Synced and Healthy at {app.revision[:12]}")
    elif state == RolloutStatus.DEGRADED:
        _set(d, state, f"Argo CD {name}: {app.health}: {app.why}", EventKind.ERROR)
    else:
        where = f"{app.sync}, {app.health} at {app.revision[:12] or 'no revision'}"
        then = "" if more else f"; stopped checking after {attempt} checks"
        _set(d, RolloutStatus.WAITING, f"Argo CD {name}: {where}{then}")
    return state == RolloutStatus.WAITING and more
