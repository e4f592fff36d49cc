"""Filtering the catalog in a real browser: results, counts and the address bar update live."""

import re

from playwright.sync_api import expect

from catalog.choices import TeamRole
from tests.e2e.accounts import sign_in
from tests.factories import add_member, make_component, make_team, make_user


def test_typing_and_ticking_filters_updates_results_and_url(page, live_server, transactional_db):
    payments, search = make_team("payments", title="Payments"), make_team("search", title="Search")
    add_member(payments, make_user("erin"), TeamRole.LEAD)
    make_component("petstore", owner=payments, language="python")
    make_component("ledger", owner=payments, language="go")
    make_component("indexer", owner=search, language="python")

    sign_in(page, live_server.url, "erin")
    page.goto(f"{live_server.url}/catalog/")
    count = page.locator("#result-count")
    assert "2 services" in count.inner_text()  # my teams by default

    page.get_by_label("All services").check()
    page.wait_for_url("**view=all**")
    assert "3 services" in count.inner_text()

    page.get_by_placeholder("Search by name").fill("ets")
    page.wait_for_url("**q=ets**")
    # expect(), not wait_for_function(): the CSP forbids the eval a string predicate needs.
    expect(page.locator("#result-count")).to_have_text(re.compile(r"^1 service"))
    results = page.locator("#results").inner_text()
    assert "petstore" in results and "ledger" not in results

    page.get_by_placeholder("Search by name").fill("")
    page.wait_for_url(lambda url: "q=ets" not in url)
    page.locator("#facets input[name=language][value=python]").check()
    page.wait_for_url("**language=python**")
    expect(page.locator("#result-count")).to_have_text(re.compile(r"^2 services"))
    # The owner facet was swapped out of band: its counts now reflect the language filter.
    owner_counts = page.locator("#facets details:has(summary:text('Owner team'))").inner_text()
    assert "Payments 1" in owner_counts.replace("\n", " ") and "Search 1" in owner_counts.replace(
        "\n", " "
    )

    shared = page.url
    page.goto(shared)  # a shared link reproduces the view without any client state
    assert page.locator("#result-count").inner_text().startswith("2 services")


def test_a_filter_ticked_right_after_a_search_is_kept(page, live_server, transactional_db):
    """Leaving the search box for a checkbox fires the box's own change event; it must not
    start a request of its own that lands after the tick and unticks it."""
    payments, search = make_team("payments", title="Payments"), make_team("search", title="Search")
    make_component("petstore", owner=payments, language="python")
    make_component("petshop", owner=search, language="python")
    make_component("ledger", owner=payments, language="go")

    sign_in(page, live_server.url, make_user("frank").username)
    page.goto(f"{live_server.url}/catalog/?view=all")
    page.get_by_placeholder("Search by name").fill("pet")
    page.wait_for_url("**q=pet**")
    expect(page.locator("#result-count")).to_have_text(re.compile(r"^2 services"))

    # As a person does: click the option's name (its label), not the box itself.
    page.locator("#facets label.facet-option", has_text="Payments").click()
    page.wait_for_url("**owner=payments**")
    expect(page.locator("#result-count")).to_have_text(re.compile(r"^1 service\b"))
    page.wait_for_timeout(1000)  # any request still in flight has landed by now
    expect(page.locator("#facets input[name=owner][value=payments]")).to_be_checked()
    assert (
        "owner=payments" in page.url and "1 service" in page.locator("#result-count").inner_text()
    )
