"""The coverage catalog page: filters, criticality order, team roll-up, HTMX partial, budget."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.choices import Lifecycle
from catalog.models import Component
from tests.factories import make_component, make_system, make_team, make_user
from tests.observability.factories import make_coverage, make_on_call

URL = reverse("observability:index")


def names(response) -> list[str]:
    return [c.name for c in response.context["page"].object_list]


@pytest.fixture
def fleet(personas):
    """payments: a covered tier-2 and a tier-1 gap; search: a tier-1 partly covered, a tier-3."""
    shop = make_system("shop")
    search = personas.outsider.team_memberships.get().team
    covered = make_component("ledger", owner=personas.team, tier=2, system=shop)
    make_coverage(covered, default="configured", metrics="verified")
    gap = make_component("checkout", owner=personas.team, tier=1, system=shop)
    partial = make_component("indexer", owner=search, tier=1, lifecycle=Lifecycle.EXPERIMENTAL)
    make_coverage(partial, logs="configured", metrics="configured")
    make_component("crawler", owner=search, tier=3)
    make_on_call(personas.team)
    return {"covered": covered, "gap": gap, "partial": partial}


def test_every_service_is_listed_tier_1_gaps_first(owner_client, fleet):
    response = owner_client.get(URL)
    assert response.status_code == 200
    assert names(response) == ["checkout", "indexer", "ledger", "crawler"]


def test_each_row_shows_the_five_signals_as_badges(owner_client, fleet):
    html = owner_client.get(URL).content.decode()
    assert 'title="metrics: verified"' in html
    assert 'title="alerts: missing"' in html
    assert 'title="logs: configured"' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"team": "payments"}, ["checkout", "ledger"]),
        ({"system": "shop"}, ["checkout", "ledger"]),
        ({"tier": "1"}, ["checkout", "indexer"]),
        ({"lifecycle": "experimental"}, ["indexer"]),
        ({"status": "verified"}, ["ledger"]),
        ({"signal": "logs", "status": "configured"}, ["indexer", "ledger"]),
        ({"signal": "alerts", "status": "missing"}, ["checkout", "indexer", "crawler"]),
        ({"status": "missing"}, ["checkout", "indexer", "crawler"]),
        ({"team": "search", "tier": "3"}, ["crawler"]),
    ],
)
def test_each_filter_narrows_the_list(owner_client, fleet, query, expected):
    assert names(owner_client.get(URL, query)) == expected


def test_an_unknown_filter_value_is_reported_and_the_others_still_apply(owner_client, fleet):
    response = owner_client.get(URL, {"tier": "9", "team": "payments"})
    assert "Tier 9 does not exist" in response.content.decode()
    assert names(response) == ["checkout", "ledger"]


def test_the_roll_up_gives_each_team_its_share_fully_covered_and_on_call_gaps(owner_client, fleet):
    response = owner_client.get(URL)
    rollup = {r["name"]: r for r in response.context["rollup"]}
    assert (rollup["payments"]["covered"], rollup["payments"]["total"]) == (1, 2)
    assert rollup["payments"]["percent"] == 50
    assert rollup["search"]["percent"] == 0
    assert [r["name"] for r in response.context["rollup"]] == ["search", "payments"]
    assert (rollup["payments"]["has_on_call"], rollup["search"]["has_on_call"]) == (True, False)
    html = response.content.decode()
    assert "gap: none" in html
    assert 'aria-label="50% fully covered"' in html


def test_the_roll_up_ignores_the_signal_status_filter(owner_client, fleet):
    rollup = owner_client.get(URL, {"status": "verified"}).context["rollup"]
    assert {r["name"]: r["total"] for r in rollup} == {"payments": 2, "search": 2}


def test_a_team_lead_sees_where_to_set_their_teams_on_call(client, personas, fleet):
    client.force_login(personas.outsider)  # a member of search, not its lead
    html = client.get(URL).content.decode()
    assert reverse("observability:team_on_call", args=["search"]) not in html
    client.force_login(personas.owner)
    html = client.get(URL).content.decode()
    assert reverse("observability:team_on_call", args=["payments"]) in html


def test_htmx_gets_the_coverage_region_alone(owner_client, fleet):
    response = owner_client.get(URL, {"team": "payments"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="coverage"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_the_filter_form_is_a_plain_get_form_with_htmx_and_labels(owner_client, fleet):
    html = owner_client.get(URL).content.decode()
    assert 'method="get"' in html and 'hx-push-url="true"' in html
    for field in ("team", "system", "tier", "lifecycle", "signal", "status"):
        assert f'<label for="id_{field}">' in html
        assert f'id="help_{field}"' in html


def test_the_pages_link_with_real_hrefs(owner_client, personas):
    team = make_team("big")
    for n in range(60):
        make_component(f"svc-{n:02}", owner=team)
    html = owner_client.get(URL, {"team": "big"}).content.decode()
    assert 'href="?team=big&amp;page=2"' in html
    assert 'hx-get="?team=big&amp;page=2"' in html


def test_only_admins_see_the_filter_backfill_button(client, personas, fleet, django_user_model):
    client.force_login(personas.owner)
    assert reverse("observability:backfill") not in client.get(URL).content.decode()
    admin = django_user_model.objects.create_user("root", is_staff=True)
    client.force_login(admin)
    html = client.get(URL, {"team": "payments"}).content.decode()
    assert reverse("observability:backfill") in html
    assert '<input type="hidden" name="team" value="payments">' in html


def test_members_see_a_backfill_button_on_their_teams_gaps_only(owner_client, fleet):
    html = owner_client.get(URL).content.decode()
    assert reverse("observability:backfill_service", args=["default", "checkout"]) in html
    assert reverse("observability:backfill_service", args=["default", "indexer"]) not in html
    assert reverse("observability:backfill_service", args=["default", "ledger"]) not in html


def test_an_outsider_reads_the_page_too(outsider_client, fleet):
    assert outsider_client.get(URL).status_code == 200


def test_the_page_says_which_verification_is_not_connected(owner_client, fleet):
    html = owner_client.get(URL).content.decode()
    assert "metrics <em>not connected</em>" in html
    assert "Not refreshed yet" in html


def test_the_page_only_answers_get(owner_client, db):
    assert owner_client.post(URL).status_code == 405


def test_the_query_count_does_not_grow_with_the_page_size(owner_client, personas):
    def count_queries(services: int) -> int:
        team = make_team(f"team-{services}")
        for n in range(services):
            component = make_component(f"s{services}-{n:03}", owner=team, system=make_system())
            make_coverage(component, logs="configured")
        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get(URL, {"team": team.name}).status_code == 200
        return len(queries)

    small, large = count_queries(3), count_queries(40)
    assert small == large
    assert large <= 14


def test_the_roll_up_is_cached_per_refresh_whatever_the_page(owner_client, fleet):
    from django.utils import timezone

    from observability.models import CoverageRefresh

    def payments_total(query=None) -> int:
        rollup = owner_client.get(URL, query or {}).context["rollup"]
        return next(r["total"] for r in rollup if r["name"] == "payments")

    CoverageRefresh.objects.create(started_at=timezone.now())
    assert payments_total() == 2
    make_component("newcomer", owner=fleet["gap"].owner)
    assert payments_total({"page": "2"}) == 2  # same refresh, same filter: from the cache
    CoverageRefresh.objects.create(started_at=timezone.now())
    assert payments_total() == 3


def test_a_service_added_since_the_last_refresh_is_listed_among_its_tiers_gaps(owner_client, fleet):
    from observability import services

    refresh = services.refresh_coverage()  # every service gets a row, all signals missing
    assert refresh.last_component_id == Component.objects.order_by("pk").last().pk
    newcomer = make_component("aardvark", owner=fleet["gap"].owner, tier=1)
    assert not hasattr(newcomer, "observability_coverage")
    response = owner_client.get(URL)
    assert names(response)[:3] == ["aardvark", "checkout", "indexer"]
    assert response.context["page"].paginator.count == 5
    assert names(owner_client.get(URL, {"status": "missing", "tier": "1"}))[0] == "aardvark"
    assert "aardvark" not in names(owner_client.get(URL, {"status": "configured"}))


def test_the_order_follows_the_signals_present_within_a_tier(owner_client, personas):
    team = make_team("ranked")
    for name, present in (("all-five", 5), ("none", 0), ("three", 3)):
        component = make_component(name, owner=team, tier=2)
        make_coverage(
            component,
            **dict.fromkeys(
                ["logs", "metrics", "traces", "dashboard", "alerts"][:present], "configured"
            ),
        )
    assert names(owner_client.get(URL, {"team": "ranked"})) == ["none", "three", "all-five"]


def test_a_count_past_the_cap_says_to_narrow_down(client, db, monkeypatch):
    from observability.querysets import CoveragePaginator

    client.force_login(make_user("root", is_staff=True))  # sees the backfill button too

    monkeypatch.setattr(CoveragePaginator, "CAP", 3)
    team = make_team("big")
    for n in range(5):
        make_component(f"svc-{n}", owner=team)
    response = client.get(URL)
    html = response.content.decode()
    assert "3+ (filter to narrow down)" in html
    assert "Page 1 of 1+" in html
    assert response.context["page"].paginator.count == 4  # counted no further than CAP + 1
    assert len(names(response)) == 5  # the page itself is not cut
    assert "Backfill the 3+ matching services" in html


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"page": "3"},
        {"team": "big"},
        {"system": "shop"},
        {"tier": "1", "status": "missing"},
        {"signal": "alerts", "status": "missing"},
        {"status": "verified"},
        {"lifecycle": "production", "page": "2"},
    ],
)
def test_every_filter_and_page_depth_costs_the_same_queries(owner_client, personas, query):
    team, shop = make_team("big"), make_system("shop")
    for n in range(130):
        component = make_component(f"svc-{n:03}", owner=team, system=shop, tier=1 + n % 4)
        if n % 3:
            make_coverage(component, logs="verified")
    from django.utils import timezone

    from observability.models import CoverageRefresh

    CoverageRefresh.objects.create(started_at=timezone.now())
    owner_client.get(URL, query)  # the roll-up is cached per refresh and filter: warm it
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get(URL, query)
    assert response.status_code == 200 and names(response)
    # 10 for the page, 1 for the survey banner every page carries, 1 for the header's approvals
    # count (the owner is a lead)
    assert len(queries) == 12, [q["sql"][:80] for q in queries.captured_queries]


def test_the_cached_roll_up_table_keeps_each_readers_on_call_links(client, personas, fleet):
    from django.utils import timezone

    from observability.models import CoverageRefresh

    CoverageRefresh.objects.create(started_at=timezone.now())
    link = reverse("observability:team_on_call", args=["payments"])
    client.force_login(personas.owner)  # lead of payments: renders and caches the table first
    assert link in client.get(URL).content.decode()
    client.force_login(personas.outsider)
    assert link not in client.get(URL).content.decode()
    client.force_login(personas.owner)
    assert link in client.get(URL).content.decode()
