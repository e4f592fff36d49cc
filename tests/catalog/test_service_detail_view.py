import pytest

from catalog.sections import register_service_section, unregister_service_section
from tests.factories import (
    add_link,
    depends_on,
    make_api,
    make_component,
    make_resource,
    make_system,
    relate_api,
)


@pytest.fixture
def petstore(personas):
    system = make_system("checkout", owner=personas.team, title="Checkout")
    petstore = make_component(
        "petstore", owner=personas.team, system=system, description="Sells pets"
    )
    ledger = make_component("ledger", owner=personas.team)
    web = make_component("web", owner=personas.team)
    depends_on(petstore, ledger)
    depends_on(petstore, make_resource("pets-db"))
    depends_on(petstore, None, "component:default/fraud-check")
    depends_on(web, petstore)
    depends_on(ledger, petstore)  # a cycle: petstore → ledger → petstore
    api = make_api("pets-http", owner=personas.team)
    relate_api(petstore, "provides", api)
    relate_api(petstore, "consumes", None, "api:default/missing-api")
    add_link(petstore, "https://runbooks.example.com/petstore", "runbook", "Runbook")
    return petstore


def test_service_page_shows_owner_lead_links_and_apis(owner_client, petstore):
    html = owner_client.get(petstore.get_absolute_url()).content.decode()
    assert "Sells pets" in html
    assert "Payments" in html and "owner" in html  # the owner team and its lead (user 'owner')
    assert "https://runbooks.example.com/petstore" in html
    assert "pets-http" in html
    assert "api:default/missing-api (unresolved)" in html


def test_dependencies_are_shown_in_both_directions(owner_client, petstore):
    response = owner_client.get(petstore.get_absolute_url())
    depends = {d.target_ref for d in response.context["dependencies"]}
    assert depends == {
        "component:default/ledger",
        "resource:default/pets-db",
        "component:default/fraud-check",
    }
    assert {d.source.name for d in response.context["dependents"]} == {"web", "ledger"}


def test_the_graph_marks_cycles_and_unresolved_targets(owner_client, petstore):
    graph = owner_client.get(petstore.get_absolute_url()).context["graph"]
    assert graph["has_cycle"]
    by_label = {n.label: n for n in graph["nodes"][1:]}
    assert by_label["ledger"].cycle
    assert not by_label["component:default/fraud-check"].resolved
    assert len(graph["edges"]) == 5


def test_names_are_looked_up_regardless_of_case(owner_client, petstore):
    assert owner_client.get("/catalog/services/DEFAULT/PetStore/").status_code == 200


def test_an_unknown_service_is_a_helpful_404(owner_client, petstore):
    response = owner_client.get("/catalog/services/default/nope/")
    assert response.status_code == 404
    assert "search the catalog" in response.content.decode()


def test_other_apps_add_sections_without_catalog_importing_them(owner_client, petstore):
    register_service_section(
        "probe",
        "Probe section",
        "catalog/_ref.html",
        lambda request, component: {"ref": f"probe-{component.name}"},
    )
    try:
        html = owner_client.get(petstore.get_absolute_url()).content.decode()
    finally:
        unregister_service_section("probe")
    assert "Probe section" in html and "probe-petstore" in html


def test_any_signed_in_user_can_read_another_teams_service(outsider_client, petstore):
    assert outsider_client.get(petstore.get_absolute_url()).status_code == 200


def test_service_page_refuses_writes(owner_client, petstore):
    assert owner_client.post(petstore.get_absolute_url()).status_code == 405


def test_service_page_query_count_is_bounded(owner_client, petstore, django_assert_max_num_queries):
    # 17: the "Environment parity" section reads the environments and whether the service was
    # made from a golden path in one query, whatever the service. 18: a service the coverage
    # refresh has not reached yet (as here) is read live, which needs the environments. 19: the
    # header's "Approvals (N)" count, read for leads and platform admins (the owner is a lead).
    with django_assert_max_num_queries(19):
        owner_client.get(petstore.get_absolute_url())
