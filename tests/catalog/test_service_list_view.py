import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Component
from tests.factories import make_component, make_system

URL = "/catalog/"


@pytest.fixture
def services(personas):
    other = personas.outsider.teams.first()
    checkout = make_system("checkout", owner=personas.team)
    make_component(
        "petstore", owner=personas.team, system=checkout, tags=("pci",), language="python"
    )
    make_component("ledger", owner=personas.team, system=checkout, language="go")
    make_component("indexer", owner=other, language="java", tags=("search",))


def test_a_team_member_sees_their_teams_services_by_default(owner_client, services):
    html = owner_client.get(URL).content.decode()
    assert "petstore" in html and "ledger" in html
    assert "indexer" not in html
    assert "owned by your teams" in html


def test_view_all_shows_every_team(owner_client, services):
    html = owner_client.get(URL + "?view=all").content.decode()
    assert all(name in html for name in ("petstore", "ledger", "indexer"))


def test_a_shared_filtered_link_shows_the_same_results_to_everyone(outsider_client, services):
    html = outsider_client.get(URL + "?owner=payments").content.decode()
    assert "petstore" in html and "ledger" in html


def test_someone_without_a_team_sees_everything(client, services):
    from tests.factories import make_user

    client.force_login(make_user("newcomer"))
    html = client.get(URL).content.decode()
    assert "indexer" in html and "petstore" in html


def test_counts_are_shown_beside_each_filter_option(owner_client, services):
    response = owner_client.get(URL + "?view=all")
    facets = {f["name"]: f for f in response.context["facets"]}
    owners = {o["value"]: o["count"] for o in facets["owner"]["options"]}
    assert owners["payments"] == 2
    languages = {o["value"]: o["count"] for o in facets["language"]["options"]}
    assert languages == {"python": 1, "go": 1, "java": 1}


def test_a_facet_ignores_its_own_selection_but_applies_the_others(owner_client, services):
    response = owner_client.get(URL + "?view=all&language=go&owner=payments")
    facets = {f["name"]: f for f in response.context["facets"]}
    languages = {o["value"]: (o["count"], o["selected"]) for o in facets["language"]["options"]}
    # Other languages of the selected owner stay visible so the user can widen the choice.
    assert languages == {"go": (1, True), "python": (1, False)}
    owners = {o["value"]: o["count"] for o in facets["owner"]["options"]}
    assert owners == {"payments": 1}


