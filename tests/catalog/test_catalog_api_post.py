"""POST by-query and POST entity-facets: Backstage's filter predicates in a JSON body."""

import base64
import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.demo import seed_demo_catalog
from catalog.models import Component, Team
from tests.factories import add_member, make_token, make_user

pytestmark = pytest.mark.django_db
API = "/api/catalog"
BY_QUERY = f"{API}/entities/by-query"
FACETS = f"{API}/entity-facets"
ENTITY_COUNT = 60  # the demo catalog's 59 entities and one user who belongs to a team


@pytest.fixture
def reader(client):
    seed_demo_catalog()
    user = make_user("reader")
    add_member(Team.objects.get(name="payments"), user)
    client.force_login(user)
    return client


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["metadata"]["name"] for item in response.json()["items"]]


def matching(client, predicate) -> list[str]:
    return sorted(names(post(client, BY_QUERY, {"query": predicate, "limit": 1000})))


def filtered(client, *filters: str) -> list[str]:
    query = "&".join(f"filter={f}" for f in filters)
    return sorted(names(client.get(f"{BY_QUERY}?limit=1000&{query}")))


@pytest.mark.parametrize(
    ("predicate", "filters"),
    [
        ({"kind": "component", "spec.lifecycle": "production"},
         ["kind=component,spec.lifecycle=production"]),
        ({"kind": "COMPONENT", "metadata.name": "Payments-Service"},
         ["kind=component,metadata.name=payments-service"]),
        ({"$any": [{"kind": "domain"}, {"kind": "system"}]}, ["kind=domain", "kind=system"]),
        ({"kind": "api", "spec.type": {"$in": ["graphql", "grpc"]}},
         ["kind=api,spec.type=graphql,spec.type=grpc"]),
        ({"spec.subcomponentOf": {"$exists": True}}, ["spec.subcomponentOf"]),
        ({"metadata.tags": "pci"}, ["metadata.tags=pci"]),
        ({"relations.ownedBy": "group:default/search", "kind": "component"},
         ["relations.ownedBy=group:default/search,kind=component"]),
        ({"relations.memberOf": "group:default/payments"},
         ["relations.memberOf=group:default/payments"]),
        ({"no.such.key": "x"}, ["no.such.key=x"]),
    ],
)  # fmt: skip
def test_a_predicate_matches_what_the_same_filter_matches(reader, predicate, filters):
    expected = filtered(reader, *filters)
    assert matching(reader, predicate) == expected
    assert expected or filters == ["no.such.key=x"]


def test_all_combines_and_an_empty_query_matches_everything(reader):
    predicate = {"$all": [{"kind": "component"}, {"spec.owner": "payments"}]}
    assert matching(reader, predicate) == filtered(reader, "kind=component,spec.owner=payments")
    assert len(matching(reader, {})) == ENTITY_COUNT
    assert len(matching(reader, {"$all": []})) == ENTITY_COUNT
    assert matching(reader, {"$any": []}) == []


def test_not_keeps_entities_without_the_value(reader):
    components = filtered(reader, "kind=component")
    production = filtered(reader, "kind=component,spec.lifecycle=production")
    others = matching(reader, {"$all": [{"kind": "component"},
                                        {"$not": {"spec.lifecycle": "production"}}]})  # fmt: skip
    assert others == sorted(set(components) - set(production)) and others
    # Entities of kinds without a lifecycle at all are "not production" too.
    everywhere = filtered(reader, "spec.lifecycle=production")
    assert len(matching(reader, {"$not": {"spec.lifecycle": "production"}})) == (
        ENTITY_COUNT - len(everywhere)
    )


def test_exists_false_finds_entities_without_the_key(reader):
    with_parent = matching(reader, {"kind": "component", "spec.subcomponentOf": {"$exists": True}})
    without = matching(reader, {"kind": "component", "spec.subcomponentOf": {"$exists": False}})
    assert with_parent == ["payments-sdk", "query-suggest"]
    assert sorted(with_parent + without) == filtered(reader, "kind=component")


def test_has_prefix_ignores_case(reader):
    found = matching(reader, {"kind": "component", "metadata.name": {"$hasPrefix": "PAYMENT"}})
    assert found == sorted(
        Component.objects.filter(name__startswith="payment").values_list("name", flat=True)
    )
    assert found and matching(reader, {"kind": {"$hasPrefix": "Comp"}}) == filtered(
        reader, "kind=component"
    )


