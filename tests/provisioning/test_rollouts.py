"""A deployment is done when Argo CD reports its commit Synced and Healthy; Degraded is a
failure; an unreachable Argo CD is said so and checked again, a bounded number of times."""

from datetime import timedelta

import pytest
from django.utils import timezone

from provisioning import rollouts, tasks
from provisioning.choices import EventKind, RequestState
from provisioning.demo import seed_golden_paths
from provisioning.golden_paths.choices import DeploymentStatus, RolloutStatus
from provisioning.models import Deployment, GoldenPath, ProvisioningRequest, ServiceOrigin
from tests.provisioning.argocd_server import ArgoCDServer
from tests.provisioning.conftest import default_environment

COMMIT, LATER, OLDER = "1" * 40, "2" * 40, "0" * 40


@pytest.fixture
def argo(settings):
    with ArgoCDServer() as server:
        settings.ARGOCD_SERVER, settings.ARGOCD_TOKEN = server.url, server.token
        settings.ARGOCD_ROLLOUT_CHECKS = 3
        yield server
    assert not server.violations


@pytest.fixture
def deployment(personas):
    seed_golden_paths()
    origin = ServiceOrigin.objects.create(
        name="checkout",
        golden_path=GoldenPath.objects.get(slug="python-http"),
        team=personas.team,
        image="ghcr.io/acme/checkout",
    )
    dev = default_environment("dev")
    request = ProvisioningRequest.objects.create(
        requester=personas.teammate,
        team=personas.team,
        environment=dev,
        type="deploy",
        state=RequestState.SUCCEEDED,
    )
    return Deployment.objects.create(
        origin=origin,
        environment=dev,
        tag="abc",
        request=request,
        requested_by=personas.teammate,
        status=DeploymentStatus.COMMITTED,
        gitops_commit=COMMIT,
        committed_at=timezone.now(),
    )


def _waiting(d: Deployment) -> Deployment:
    Deployment.objects.filter(pk=d.pk).update(rollout=RolloutStatus.WAITING)
    return d


def _reload(d: Deployment) -> Deployment:
    return Deployment.objects.get(pk=d.pk)


def test_without_argo_cd_the_commit_is_the_deployment(deployment, settings, monkeypatch):
    settings.ARGOCD_SERVER = ""
    queued = []
    monkeypatch.setattr(tasks.track_rollout, "delay", lambda *a: queued.append(a))
    rollouts.start_tracking(deployment.pk)
    assert _reload(deployment).rollout == RolloutStatus.UNTRACKED
    assert queued == []


