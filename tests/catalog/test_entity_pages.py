import pytest

from tests.factories import (
    depends_on,
    make_api,
    make_component,
    make_resource,
    make_system,
    relate_api,
)


@pytest.fixture
def system(personas):
    from catalog.models import Domain

    domain = Domain.objects.create(name="commerce", owner=personas.team)
    system = make_system("checkout", owner=personas.team, domain=domain, description="Pays")
    api = make_api(
        "pets-http", owner=personas.team, system=system, definition="openapi: 3.0.0\ninfo: {}"
    )
    petstore = make_component("petstore", owner=personas.team, system=system)
    web = make_component("web", owner=personas.team)
    relate_api(petstore, "provides", api)
    relate_api(web, "consumes", api)
    depends_on(petstore, make_resource("pets-db", system=system))
    return system


def test_team_page_lists_services_and_members(owner_client, personas, system):
    html = owner_client.get(personas.team.get_absolute_url()).content.decode()
    assert "petstore" in html and "web" in html
    assert "owner" in html and "teammate" in html and "Lead" in html


def test_system_page_lists_components_apis_and_resources(owner_client, system):
    html = owner_client.get(system.get_absolute_url()).content.decode()
    assert "petstore" in html and "pets-http" in html and "pets-db" in html and "commerce" in html


def test_api_page_shows_definition_providers_and_consumers(owner_client, system):
    response = owner_client.get("/catalog/apis/default/pets-http/")
    assert [c.name for c in response.context["providers"]] == ["petstore"]
    assert [c.name for c in response.context["consumers"]] == ["web"]
    assert "openapi: 3.0.0" in response.content.decode()


def test_domain_and_resource_pages(owner_client, system):
    assert "checkout" in owner_client.get("/catalog/domains/default/commerce/").content.decode()
    assert "petstore" in owner_client.get("/catalog/resources/default/pets-db/").content.decode()


@pytest.mark.parametrize("path", ["teams", "systems", "apis", "domains", "resources"])
def test_unknown_entities_are_404(owner_client, system, path):
    assert owner_client.get(f"/catalog/{path}/default/nope/").status_code == 404


def test_a_long_api_definition_scrolls_in_a_region_the_keyboard_reaches(owner_client, system):
    html = owner_client.get("/catalog/apis/default/pets-http/").content.decode()
    assert (
        '<pre class="definition" tabindex="0" role="region" aria-label="pets-http definition">'
        in html
    )
