"""Backfill steps hold each bundle's inputs, not its files, and are rendered when they run:
a backfill of hundreds of services is one small request that still never writes a bundle
twice."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import Component
from observability import services
from observability.choices import BaselineScope
from provisioning import engine
from provisioning.choices import RequestState, StepState
from provisioning.drivers.base import PermanentError, PlannedResource
from provisioning.extensions import rendered
from provisioning.git_host.plumbing import read_files
from provisioning.models import ProvisioningRequest
from tests.factories import make_component, make_team
from tests.observability.conftest import git_log
from tests.observability.factories import make_baseline


def backfills():
    return ProvisioningRequest.objects.filter(type=services.BACKFILL_TYPE)


def post_backfill(platform_client, **query):
    return platform_client.post(reverse("observability:backfill"), query, follow=True)


def test_a_backfill_over_the_old_300_service_limit_is_one_request(platform_client, environments):
    team = make_team("fleet")
    Component.objects.bulk_create(
        Component(name=f"svc-{n:03}", owner=team, tier=1 + n % 4, search_text=f"svc-{n:03}")
        for n in range(320)
    )
    response = post_backfill(platform_client, team="fleet")
    [request] = backfills()
    assert request.steps.count() == 320 * len(environments)
    assert "more service(s) remain" not in response.content.decode()
    assert request.parameters["bundles"] == 320 * len(environments)


def test_steps_and_plan_hold_the_inputs_not_the_rendered_files(platform_client, environments):
    component = make_component("petstore", owner=make_team("fleet"), tier=1)
    post_backfill(platform_client, team="fleet")
    request = backfills().get()
    step = request.steps.order_by("position").first()
    assert step.resource["config"] == {
        "render": services.BACKFILL_RENDERER,
        "component": component.pk,
        "service": "petstore",
        "environment": "dev",
        "message": step.resource["config"]["message"],
    }
    assert step.resource["tags"]["digest"]  # what _in_flight compares
    assert all("files" not in r["config"] for r in request.plan["resources"])
    assert len(json.dumps(request.plan)) < 2_000 * len(environments)


def test_the_step_writes_the_bundle_as_wanted_when_it_runs(
    platform_client, environments, gitops_dir
):
    make_component("petstore", owner=make_team("fleet"), tier=1)
    post_backfill(platform_client, team="fleet")
    make_baseline(BaselineScope.TIER_1, error_rate_percent=Decimal("0.25"))
    assert engine.apply(backfills().get().pk, "w1").state == RequestState.SUCCEEDED
    rules = read_files(gitops_dir / "gitops.git", "main", "apps/petstore/dev/observability")
    assert "> 0.25" in rules["prometheusrule.yaml"]
    assert len(git_log(gitops_dir)) == len(environments)


def test_a_pending_backfill_is_not_repeated_after_a_baseline_change(platform_client, environments):
    make_component("petstore", owner=make_team("fleet"), tier=1)
    post_backfill(platform_client, team="fleet")
    make_baseline(BaselineScope.TIER_1, error_rate_percent=Decimal("0.25"))
    response = post_backfill(platform_client, team="fleet")
    assert backfills().count() == 1  # the pending steps will render the new baseline
    assert f"{len(environments)} are being written by an earlier request" in (
        response.content.decode()
    )


def test_a_running_step_of_an_older_plan_does_not_hide_a_newer_bundle(
    platform_client, environments
):
    make_component("petstore", owner=make_team("fleet"), tier=1)
    post_backfill(platform_client, team="fleet")
    backfills().get().steps.update(state=StepState.RUNNING)  # already rendered, mid-commit
    make_baseline(BaselineScope.TIER_1, error_rate_percent=Decimal("0.25"))
    post_backfill(platform_client, team="fleet")
    assert backfills().count() == 2


def test_a_service_removed_before_its_step_runs_fails_the_step_and_writes_nothing(
    platform_client, environments, gitops_dir
):
    component = make_component("petstore", owner=make_team("fleet"), tier=1)
    post_backfill(platform_client, team="fleet")
    request = backfills().get()
    component.delete()
    assert engine.apply(request.pk, "w1").state == RequestState.FAILED
    request.refresh_from_db()
    assert "service petstore of gitops:apps/petstore/dev/observability was removed" in (
        request.failure
    )
    assert git_log(gitops_dir) == []


def test_a_service_renamed_before_its_step_runs_is_not_written_under_the_new_name(
    platform_client, environments, gitops_dir
):
    component = make_component("petstore", owner=make_team("fleet"), tier=1)
    post_backfill(platform_client, team="fleet")
    Component.objects.filter(pk=component.pk).update(name="catstore")
    assert engine.apply(backfills().get().pk, "w1").state == RequestState.FAILED
    assert "renamed to catstore" in backfills().get().failure
    assert git_log(gitops_dir) == []


def test_a_service_left_without_owner_before_its_step_runs_is_not_written(
    platform_client, environments, gitops_dir
):
    component = make_component("petstore", owner=make_team("fleet"), tier=1)
    post_backfill(platform_client, team="fleet")
    Component.objects.filter(pk=component.pk).update(owner=None)
    assert engine.apply(backfills().get().pk, "w1").state == RequestState.FAILED
    assert "petstore has no owner team any more" in backfills().get().failure
    assert git_log(gitops_dir) == []


def test_a_step_for_a_renderer_nobody_registered_fails_readably():
    step = PlannedResource("git", "gitops-files", "gitops:x", config={"render": "nobody"})
    with pytest.raises(PermanentError, match="no app here renders 'nobody' steps"):
        rendered(step)


def test_a_whole_resource_is_run_as_it_is():
    whole = PlannedResource("git", "gitops-files", "gitops:x", config={"files": {"a": "b"}})
    assert rendered(whole) is whole


def test_a_long_backfill_runs_in_slices_and_each_slice_goes_on_where_the_last_stopped(
    platform_client, environments, gitops_dir, monkeypatch
):
    make_component("petstore", owner=make_team("fleet"), tier=1)
    post_backfill(platform_client, team="fleet")
    request = backfills().get()
    monkeypatch.setattr(engine, "SLICE_SECONDS", 0)  # every slice is over after one step
    outcomes = [engine.apply(request.pk, "w1") for _ in environments]
    assert [o.state for o in outcomes] == [RequestState.QUEUED] * (len(environments) - 1) + [
        RequestState.SUCCEEDED
    ]
    assert outcomes[0].retry_in == 0  # the task sends itself again at once
    assert request.steps.filter(attempts=1).count() == len(environments)  # none run twice
    assert len(git_log(gitops_dir)) == len(environments)