def test_with_argo_cd_a_commit_waits_for_it(
    deployment, argo, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.track_rollout, "delay", lambda *a: queued.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        rollouts.start_tracking(deployment.pk)
        rollouts.start_tracking(deployment.pk)  # the step ran twice: still one check queued
    assert _reload(deployment).rollout == RolloutStatus.WAITING
    assert queued == [(deployment.pk, 1)]
    assert deployment.request.events.filter(message="waiting for Argo CD to sync checkout-dev")


def test_synced_and_healthy_at_its_commit_is_done(deployment, argo):
    argo.put_app("checkout", "dev", revision=COMMIT)
    assert rollouts.check_rollout(_waiting(deployment).pk, 1) is False
    d = _reload(deployment)
    assert d.rollout == RolloutStatus.DONE and d.rolled_out_at is not None
    assert d.request.events.filter(message__contains="Synced and Healthy").exists()


def test_a_later_commit_of_the_repository_counts(deployment, argo, personas):
    Deployment.objects.create(
        origin=deployment.origin,
        environment=deployment.environment,
        tag="def",
        requested_by=personas.teammate,
        status=DeploymentStatus.COMMITTED,
        gitops_commit=LATER,
        committed_at=timezone.now(),
    )
    argo.put_app("checkout", "dev", revision=LATER)
    rollouts.check_rollout(_waiting(deployment).pk, 1)
    assert _reload(deployment).rollout == RolloutStatus.DONE


def test_an_older_revision_keeps_it_waiting(deployment, argo):
    argo.put_app("checkout", "dev", revision=OLDER)
    assert rollouts.check_rollout(_waiting(deployment).pk, 1) is True
    d = _reload(deployment)
    assert d.rollout == RolloutStatus.WAITING and d.rolled_out_at is None
    assert "Synced, Healthy at 000000000000" in d.rollout_detail


def test_degraded_is_a_failure_with_argo_cds_reason(deployment, argo):
    argo.put_app(
        "checkout", "dev", revision=COMMIT, health="Degraded", message="Back-off restarting"
    )
    assert rollouts.check_rollout(_waiting(deployment).pk, 1) is False
    d = _reload(deployment)
    assert d.rollout == RolloutStatus.DEGRADED and "Back-off restarting" in d.rollout_detail
    assert d.request.events.filter(kind=EventKind.ERROR).count() == 1


def test_unreachable_is_said_and_retried_then_given_up(deployment, settings):
    settings.ARGOCD_SERVER, settings.ARGOCD_TOKEN = "http://127.0.0.1:9", "t"
    settings.ARGOCD_ROLLOUT_CHECKS = 2
    assert rollouts.check_rollout(_waiting(deployment).pk, 1) is True
    d = _reload(deployment)
    assert d.rollout == RolloutStatus.UNREADABLE and "unreachable" in d.rollout_detail
    assert rollouts.check_rollout(deployment.pk, 2) is False
    assert "stopped checking" in _reload(deployment).rollout_detail
    assert d.request.events.filter(kind=EventKind.RETRY).count() == 2


def test_the_task_checks_again_later_while_in_flight(deployment, argo, monkeypatch, settings):
    argo.put_app("checkout", "dev", revision=OLDER)
    later = []
    monkeypatch.setattr(
        tasks.track_rollout, "apply_async", lambda args, countdown: later.append((args, countdown))
    )
    tasks.track_rollout(_waiting(deployment).pk, 1)
    assert later == [((deployment.pk, 2), settings.ARGOCD_ROLLOUT_CHECK_SECONDS)]


def test_a_finished_deployment_is_not_checked_again(deployment, argo):
    Deployment.objects.filter(pk=deployment.pk).update(rollout=RolloutStatus.DONE)
    assert rollouts.check_rollout(deployment.pk, 1) is False
    assert argo.lines() == []


def test_the_deployment_step_starts_tracking_after_its_commit(deployment, argo, monkeypatch):
    from provisioning.drivers.base import EnsureResult, PlannedResource
    from provisioning.drivers.portal import PortalDriver
    from provisioning.golden_paths import deployments

    monkeypatch.setattr(
        deployments,
        "apply_deployment",
        lambda pk, components: EnsureResult("updated", COMMIT, "ok"),
    )
    monkeypatch.setattr(tasks.track_rollout, "delay", lambda *a: None)
    config = {"deployment": deployment.pk, "tag": "abc"}
    PortalDriver().ensure(PlannedResource("portal", "deployment", "checkout/dev", {}, config))
    assert _reload(deployment).rollout == RolloutStatus.WAITING


def test_the_deployments_table_shows_argo_cds_verdict(deployment, client, personas, settings):
    from tests.factories import make_component

    settings.ARGOCD_SERVER = ""
    component = make_component("checkout", owner=personas.team, type="service")
    ServiceOrigin.objects.filter(pk=deployment.origin_id).update(component=component)
    Deployment.objects.filter(pk=deployment.pk).update(
        rollout=RolloutStatus.DEGRADED, rollout_detail="Argo CD checkout-dev: Degraded: OOMKilled"
    )
    client.force_login(personas.teammate)
    html = client.get(component.get_absolute_url()).content.decode()
    assert 'Argo CD: <span class="badge">Degraded</span>' in html and "OOMKilled" in html


def test_a_refused_token_stops_the_checks_at_once(deployment, argo, settings):
    settings.ARGOCD_TOKEN = "wrong"
    assert rollouts.check_rollout(_waiting(deployment).pk, 1) is False
    d = _reload(deployment)
    assert d.rollout == RolloutStatus.UNREADABLE and "ARGOCD_TOKEN" in d.rollout_detail
    assert "stopped checking" in d.rollout_detail


def test_a_missing_application_is_checked_again(deployment, argo):
    assert rollouts.check_rollout(_waiting(deployment).pk, 1) is True
    assert "no such application" in _reload(deployment).rollout_detail


class _Host:
    """The git host's clock for two GitOps commits."""

    def __init__(self, times: dict):
        self.times = times

    def commit_time(self, name, rev):
        return self.times.get(rev)


def test_a_later_commit_made_outside_deployments_counts_by_the_hosts_clock(
    deployment, argo, monkeypatch
):
    now = timezone.now()
    hosts = {
        "later": _Host({COMMIT: now, LATER: now + timedelta(seconds=5)}),
        "earlier": _Host({COMMIT: now, LATER: now - timedelta(seconds=5)}),
    }
    argo.put_app("checkout", "dev", revision=LATER)
    monkeypatch.setattr(rollouts, "get_host", lambda: hosts["earlier"])
    rollouts.check_rollout(_waiting(deployment).pk, 1)
    assert _reload(deployment).rollout == RolloutStatus.WAITING
    monkeypatch.setattr(rollouts, "get_host", lambda: hosts["later"])
    rollouts.check_rollout(deployment.pk, 2)
    assert _reload(deployment).rollout == RolloutStatus.DONE


def test_sync_now_checks_an_unconfirmed_deployment_again(
    deployment, argo, monkeypatch, django_capture_on_commit_callbacks
):
    from provisioning.argocd_section import SyncTarget, sync_now

    argo.put_app("checkout", "dev")
    queued = []
    monkeypatch.setattr(tasks.track_rollout, "delay", lambda *a: queued.append(a))
    Deployment.objects.filter(pk=deployment.pk).update(rollout=RolloutStatus.UNREADABLE)
    with django_capture_on_commit_callbacks(execute=True):
        sync_now(deployment.requested_by, SyncTarget(deployment.origin, deployment.environment))
    assert queued == [(deployment.pk, 1)]


@pytest.mark.parametrize(
    ("state", "detail", "headline"),
    [
        (RolloutStatus.UNTRACKED, "", "checkout:abc is deployed to dev"),
        (RolloutStatus.DONE, "", "checkout:abc is deployed to dev"),
        (RolloutStatus.WAITING, "", "checkout:abc is committed to dev; Argo CD has not confirmed"),
        (
            RolloutStatus.DEGRADED,
            "Back-off pulling image",
            "checkout:abc was committed to dev, but Argo CD reports it Degraded: Back-off pulling",
        ),
    ],
)
def test_the_request_page_headline_follows_argo_cds_verdict(deployment, state, detail, headline):
    from provisioning import outcome

    Deployment.objects.filter(pk=deployment.pk).update(rollout=state, rollout_detail=detail)
    request = deployment.request
    request.parameters = {"tag": "abc"}
    request.service_name = "checkout"
    assert outcome.succeeded(request, []).headline.startswith(headline)
