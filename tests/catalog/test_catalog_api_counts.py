"""by-query's exact totalItems is cached under the catalog version only when every table its
count reads changes that version: a write shows in the next answer either way."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Api, Dependency
from tests.factories import add_member, make_component, make_team, make_user

pytestmark = pytest.mark.django_db
BY_QUERY = "/api/catalog/entities/by-query"


@pytest.fixture
def reader(client):
    client.force_login(make_user("reader"))
    return client


def total(client, filter_: str) -> tuple[int, int]:
    """(totalItems, queries) of a one-item page, so the total needs a count of its own."""
    params = {"filter": filter_, "limit": 1} if filter_ else {"limit": 1}
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(BY_QUERY, params)
    assert response.status_code == 200, response.content
    return response.json()["totalItems"], len(ctx.captured_queries)


def test_a_component_count_is_cached_until_the_catalog_changes(reader):
    team = make_team("payments")
    for n in range(3):
        make_component(f"svc-{n}", owner=team, type="service")
    make_component("lib", owner=team, type="library")
    first, first_queries = total(reader, "kind=component,spec.type=service")
    again, again_queries = total(reader, "kind=component,spec.type=service")
    assert first == again == 3
    assert again_queries == first_queries - 1  # the count came from the cache
    make_component("svc-new", owner=team, type="service")
    assert total(reader, "kind=component,spec.type=service")[0] == 4


def test_an_api_count_is_cached_until_an_api_is_added(reader):
    team = make_team("payments")
    for n in range(2):
        Api.objects.create(name=f"api-{n}", owner=team, type="openapi")
    first, first_queries = total(reader, "kind=api")
    again, again_queries = total(reader, "kind=api")
    assert first == again == 2
    assert again_queries == first_queries - 1
    Api.objects.create(name="api-new", owner=team, type="openapi")
    assert total(reader, "kind=api")[0] == 3


def test_a_count_over_every_kind_follows_users_joining_teams(reader):
    """The user kind is the accounts in a team: a membership changes the count at once, a
    sign-in (last_login) does not change the catalog version."""
    team = make_team("payments")
    make_component("svc", owner=team)
    newcomer = make_user("newcomer")
    everything, counted = total(reader, "")
    assert total(reader, "") == (everything, counted - 1)  # cached
    newcomer.last_login = timezone.now()
    newcomer.save(update_fields=["last_login"])
    assert total(reader, "") == (everything, counted - 1)  # still cached
    add_member(team, newcomer)
    assert total(reader, "")[0] == everything + 1


def test_a_count_reading_tables_outside_the_version_is_never_cached(reader):
    team = make_team("payments")
    target = make_component("ledger", owner=team)
    for n in range(2):
        source = make_component(f"svc-{n}", owner=team)
        Dependency.objects.create(source=source, target_ref=target.ref, target_component=target)
    wanted = f"kind=component,relations.dependsOn={target.ref}"
    first, first_queries = total(reader, wanted)
    again, again_queries = total(reader, wanted)
    assert first == again == 2 and again_queries == first_queries
    source = make_component("svc-new", owner=team)
    Dependency.objects.create(source=source, target_ref=target.ref, target_component=target)
    assert total(reader, wanted)[0] == 3
