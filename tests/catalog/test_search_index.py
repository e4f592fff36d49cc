"""The in-memory search index (catalog/search_index.py) counts exactly what PostgreSQL counts.

Each test compares the index's answer with the database's own: the rows `search_text LIKE
'%word%'` finds, and the counts of tests/catalog/test_facet_counts.py, each checked against a
COUNT(*) of the same filters at 20,000 services. The index is used only for the catalog version
it was built from.
"""

import random
import time

import pytest
from django.core.cache import cache
from django.db import connection

from catalog import facets, search_index, versioning
from catalog.models import Component, ComponentSearch
from tests.catalog.test_facet_counts import _check_view, big_catalog  # noqa: F401 - a fixture
from tests.factories import make_component

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the index reads the search table, PostgreSQL's"
)


@pytest.fixture
def counted_by_index(monkeypatch):
    """Every SearchIndex.count call, while the index is built in the foreground only."""
    monkeypatch.setattr(search_index, "BACKGROUND", False)
    calls = []
    real = search_index.SearchIndex.count

    def count(self, teams, words, filters):
        calls.append(words)
        return real(self, teams, words, filters)

    monkeypatch.setattr(search_index.SearchIndex, "count", count)
    search_index.forget()
    cache.clear()
    yield calls
    search_index.forget()


@pytest.mark.django_db
def test_the_index_counts_searched_views_exactly_as_a_count_of_the_same_filters(
    owner_client,
    big_catalog,  # noqa: F811 - the fixture imported above
    counted_by_index,
):
    index = search_index.build_now()
    assert len(index) == Component.objects.count() == 20_000
    assert index.version == versioning.current()
    queries = [
        "view=all&q=pay",
        "view=all&q=pay&owner=team-01&tier=2",
        "view=all&q=kafka ledger&system=sys-07&type=worker&tier=1&tier=2",
        "view=all&q=svc-0001&tag=tag-01&tag=tag-03",
        "view=all&q=ear&lifecycle=production&language=go&language=rust",
        "view=all&q=nothing-like-this",
    ]
    checked = sum(_check_view(owner_client, query) for query in queries)
    checked += _check_view(owner_client, "view=mine&q=auth&type=service", ["payments"])
    assert checked > 100
    assert len(counted_by_index) == len(queries) + 1  # every one counted by the index


@pytest.mark.django_db
def test_a_word_matches_the_rows_like_matches_whatever_the_text_holds(personas):
    rng = random.Random(5)
    alphabet = "abcdeé-_.:/%\\ \t\n\u00a0\u2003ß"
    for index in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        make_component(f"w-{index}", owner=personas.team, description=text)
    built = search_index.build_now()
    texts = list(ComponentSearch.objects.values_list("search_text", flat=True))
    words = {t[i:j] for t in texts for i, j in [sorted(rng.sample(range(len(t) + 1), 2))] if t}
    words = {word for part in words for word in part.split()} | {"%", "_", "\\", "a%b", "ß"}
    assert len(words) > 100
    for word in sorted(words):
        expected = set(
            ComponentSearch.objects.filter(search_text__contains=word).values_list(
                "component_id", flat=True
            )
        )
        assert set(built.ids[built.word_rows(word)].tolist()) == expected, word
    search_index.forget()


@pytest.mark.django_db
def test_an_owner_that_names_no_team_is_filtered_by_its_reference(owner_client, counted_by_index):
    make_component("ghosted-a", owner=None, owner_ref="group:default/ghost", type="Service")
    make_component("ghosted-b", owner=None, owner_ref="group:default/other")
    search_index.build_now()
    response = owner_client.get("/catalog/?view=all&q=ghosted&owner=Ghost&type=SERVICE")
    assert response.context["page"].paginator.count == 1
    assert [c.name for c in response.context["page"].object_list] == ["ghosted-a"]
    assert counted_by_index


@pytest.mark.django_db
def test_after_a_catalog_write_the_old_index_is_not_used(owner_client, personas, counted_by_index):
    make_component("payroll-a", owner=personas.team)
    search_index.build_now()
    make_component("payroll-b", owner=personas.team)  # a new catalog version
    response = owner_client.get("/catalog/?view=all&q=payroll")
    assert response.context["page"].paginator.count == 2  # PostgreSQL counted it
    assert counted_by_index == []


@pytest.mark.django_db(transaction=True)
def test_a_big_enough_catalog_builds_its_index_in_the_background(personas, settings):
    settings.CATALOG_SEARCH_INDEX_MIN_ROWS = 1
    search_index.forget()
    make_component("bg-one", owner=personas.team)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_componentsearch")
    version = versioning.current()
    assert search_index.current("default", version) is None  # not built yet: it starts now
    deadline = time.monotonic() + 30
    while search_index.current("default", version) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    built = search_index.current("default", version)
    assert built is not None and built.ids.tolist() == [Component.objects.get().pk]
    view = facets.View.of(None, "bg", {})
    assert facets.compute(view, "default", version)["total"] == 1
    search_index.forget()


@pytest.mark.django_db
@pytest.mark.parametrize("smallest", [50_000, 0])  # the default, and 0 for "off"
def test_a_small_catalog_or_a_setting_of_0_builds_no_index(
    personas, settings, monkeypatch, smallest
):
    search_index.forget()
    settings.CATALOG_SEARCH_INDEX_MIN_ROWS = smallest
    started = []
    monkeypatch.setattr(search_index, "_start", started.append)
    make_component("tiny", owner=personas.team)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_componentsearch")
    assert search_index.current("default", versioning.current()) is None
    assert started == []
    settings.CATALOG_SEARCH_INDEX_MIN_ROWS = 1  # the same catalog, big enough: a build starts
    search_index.forget()
    assert search_index.current("default", versioning.current()) is None
    assert started == ["default"]


@pytest.mark.django_db
def test_a_filter_value_no_row_has_matches_nothing_without_error(personas, counted_by_index):
    make_component("tiered", owner=personas.team, tier=2, type="service")
    built = search_index.build_now()
    assert built.filter_rows("tier", ["99999999999", "x"]).sum() == 0
    assert built.filter_rows("type", ["no-such-type"]).sum() == 0
    assert built.filter_rows("tag", ["no-such-tag"]).sum() == 0
    assert built.filter_rows("owner", ["group:default/nobody"]).sum() == 0
    assert built.filter_rows("tier", ["2"]).sum() == 1