def test_htmx_gets_the_results_fragment_with_facets_out_of_band(owner_client, services):
    response = owner_client.get(URL + "?view=all&q=pet", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="results"' in html and 'hx-swap-oob="true"' in html
    assert "petstore" in html and "ledger" not in html
    assert "HX-Request" in response["Vary"]


def test_the_plain_page_works_without_javascript(owner_client, services):
    html = owner_client.get(URL + "?view=all&q=pet").content.decode()
    assert "<html" in html and 'method="get"' in html and "petstore" in html
    assert "hx-swap-oob" not in html


def test_active_filters_can_be_removed_one_by_one(owner_client, services):
    response = owner_client.get(URL + "?view=all&owner=payments&language=go")
    chips = {(c["key"], c["value"]): c["remove"] for c in response.context["active_filters"]}
    assert chips[("language", "go")] == "view=all&owner=payments"


def test_no_match_says_what_to_try(owner_client, services):
    html = owner_client.get(URL + "?view=all&q=zzzz").content.decode()
    assert "No services match" in html and "shorter search word" in html


def test_garbage_parameters_never_fail(owner_client, services):
    for query in [
        "page=abc",
        "page=999",
        "per_page=-1",
        "sort=drop",
        "tier=x",
        "q=" + "a" * 5000,
        "owner=" + "x" * 300,
        "view=evil",
        "q=%00",
        "owner=%00",
        "tag=a%00b&view=all",
    ]:
        assert owner_client.get(URL + "?" + query).status_code == 200, query


def test_pagination_keeps_the_filters(owner_client, personas):
    for index in range(30):
        make_component(f"svc-{index:02}", owner=personas.team, language="python")
    html = owner_client.get(URL + "?view=all&language=python").content.decode()
    assert "language=python&amp;page=2" in html


def test_list_refuses_writes(owner_client):
    assert owner_client.post(URL).status_code == 405


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("query", ["view=all", "view=all&q=svc&language=python&tier=2"])
def test_query_count_does_not_grow_with_page_or_catalog_size(owner_client, personas, query):
    """Counting a view costs a fixed number of queries (cold); once counted, until the catalog
    changes, its counts come from the cache and the page costs fewer."""
    systems = [make_system(f"sys-{i}", owner=personas.team) for i in range(3)]
    for index in range(60):
        make_component(
            f"svc-{index:02}",
            owner=personas.team,
            system=systems[index % 3],
            language="python",
            tier=2,
            tags=(f"t{index % 7}", "common"),
        )
    cache.clear()
    cold = _queries(owner_client, f"{URL}?{query}&per_page=25")
    warm = _queries(owner_client, f"{URL}?{query}&per_page=100")
    for index in range(60, 90):
        make_component(f"svc-{index:02}", owner=personas.team, language="python", tier=2)
    bigger_catalog_cold = _queries(owner_client, f"{URL}?{query}&per_page=100")
    bigger_catalog_warm = _queries(owner_client, f"{URL}?{query}&per_page=25")
    # A search on PostgreSQL is counted with planner settings (catalog/facets.py COUNT_SETTINGS):
    # in a test's transaction, a savepoint, the settings, its release and the settings put back.
    # A search on PostgreSQL also reads the catalog's size once per catalog version, to know
    # whether it is big enough for an in-memory index (catalog/search_index.py _big_enough).
    searched = "q=" in query and connection.vendor == "postgresql"
    planned = 4 + 1 if searched else 0
    assert cold == bigger_catalog_cold <= 12 + planned
    # Counting is the catalog version read before and after, the count and the labels shown.
    assert warm == bigger_catalog_warm == cold - 3 - planned


def test_the_count_of_matches_is_exact_beyond_ten_thousand(owner_client, personas):
    """No cap and no "10,000+": the total comes exact with the filter counts."""
    team = personas.team
    Component.objects.bulk_create(
        Component(name=f"bulk-{i:05}", owner=team, language="go", search_text=f"bulk-{i:05}")
        for i in range(10_050)
    )
    response = owner_client.get(URL + "?view=all&language=go")
    assert response.context["page"].paginator.count == 10_050
    html = response.content.decode()
    assert "<strong>10,050</strong> services" in html and "10,000+" not in html
    assert "Page 1 of 402<" in html
    languages = {f["name"]: f for f in response.context["facets"]}["language"]
    assert languages["options"][0] == {
        "value": "go",
        "label": "go",
        "count": 10_050,
        "selected": True,
    }


def test_narrow_results_have_exact_counts(owner_client, personas):
    for index in range(3):
        make_component(f"svc-{index}", owner=personas.team, language="go")
    response = owner_client.get(URL + "?view=all")
    languages = {f["name"]: f for f in response.context["facets"]}["language"]
    assert languages["options"][0]["count"] == 3
    assert "≈" not in response.content.decode()


@pytest.mark.parametrize("sort", ["", "name", "-name", "tier", "-tier", "updated", "-updated"])
def test_every_sort_pages_through_each_service_once(owner_client, personas, sort):
    for index in range(40):
        make_component(f"svc-{index:02}", owner=personas.team, tier=1 + index % 2)
    seen = []
    for page in (1, 2):
        response = owner_client.get(f"{URL}?view=all&sort={sort}&page={page}")
        seen += [c.name for c in response.context["page"].object_list]
    assert sorted(seen) == [f"svc-{index:02}" for index in range(40)]
    if sort == "tier":
        assert seen[:20] == [f"svc-{index:02}" for index in range(0, 40, 2)]
    if sort == "-name":
        assert seen[0] == "svc-39"


def test_rows_and_options_escape_what_people_wrote(owner_client, personas):
    make_component(
        "escaper",
        owner=personas.team,
        description="<b>bold</b> & " + "x" * 120,
        tags=("a&b",),
        language="<i>",
    )
    html = owner_client.get(URL + "?view=all").content.decode()
    row = html[html.index('href="/catalog/services/default/escaper/"') :]
    row = row[: row.index("</tr>")]
    assert (
        "&lt;b&gt;bold&lt;/b&gt; &amp; " + "x" * 75 + "…" in row
    )  # 90 characters shown, … included
    assert '<span class="badge">a&amp;b</span>' in row
    assert "<b>" not in html and "<i>" not in html
    assert (
        '<span>&lt;i&gt;</span> <span class="count">1<span class="visually-hidden"> service<'
        in (html)
    )


def test_a_row_without_an_owning_team_says_so(owner_client):
    make_component("orphan", owner=None, owner_ref="group:default/gone")
    make_component("nobody", owner=None, owner_ref="")
    html = owner_client.get(URL + "?view=all").content.decode()
    assert 'title="No team matches this reference">group:default/gone</span>' in html
    assert '<td><span class="muted">none</span></td>' in html
