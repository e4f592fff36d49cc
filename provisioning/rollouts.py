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
from provisioning.drivers.base import NotConnectedError, PermanentError
from provisioning.git_host import GITOPS_REPOSITORY, get_host
from provisioning.golden_paths.choices import DeploymentStatus, RolloutStatus
from provisioning.models import Deployment
from provisioning.services import record

logger = logging.getLogger(__name__)
ACTOR = "argocd"


def verdict(app: argocd.AppState, commit: str, later: bool) -> str:
    """DONE, DEGRADED or WAITING for a deployment whose GitOps commit is `commit`, `later`
    saying whether Argo CD's revision is a later commit of the GitOps repository (pure). Argo
    CD's sync revision is the commit it compared against: until it is ours or a later one
    (main is linear, so a later one holds ours), our change has not reached it."""
    reached = bool(app.revision) and (app.revision == commit or later)
    if reached and app.is_done:
        return RolloutStatus.DONE
    if reached and app.is_degraded:
        return RolloutStatus.DEGRADED
    return RolloutStatus.WAITING


def is_later(revision: str, d: Deployment) -> bool:
    """Whether `revision` came after `d`'s GitOps commit: a later portal deployment's commit,
    or (other commits: new services, observability bundles) a commit made later by the git
    host's clock; False when neither can tell."""
    if not revision or revision == d.gitops_commit:
        return False
    later = Deployment.objects.filter(
        status=DeploymentStatus.COMMITTED, committed_at__gt=d.committed_at, gitops_commit=revision
    )
    if later.exists():
        return True
    host = get_host()
    try:
        theirs = host.commit_time(GITOPS_REPOSITORY, revision)
        ours = host.commit_time(GITOPS_REPOSITORY, d.gitops_commit)
    except (NotConnectedError, PermanentError):  # no host, or no such commit there
        return False
    return bool(theirs and ours and theirs > ours)


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


def resume_tracking(origin, environment) -> None:
    """After "Sync now": check the environment's latest deployment again if Argo CD had not
    confirmed it (the checks may have stopped)."""
    latest = (
        Deployment.objects.filter(
            origin=origin, environment=environment, status=DeploymentStatus.COMMITTED
        )
        .order_by("-committed_at", "-id")
        .first()
    )
    if latest and latest.rollout in (RolloutStatus.WAITING, RolloutStatus.UNREADABLE):
        from provisioning.tasks import track_rollout

        transaction.on_commit(lambda: track_rollout.delay(latest.pk, 1))


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
    state = verdict(app, d.gitops_commit, is_later(app.revision, d))
    if state == RolloutStatus.DONE:
        _set(d, state, f"Argo CD {name}: Synced and Healthy at {app.revision[:12]}")
    elif state == RolloutStatus.DEGRADED:
        _set(d, state, f"Argo CD {name}: {app.health}: {app.why}", EventKind.ERROR)
    else:
        where = f"{app.sync}, {app.health} at {app.revision[:12] or 'no revision'}"
        then = "" if more else f"; stopped checking after {attempt} checks"
        _set(d, RolloutStatus.WAITING, f"Argo CD {name}: {where}{then}")
    return state == RolloutStatus.WAITING and more