def test_contains_matches_an_element_of_a_list(reader):
    assert matching(reader, {"metadata.tags": {"$contains": "pci"}}) == filtered(
        reader, "metadata.tags=pci"
    )
    assert matching(reader, {"metadata.tags": {"$contains": {"$in": ["pci", "grpc"]}}}) == (
        filtered(reader, "metadata.tags=pci", "metadata.tags=grpc")
    )


def test_numbers_and_booleans_compare_as_text(reader):
    tier_one = matching(reader, {"metadata.annotations.portal.internal/tier": 1})
    assert tier_one == filtered(reader, "metadata.annotations.portal.internal/tier=1")
    assert tier_one


def test_post_pages_with_cursors_that_keep_the_predicate(reader):
    body = {"query": {"kind": "component"}, "limit": 10, "fields": ["metadata.name"],
            "orderBy": [{"field": "metadata.name", "order": "desc"}]}  # fmt: skip
    first = post(reader, BY_QUERY, body).json()
    total = Component.objects.count()
    assert first["totalItems"] == total and "prevCursor" not in first["pageInfo"]
    assert first["items"][0] == {"metadata": {"name": "shipping-quotes"}}
    # Backstage's client sends a cursor holding "query" back to the POST endpoint.
    assert "query" in json.loads(base64.b64decode(first["pageInfo"]["nextCursor"]))
    seen = [item["metadata"]["name"] for item in first["items"]]
    page = first
    while cursor := page["pageInfo"].get("nextCursor"):
        page = post(reader, BY_QUERY, {"cursor": cursor, "limit": 10}).json()
        seen += [item["metadata"]["name"] for item in page["items"]]
    assert len(seen) == total and seen == sorted(seen, reverse=True)
    previous = post(reader, BY_QUERY, {"cursor": page["pageInfo"]["prevCursor"], "limit": 10})
    assert names(previous) == seen[total - total % 10 - 10 : total - total % 10]


def test_a_post_cursor_also_works_on_get(reader):
    first = post(reader, BY_QUERY, {"query": {"kind": "domain"}, "limit": 1}).json()
    following = reader.get(BY_QUERY, {"cursor": first["pageInfo"]["nextCursor"]})
    assert names(following) == ["discovery"]


def test_post_full_text_filter_searches_the_fields_given(reader):
    body = {"fullTextFilter": {"term": " LEDGER ", "fields": ["metadata.name"]}}
    assert sorted(names(post(reader, BY_QUERY, body))) == ["ledger-db", "ledger-service"]
    body["query"] = {"kind": "resource"}
    assert names(post(reader, BY_QUERY, body)) == ["ledger-db"]


def test_post_by_query_answers_50_by_default_and_never_more_than_the_maximum(reader, monkeypatch):
    assert len(names(post(reader, BY_QUERY, {}))) == 50
    monkeypatch.setattr("catalog.backstage.api.MAX_QUERY_LIMIT", 7)
    body = post(reader, BY_QUERY, {"limit": 5000}).json()
    assert len(body["items"]) == 7 and "nextCursor" in body["pageInfo"]


def test_post_facets_count_values_under_a_predicate(reader):
    body = {"facets": ["kind", "spec.lifecycle"],
            "query": {"kind": "component", "spec.owner": "payments"}}  # fmt: skip
    response = post(reader, FACETS, body)
    assert (
        response.json()
        == reader.get(
            f"{FACETS}?facet=kind&facet=spec.lifecycle&filter=kind=component,spec.owner=payments"
        ).json()
    )
    assert response.json()["facets"]["kind"] == [{"value": "Component", "count": 9}]
    everything = post(reader, FACETS, {"facets": ["kind"]}).json()["facets"]["kind"]
    assert sum(facet["count"] for facet in everything) == ENTITY_COUNT


