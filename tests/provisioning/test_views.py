"""Provisioning pages: catalog of types, form → plan preview → submit, request page, approvals."""

from provisioning import engine
from provisioning.choices import RequestState
from provisioning.models import ProvisioningRequest
from tests.factories import make_component

FORM = "/provisioning/request/s3-bucket/"


def form_data(**extra):
    return {
        "service": "petstore",
        "environment": "dev",
        "purpose": "assets",
        "versioning": "on",
        "encryption": "AES256",
        "lifecycle": "none",
        "idempotency_key": "key-1",
        **extra,
    }


def test_the_catalog_shows_each_type_with_what_you_get(member):
    html = member.get("/provisioning/").content.decode()
    for title in [
        "Object storage bucket",
        "PostgreSQL database",
        "Message queue",
        "Kubernetes namespace",
        "Secrets path",
    ]:
        assert title in html
    assert "Typical time" in html


def test_platform_pages_are_linked_for_platform_admins_only(member, personas):
    html = member.get("/provisioning/").content.decode()
    assert "/provisioning/updates/" not in html and "/provisioning/parity/" not in html

    personas.teammate.is_staff = True
    personas.teammate.save(update_fields=["is_staff"])
    html = member.get("/provisioning/").content.decode()
    assert 'href="/provisioning/updates/">Golden-path updates' in html
    assert 'href="/provisioning/parity/">Environment parity' in html


def test_unconnected_providers_are_named_on_the_catalog(client, personas):
    client.force_login(
        personas.teammate
    )  # real drivers: Kubernetes and Vault are not configured here
    html = client.get("/provisioning/").content.decode()
    assert "not connected: KUBECONFIG is not set" in html or "not connected" in html


def test_the_form_offers_only_my_teams_services(member, personas):
    make_component("indexer", owner=personas.outsider.teams.first())
    html = member.get(FORM).content.decode()
    assert '<option value="petstore"' in html and "indexer" not in html
    assert "needs approval" in html  # production is labelled


def test_preview_shows_the_exact_plan_without_creating_anything(member):
    response = member.post(FORM, {**form_data(), "action": "preview"})
    html = response.content.decode()
    assert "payments-petstore-dev-assets" in html and "cost-center=engineering" in html
    assert not ProvisioningRequest.objects.exists()


