"""The Day-2 update pages: the platform page, opening updates, the service page, the admin."""

import pytest
from django.test import Client

from catalog.models import Component
from provisioning.golden_paths import updates
from provisioning.models import ProvisioningRequest, ServiceOrigin
from tests.provisioning.golden.update_helpers import make_live, new_golden_path_version

OVERVIEW = "/provisioning/updates/"


def open_url(kind: str, pk: int) -> str:
    return f"/provisioning/updates/{kind}/{pk}/open/"


@pytest.fixture
def platform_admin(admin_user):
    """conftest's admin: with the second factor the Django admin pages require."""
    return admin_user


@pytest.fixture
def behind(personas, python_http):
    """checkout on python-http v1 while v2 is published."""
    make_live(personas, python_http, "checkout")
    return new_golden_path_version(python_http, {"NOTICE": "n\n"})


def update_requests():
    return ProvisioningRequest.objects.filter(type__in=[updates.UPGRADE_TYPE, updates.ROLLOUT_TYPE])


# --- The platform page ---------------------------------------------------------------------


def test_the_platform_page_says_where_versions_are_made(admin_client, behind):
    html = admin_client.get("/provisioning/updates/").content.decode()
    assert 'href="/admin/provisioning/goldenpath/"' in html
    assert 'href="/admin/provisioning/pipelinetemplate/"' in html


def test_the_platform_page_lists_the_services_behind_with_buttons(admin_client, behind):
    html = admin_client.get(OVERVIEW).content.decode()
    assert "1 service behind" in html and "Upgrade 1 service behind" in html
    assert "Upgrade checkout" in html and open_url("golden-path", behind.pk) in html
    assert "csrfmiddlewaretoken" in html


def test_the_platform_page_is_for_platform_admins_only(owner_client, outsider_client, behind):
    assert owner_client.get(OVERVIEW).status_code == 403
    assert outsider_client.get(OVERVIEW).status_code == 403


def test_the_platform_page_has_a_query_budget_constant_in_the_services(
    admin_client, personas, behind, django_assert_max_num_queries
):
    admin_client.post(open_url("golden-path", behind.pk))  # a recent request, with progress
    # session, user, golden paths, pipelines, services, recent requests, their steps, teams,
    # the header's approvals count
    with django_assert_max_num_queries(10):  # with the survey banner
        admin_client.get(OVERVIEW)
    make_live(personas, ServiceOrigin.objects.get(name="checkout").golden_path, "orders")
    with django_assert_max_num_queries(10):  # with the survey banner
        assert "2 services behind" in admin_client.get(OVERVIEW).content.decode()


# --- Opening an update ---------------------------------------------------------------------


def test_an_admin_opens_the_upgrade_and_lands_on_the_request(admin_client, behind):
    response = admin_client.post(open_url("golden-path", behind.pk))
    (request,) = update_requests()
    assert response.status_code == 302 and response.url == request.get_absolute_url()
    assert request.steps.count() == 1 and request.team.name == "payments"
    html = admin_client.get(response.url).content.decode()
    assert request.plan["summary"] in html
    assert " · None · " not in html  # a request over services has no one environment


def test_opening_it_twice_does_not_queue_the_same_service_twice(admin_client, behind):
    admin_client.post(open_url("golden-path", behind.pk))
    response = admin_client.post(open_url("golden-path", behind.pk), follow=True)
    assert update_requests().count() == 1
    assert "Nothing opened: nothing to update" in response.content.decode()


def test_a_non_admin_cannot_open_a_rollout(owner_client, outsider_client, behind):
    for client in (owner_client, outsider_client):
        assert client.post(open_url("golden-path", behind.pk)).status_code == 403
        assert client.post(open_url("pipeline", behind.pipeline_id)).status_code == 403
    assert not update_requests().exists()


def test_opening_needs_a_post_with_a_csrf_token(platform_admin, behind):
    client = Client(enforce_csrf_checks=True)
    client.force_login(platform_admin)
    assert client.get(open_url("golden-path", behind.pk)).status_code == 405
    assert client.post(open_url("golden-path", behind.pk)).status_code == 403
    assert not update_requests().exists()


def test_an_unknown_kind_or_version_is_not_found(admin_client, behind):
    assert admin_client.post(open_url("skeleton", behind.pk)).status_code == 404
    assert admin_client.post(open_url("golden-path", 9999)).status_code == 404


# --- The service page and its Upgrade button -----------------------------------------------


def service_page(client) -> str:
    url = Component.objects.get(name="checkout").get_absolute_url()
    return client.get(url).content.decode()


def test_the_service_page_says_which_versions_it_is_on_and_that_it_is_behind(owner_client, behind):
    html = service_page(owner_client)
    assert "python-http v1" in html and "github-actions v1" in html
    assert "behind: v2 available" in html
    assert "/provisioning/services/checkout/upgrade/" in html


def test_an_outsider_sees_the_versions_but_no_upgrade_button(outsider_client, behind):
    html = service_page(outsider_client)
    assert "behind: v2 available" in html
    assert "/provisioning/services/checkout/upgrade/" not in html


def test_an_owner_upgrades_their_service(owner_client, behind):
    response = owner_client.post("/provisioning/services/checkout/upgrade/")
    (request,) = update_requests()
    assert response.url == request.get_absolute_url()
    assert request.team.name == "payments" and request.component.name == "checkout"


def test_an_outsider_cannot_upgrade_another_teams_service(outsider_client, behind):
    assert outsider_client.post("/provisioning/services/checkout/upgrade/").status_code == 403
    assert outsider_client.post("/provisioning/services/nope/upgrade/").status_code == 404
    assert not update_requests().exists()


def test_upgrading_a_current_service_says_so_and_opens_nothing(owner_client, personas, python_http):
    make_live(personas, python_http, "checkout")
    response = owner_client.post("/provisioning/services/checkout/upgrade/", follow=True)
    assert "checkout is on the newest versions" in response.content.decode()
    assert not update_requests().exists()


# --- The admin -----------------------------------------------------------------------------


def test_the_admin_change_page_counts_the_services_behind(admin_client, behind):
    html = admin_client.get(f"/admin/provisioning/goldenpath/{behind.pk}/change/").content.decode()
    assert "1 service(s) on older versions" in html and "/provisioning/updates/#golden" in html


def test_the_admin_action_opens_the_rollout(admin_client, behind):
    response = admin_client.post(
        "/admin/provisioning/goldenpath/",
        {"action": "open_updates", "_selected_action": [behind.pk]},
    )
    (request,) = update_requests()
    assert response.status_code == 302 and response.url == request.get_absolute_url()


def test_the_pages_refuse_the_wrong_method(admin_client, behind):
    assert admin_client.post(OVERVIEW).status_code == 405
    assert admin_client.get("/provisioning/services/checkout/upgrade/").status_code == 405