@pytest.mark.parametrize(
    ("url", "body", "message"),
    [
        (BY_QUERY, "[1]", "must be a JSON object"),
        (BY_QUERY, "{", "not JSON"),
        (BY_QUERY, {"query": "kind=component"}, "a predicate is an object"),
        (BY_QUERY, {"query": {"$all": {"kind": "component"}}}, "$all takes a list"),
        (BY_QUERY, {"query": {"$not": {"kind": "api"}, "kind": "x"}}, "must be the only key"),
        (BY_QUERY, {"query": {"$nor": []}}, "unknown operator '$nor'"),
        (BY_QUERY, {"query": {"kind": {"$regex": "."}}}, "unknown operator $regex"),
        (BY_QUERY, {"query": {"kind": {"$in": "api"}}}, "$in takes a list"),
        (BY_QUERY, {"query": {"kind": {"$exists": "yes"}}}, "$exists takes true or false"),
        (BY_QUERY, {"query": {"kind": None}}, "expected a string"),
        (BY_QUERY, {"query": {"kind": ["api"]}}, "expected a string"),
        (BY_QUERY, {"limit": -1}, "Invalid limit"),
        (BY_QUERY, {"limit": "10"}, "Invalid limit"),
        (BY_QUERY, {"cursor": 5}, "cursor must be"),
        (BY_QUERY, {"cursor": "!!"}, "Malformed cursor"),
        (BY_QUERY, {"orderBy": [{"field": "metadata.name", "order": "up"}]}, "orderBy must be"),
        (BY_QUERY, {"fullTextFilter": {"term": 3}}, "fullTextFilter must be"),
        (BY_QUERY, {"fields": "metadata.name"}, "fields must be a list"),
        (FACETS, {}, "at least one facet"),
        (FACETS, {"facets": [f"a{i}" for i in range(11)]}, "at most 10"),
        (FACETS, {"facets": ["kind"], "query": {"$any": [1]}}, "a predicate is an object"),
    ],
)
def test_bad_bodies_get_a_400_saying_what_is_wrong(reader, url, body, message):
    data = body if isinstance(body, str) else json.dumps(body)
    response = reader.post(url, data, content_type="application/json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["name"] == "InputError" and message in error["message"]


def test_a_forged_cursor_with_a_bad_predicate_gets_a_400(reader):
    state = {"query": {"$nope": 1}, "orderFields": [], "fullTextFilter": {}, "offset": 0}
    cursor = base64.b64encode(json.dumps(state).encode()).decode()
    for response in (post(reader, BY_QUERY, {"cursor": cursor}),
                     reader.get(BY_QUERY, {"cursor": cursor})):  # fmt: skip
        assert response.status_code == 400 and "unknown operator" in response.content.decode()


@pytest.mark.parametrize("depth", [20, 5000])
def test_a_deeply_nested_predicate_gets_a_400_not_a_crash(reader, depth):
    predicate = '{"$not": ' * depth + '{"kind": "api"}' + "}" * depth
    response = reader.post(BY_QUERY, f'{{"query": {predicate}}}', content_type="application/json")
    assert response.status_code == 400
    assert "at most" in response.json()["error"]["message"] or "nested" in response.content.decode()


def test_the_posts_need_a_sign_in_and_take_a_read_token_without_csrf():
    seed_demo_catalog()
    owner = make_user("owner")
    add_member(Team.objects.get(name="payments"), owner)
    client = Client(enforce_csrf_checks=True)
    assert post(client, BY_QUERY, {}).status_code == 401
    _, secret = make_token(owner, scope="read")
    headers = {"Authorization": f"Bearer {secret}"}
    for url, body in ((BY_QUERY, {"query": {"kind": "domain"}}), (FACETS, {"facets": ["kind"]})):
        response = client.post(url, json.dumps(body), content_type="application/json",
                               headers=headers)  # fmt: skip
        assert response.status_code == 200, url
    session = Client(enforce_csrf_checks=True)
    session.force_login(owner)
    assert names(post(session, BY_QUERY, {"query": {"kind": "domain"}})) == [
        "commerce", "discovery",
    ]  # fmt: skip


def test_other_methods_are_refused(reader):
    response = reader.put(BY_QUERY, "{}", content_type="application/json")
    assert response.status_code == 405 and response["Allow"] == "GET, POST"


def test_post_queries_do_not_grow_with_the_page_size(reader, django_assert_max_num_queries):
    counts = []
    for limit in (5, 30):
        cache.clear()  # counted cold: by-query's total is cached under the catalog version
        with django_assert_max_num_queries(12) as captured:
            response = post(reader, BY_QUERY, {"query": {"kind": "component"}, "limit": limit})
        assert len(names(response)) == limit
        counts.append(len(captured))
    assert counts[0] == counts[1]


def refs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [f"{i['kind']}:{i['metadata']['name']}" for i in response.json()["items"]]


@pytest.mark.parametrize("order", [None, "asc", "desc"])
def test_pages_in_kind_order_walk_the_same_list_as_one_page(reader, order):
    body = {"limit": 7}
    if order:
        body["orderBy"] = [{"field": "kind", "order": order}]
    whole = refs(post(reader, BY_QUERY, body | {"limit": 1000}))
    assert len(whole) == ENTITY_COUNT
    kinds = [ref.split(":")[0] for ref in whole]
    assert kinds == sorted(kinds, reverse=order == "desc")
    page = post(reader, BY_QUERY, body).json()
    seen = [f"{i['kind']}:{i['metadata']['name']}" for i in page["items"]]
    while cursor := page["pageInfo"].get("nextCursor"):
        # GET and POST take each other's cursors; later pages skip kinds without counting all.
        page = reader.get(BY_QUERY, {"cursor": cursor, "limit": 7}).json()
        seen += [f"{i['kind']}:{i['metadata']['name']}" for i in page["items"]]
    assert seen == whole
    backwards = post(reader, BY_QUERY, {"cursor": page["pageInfo"]["prevCursor"], "limit": 7})
    assert refs(backwards) == whole[49:56]


def test_the_default_order_reads_each_kind_in_its_lower_index_order(reader):
    """The first page is one query per kind ordered like the (lower(namespace), lower(name))
    unique index, so PostgreSQL reads it off the index instead of sorting every entity."""
    with CaptureQueriesContext(connection) as captured:
        names(reader.get(f"{BY_QUERY}?filter=kind=component&limit=5"))
    pages = [q["sql"] for q in captured if 'AS "pk" FROM "catalog_component"' in q["sql"]]
    assert len(pages) == 1 and "UNION" not in pages[0]
    assert (
        'ORDER BY LOWER("catalog_component"."namespace") ASC, '
        'LOWER("catalog_component"."name") ASC' in pages[0]
    )


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", BY_QUERY, {"query": {"metadata.name": "a\u0000b"}}),
        ("post", BY_QUERY, {"fullTextFilter": {"term": "\u0000"}}),
        ("post", FACETS, {"facets": ["kind"], "query": {"kind": {"$hasPrefix": "\u0000"}}}),
        ("post", f"{API}/entities/by-refs", {"entityRefs": ["component:default/a\u0000"]}),
        ("get", f"{BY_QUERY}?filter=metadata.name=a%00b", None),
        ("get", f"{API}/entities/by-name/component/default/a%00b", None),
    ],
)
def test_nul_characters_get_a_400_not_a_database_error(reader, method, url, body):
    response = post(reader, url, body) if method == "post" else reader.get(url)
    assert response.status_code == 400, response.content
    assert "NUL" in response.json()["error"]["message"]


def test_the_total_is_exact_whether_or_not_the_first_page_holds_everything(reader):
    small = post(reader, BY_QUERY, {"query": {"kind": "domain"}, "limit": 5}).json()
    assert small["totalItems"] == 2 and "nextCursor" not in small["pageInfo"]
    exact = post(reader, BY_QUERY, {"query": {"kind": "domain"}, "limit": 2}).json()
    assert exact["totalItems"] == 2 and "nextCursor" not in exact["pageInfo"]
    paged = post(reader, BY_QUERY, {"query": {"kind": "domain"}, "limit": 1}).json()
    assert paged["totalItems"] == 2
    later = reader.get(f"{BY_QUERY}?filter=kind=domain&offset=1&limit=1").json()
    assert later["totalItems"] == 2 and names_of(later) == ["discovery"]
    back = reader.get(BY_QUERY, {"cursor": later["pageInfo"]["prevCursor"], "limit": 1}).json()
    assert back["totalItems"] == 2 and names_of(back) == ["commerce"]


def names_of(body: dict) -> list[str]:
    return [item["metadata"]["name"] for item in body["items"]]
