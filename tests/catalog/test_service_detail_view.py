import pytest
from django.urls import reverse

from catalog.choices import TeamRole
from catalog.sections import register_service_section, unregister_service_section
from catalog.views import DEPENDENTS_SHOWN
from tests.factories import (
    add_link,
    add_member,
    depends_on,
    make_api,
    make_component,
    make_resource,
    make_system,
    make_user,
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
    assert {c.name for c in response.context["dependents"]} == {"web", "ledger"}


def test_the_graph_marks_cycles_and_unresolved_targets(owner_client, petstore):
    graph = owner_client.get(petstore.get_absolute_url()).context["graph"]
    assert graph["has_cycle"]
    by_label = {n.label: n for n in graph["nodes"][1:]}
    assert by_label["ledger"].cycle
    assert not by_label["component:default/fraud-check"].resolved
    assert len(graph["edges"]) == 5


def test_the_drawn_graph_names_each_box_and_says_what_it_marks(owner_client, petstore):
    html = owner_client.get(petstore.get_absolute_url()).content.decode()
    svg = html[html.index('<svg class="dep-graph"') : html.index("</svg>")]
    assert 'aria-labelledby="dep-graph-caption"' in svg
    assert '<g class="hub"><title>petstore</title>' in svg  # this service: no link to itself
    assert 'aria-label="ledger, in a dependency cycle"' in svg
    assert "<title>ledger: in a dependency cycle</title>" in svg
    assert "<title>component:default/fraud-check: not in the catalog</title>" in svg
    assert 'href="/catalog/services/default/web/" aria-label="web"' in svg
    assert svg.count("<line ") == 5


def test_a_label_in_the_graph_is_escaped():
    from catalog import graph

    drawn = graph.layout(("hub", None), [('<b onclick="x">&', "/a?b=1&c=2")], [])
    markup = str(graph.svg(drawn, "caption"))
    assert "<b " not in markup and 'onclick="' not in markup
    assert 'href="/a?b=1&amp;c=2" aria-label="&lt;b onclick=&quot;x&quot;&gt;&amp;"' in markup


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
    # 17: the owner's lead and whether there are sub-components come with the service (1), its
    # tags and links (2), API relations (1), dependencies (1), the dependents' ids and the
    # first page of them (2); the five sections of other apps (the deployments section reads
    # the golden-path origin, and the CI runs, Argo CD and parity sections learn from it that
    # there is none; the service read live, as the coverage refresh has not reached it) and
    # the layout (session, user, memberships, the lead's "Approvals (N)", the survey banner)
    # read the rest. It was 19 before the sections shared the origin.
    with django_assert_max_num_queries(17):
        owner_client.get(petstore.get_absolute_url())


def test_the_lead_is_named_by_full_name_or_else_username(owner_client, petstore, personas):
    assert (
        "<dt>Team lead</dt><dd>owner</dd>"
        in owner_client.get(petstore.get_absolute_url()).content.decode()
    )
    add_member(
        personas.team, make_user("aaron", first_name="Aaron", last_name="Lee"), TeamRole.LEAD
    )
    html = owner_client.get(petstore.get_absolute_url()).content.decode()
    assert "<dt>Team lead</dt><dd>Aaron Lee</dd>" in html  # the first lead by username


def test_a_service_without_an_owner_has_no_lead(owner_client):
    orphan = make_component("orphan")
    html = owner_client.get(orphan.get_absolute_url()).content.decode()
    assert '<dt>Team lead</dt><dd><span class="muted">none recorded</span>' in html


def test_sub_components_are_listed(owner_client, petstore):
    make_component("petstore-worker", subcomponent_of=petstore)
    response = owner_client.get(petstore.get_absolute_url())
    assert [c.name for c in response.context["subcomponents"]] == ["petstore-worker"]
    assert "/catalog/services/default/petstore-worker/" in response.content.decode()


@pytest.fixture
def popular(personas):
    """A service with more dependents than the page shows, named so that title and name order
    differ: 'zz-3' is titled 'Aardvark' and sorts first."""
    popular = make_component("popular", owner=personas.team)
    for i in range(DEPENDENTS_SHOWN + 2):
        depends_on(make_component(f"zz-{i:03d}"), popular)
    depends_on(make_component("yy", title="Aardvark"), popular)
    return popular


def test_a_long_dependents_list_shows_the_first_ones_and_an_exact_count(owner_client, popular):
    response = owner_client.get(popular.get_absolute_url())
    shown = [c.display_name for c in response.context["dependents"]]
    assert len(shown) == DEPENDENTS_SHOWN
    assert shown[:3] == ["Aardvark", "zz-000", "zz-001"]  # by the name the list shows
    assert response.context["dependents_count"] == DEPENDENTS_SHOWN + 3
    html = response.content.decode()
    assert '<li><a href="/catalog/services/default/zz-000/">zz-000</a></li>' in html
    everything = reverse("catalog:service_dependents", args=["default", "popular"])
    assert f'<a href="{everything}">and 3 more: all {DEPENDENTS_SHOWN + 3} services' in html
    assert f'Depended on by <small class="muted">({DEPENDENTS_SHOWN + 3})</small>' in html


def test_the_graph_draws_the_shown_dependents_and_one_box_for_the_rest(owner_client, popular):
    graph = owner_client.get(popular.get_absolute_url()).context["graph"]
    upstream = [n for n in graph["nodes"][1:]]
    assert len(upstream) == DEPENDENTS_SHOWN + 1
    assert upstream[-1].label == "+ 3 more dependents"
    assert upstream[-1].url == reverse("catalog:service_dependents", args=["default", "popular"])


def test_a_short_dependents_list_has_no_more_link(owner_client, petstore):
    response = owner_client.get(petstore.get_absolute_url())
    assert response.context["more_dependents"] == 0
    assert "/dependents/" not in response.content.decode()


def test_query_count_does_not_grow_with_dependents(
    owner_client, popular, django_assert_max_num_queries
):
    with django_assert_max_num_queries(17):
        owner_client.get(popular.get_absolute_url())


def test_a_long_name_is_cut_in_its_box_and_whole_in_its_link_name(owner_client, petstore):
    long_name = "a-service-name-much-longer-than-thirty-characters"
    depends_on(make_component(long_name), petstore)
    graph = owner_client.get(petstore.get_absolute_url()).context["graph"]
    node = next(n for n in graph["nodes"] if n.label == long_name)
    assert node.text == long_name[:29] + "…" and len(node.text) == 30
    assert next(n for n in graph["nodes"] if n.label == "web").text == "web"
    html = owner_client.get(petstore.get_absolute_url()).content.decode()
    assert f'aria-label="{long_name}"' in html and f">{long_name[:29]}…</text>" in html