def test_htmx_preview_returns_the_form_with_its_plan(member):
    """The swap carries the fields too, so their errors and aria-invalid can be shown."""
    response = member.post(
        FORM, {**form_data(), "action": "preview"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="request-form">') and "<html" not in html
    assert 'name="purpose"' in html and "payments-petstore-dev-assets" in html


def test_submit_creates_the_request_and_lands_on_its_page(member):
    response = member.post(FORM, {**form_data(), "action": "submit"})
    request = ProvisioningRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == request.get_absolute_url()
    [message] = [str(m) for m in response.wsgi_request._messages]
    assert message == (
        "Asked for object storage bucket for petstore in Development: a worker is making it now."
    )


def test_double_submit_of_the_same_form_makes_one_request(member):
    member.post(FORM, {**form_data(), "action": "submit"})
    member.post(FORM, {**form_data(), "action": "submit"})
    assert ProvisioningRequest.objects.count() == 1


def test_bad_purpose_is_explained_next_to_the_field(member):
    html = member.post(
        FORM, {**form_data(purpose="My Bucket!"), "action": "preview"}
    ).content.decode()
    assert "use lowercase letters, digits and single hyphens" in html
    assert 'aria-invalid="true"' in html and 'id="id_purpose_error"' in html
    assert not ProvisioningRequest.objects.exists()


def test_posting_for_another_teams_service_is_refused(member, personas):
    make_component("indexer", owner=personas.outsider.teams.first())
    response = member.post(FORM, {**form_data(service="indexer"), "action": "submit"})
    assert response.status_code == 403
    assert not ProvisioningRequest.objects.exists()


def test_unknown_type_is_404(member):
    assert member.get("/provisioning/request/spaceship/").status_code == 404


def test_request_page_polls_until_terminal(member):
    member.post(FORM, {**form_data(), "action": "submit"})
    request = ProvisioningRequest.objects.get()
    html = member.get(request.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 2s"' in html
    engine.apply(request.pk, "w1")
    partial = member.get(
        request.get_absolute_url(), headers={"HX-Request": "true"}
    ).content.decode()
    assert "Succeeded" in partial and "every 2s" not in partial and "<html" not in partial


def test_outsiders_cannot_see_a_request(member, client, personas):
    member.post(FORM, {**form_data(), "action": "submit"})
    request = ProvisioningRequest.objects.get()
    client.force_login(personas.outsider)
    assert client.get(request.get_absolute_url()).status_code == 403
    assert client.post(f"/provisioning/requests/{request.pk}/cancel/").status_code == 403
    request.refresh_from_db()
    assert request.state != RequestState.CANCELLED


def test_a_lead_approves_from_the_queue(client, personas, petstore, recording_driver):
    client.force_login(personas.teammate)
    client.post(FORM, {**form_data(environment="prod"), "action": "submit"})
    request = ProvisioningRequest.objects.get()
    assert request.state == RequestState.AWAITING_APPROVAL
    assert client.post(f"/provisioning/requests/{request.pk}/approve/").status_code == 403
    client.force_login(personas.owner)
    assert f"#{request.pk}" in client.get("/provisioning/approvals/").content.decode()
    client.post(f"/provisioning/requests/{request.pk}/approve/")
    request.refresh_from_db()
    assert request.state == RequestState.QUEUED and request.approved_by == personas.owner


def test_approving_twice_is_a_no_op(client, personas, petstore, recording_driver):
    client.force_login(personas.teammate)
    client.post(FORM, {**form_data(environment="prod"), "action": "submit"})
    request = ProvisioningRequest.objects.get()
    client.force_login(personas.owner)
    client.post(f"/provisioning/requests/{request.pk}/approve/")
    response = client.post(f"/provisioning/requests/{request.pk}/approve/", follow=True)
    assert "nothing to approve" in response.content.decode()


def test_actions_refuse_get(member):
    member.post(FORM, {**form_data(), "action": "submit"})
    request = ProvisioningRequest.objects.get()
    assert member.get(f"/provisioning/requests/{request.pk}/retry/").status_code == 405


def test_service_page_lists_its_resources(member, petstore):
    member.post(FORM, {**form_data(), "action": "submit"})
    engine.apply(ProvisioningRequest.objects.get().pk, "w1")
    html = member.get(petstore.get_absolute_url()).content.decode()
    assert "payments-petstore-dev-assets" in html and "In sync" in html


def test_my_requests_lists_the_teams_requests(member):
    member.post(FORM, {**form_data(), "action": "submit"})
    html = member.get("/provisioning/requests/").content.decode()
    assert "<td>Object storage bucket</td>" in html and "s3-bucket" not in html


def _queries_for(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200


def test_list_and_live_pages_have_a_constant_query_budget(member, django_assert_max_num_queries):
    for index in range(3):
        member.post(
            FORM,
            {**form_data(purpose=f"a{index}", idempotency_key=f"k{index}"), "action": "submit"},
        )
    request = ProvisioningRequest.objects.first()
    engine.apply(request.pk, "w1")
    budgets = {
        "/provisioning/requests/": 8,
        "/provisioning/approvals/": 8,
        request.get_absolute_url(): 14,
    }
    for url, limit in budgets.items():
        _queries_for(member, url, django_assert_max_num_queries, limit)
    for index in range(3, 12):
        member.post(
            FORM,
            {**form_data(purpose=f"a{index}", idempotency_key=f"k{index}"), "action": "submit"},
        )
    for url, limit in budgets.items():  # ten times the rows, the same number of queries
        _queries_for(member, url, django_assert_max_num_queries, limit)
