"""The service page's Resources: a service's own wiring is shown apart, with its real
environment and no Decommission button; infrastructure keeps its buttons."""

import pytest

from provisioning.models import ProvisionedResource, ProvisioningRequest


@pytest.fixture
def service_rows(personas, petstore, dev, prod):
    staging = dev  # the request's environment, stored on every row of an old service request
    rows = {}
    for provider, kind, name in [
        ("git", "repository", "petstore"),
        ("git", "gitops-files", "gitops:apps/petstore/base"),
        ("git", "gitops-files", "gitops:apps/petstore/overlays/prod"),
        ("portal", "catalog-component", "petstore"),
        ("portal", "deployment", "petstore/dev"),
        ("aws", "s3-bucket", "payments-petstore-dev-assets"),
    ]:
        rows[name if kind != "catalog-component" else "catalog"] = (
            ProvisionedResource.objects.create(
                team=personas.team, component=petstore, environment=staging, provider=provider,
                kind=kind, name=name, state="active",
            )
        )  # fmt: skip
    return rows


def test_wiring_has_no_decommission_button_and_says_where_it_goes(
    owner_client, petstore, service_rows
):
    html = owner_client.get(petstore.get_absolute_url()).content.decode()
    assert html.count(">Decommission</button>") == 1  # the bucket's, nothing else
    assert "petstore's own wiring: 5 items" in html
    assert "they go when the whole service is retired" in html


def test_each_row_shows_its_real_environment(owner_client, petstore, service_rows, prod, dev):
    html = owner_client.get(petstore.get_absolute_url()).content.decode()
    row = "<code>{}</code></td><td>{}</td><td>{}<"
    assert row.format("gitops:apps/petstore/overlays/prod", "gitops-files", prod) in html
    assert row.format("gitops:apps/petstore/base", "gitops-files", "every environment") in html
    assert row.format("petstore/dev", "deployment", dev) in html


def test_decommissioning_wiring_by_url_is_refused_with_the_reason(owner_client, service_rows):
    overlay = service_rows["gitops:apps/petstore/overlays/prod"]
    response = owner_client.post(f"/provisioning/resources/{overlay.pk}/decommission/")
    assert response.status_code == 403
    assert "goes only with the whole service" in response.content.decode()
    assert not ProvisioningRequest.objects.exists()


def test_drifted_wiring_can_still_be_reconciled(owner_client, petstore, service_rows):
    overlay = service_rows["gitops:apps/petstore/overlays/prod"]
    ProvisionedResource.objects.filter(pk=overlay.pk).update(state="drifted")
    html = owner_client.get(petstore.get_absolute_url()).content.decode()
    assert f'action="/provisioning/resources/{overlay.pk}/reconcile/"' in html


def test_a_planned_secrets_path_is_recorded_under_the_environment_its_tags_name(
    personas, petstore, dev, prod
):
    from provisioning.drivers.base import PlannedResource
    from provisioning.planning import Plan
    from provisioning.services import _claim_names

    request = ProvisioningRequest.objects.create(
        requester=personas.owner, team=personas.team, component=petstore, environment=dev,
        type="service",
    )  # fmt: skip
    tags = {"team": "payments", "service": "petstore"}
    paths = [
        PlannedResource("vault", "kv-path", f"secret/payments/petstore/{env.name}",
                        {**tags, "environment": env.name}, {})
        for env in (dev, prod)
    ]  # fmt: skip
    _claim_names(request, Plan(paths, 0, "secrets paths"))
    recorded = dict(ProvisionedResource.objects.values_list("name", "environment__name"))
    assert recorded == {
        "secret/payments/petstore/dev": "dev",
        "secret/payments/petstore/prod": "prod",
    }
