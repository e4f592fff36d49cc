"""The Backstage-compatible catalog API: every endpoint, every filter, and its query budget."""

import base64
import json

import pytest
from django.core.cache import cache
from django.test import Client

from catalog.backstage.descriptor_output import user_uid
from catalog.demo import seed_demo_catalog
from catalog.models import Component, Dependency, Team
from tests.factories import add_member, make_user

pytestmark = pytest.mark.django_db
API = "/api/catalog"
ENTITY_COUNT = 60  # the demo catalog's 59 entities and one user who belongs to a team


@pytest.fixture
def reader(client):
    seed_demo_catalog()
    user = make_user("reader", first_name="Rita", last_name="Reader")
    add_member(Team.objects.get(name="payments"), user)
    client.force_login(user)
    client.user = user
    return client


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    items = response.json()
    items = items["items"] if isinstance(items, dict) else items
    return [item["metadata"]["name"] for item in items]


def get_filtered(client, *filters: str) -> list[str]:
    query = "&".join(f"filter={f}" for f in filters)
    return sorted(names(client.get(f"{API}/entities?{query}")))


def test_entities_lists_every_kind_in_entity_reference_order(reader):
    items = reader.get(f"{API}/entities?limit=1000").json()
    assert len(items) == ENTITY_COUNT
    assert [(i["kind"], i["metadata"]["name"]) for i in items[:2]] == [
        ("API", "auth-api"), ("API", "checkout-api"),
    ]  # fmt: skip
    assert {item["kind"] for item in items} == {
        "API", "Component", "Domain", "Group", "Resource", "System", "User",
    }  # fmt: skip
    assert all(item["metadata"]["uid"] and item["metadata"]["etag"] for item in items)


def test_a_component_carries_its_spec_annotations_and_relations(reader):
    entity = reader.get(f"{API}/entities/by-name/component/default/payments-service").json()
    assert entity["spec"]["owner"] == "group:default/payments"
    assert entity["metadata"]["annotations"]["portal.internal/tier"] == "1"
    assert {"url": "https://runbooks.example.com/payments-service", "title": "Runbook",
            "icon": "help", "type": "runbook"} in entity["metadata"]["links"]  # fmt: skip
    relations = {(r["type"], r["targetRef"]) for r in entity["relations"]}
    assert {
        ("ownedBy", "group:default/payments"),
        ("partOf", "system:default/payments"),
        ("providesApi", "api:default/payments-api"),
        ("consumesApi", "api:default/auth-api"),
        ("dependsOn", "resource:default/payments-db"),
        ("dependencyOf", "component:default/refunds-service"),
    } <= relations
    assert "status" not in entity


def test_each_relation_has_its_reverse(reader):
    def relations(kind, name):
        entity = reader.get(f"{API}/entities/by-name/{kind}/default/{name}").json()
        return {(r["type"], r["targetRef"]) for r in entity["relations"]}

    assert ("apiProvidedBy", "component:default/payments-service") in relations(
        "api", "payments-api"
    )
    assert ("hasPart", "component:default/ledger-service") in relations("system", "payments")
    assert ("hasPart", "system:default/payments") in relations("domain", "commerce")
    assert ("ownerOf", "system:default/payments") in relations("group", "payments")
    assert ("hasMember", "user:default/reader") in relations("group", "payments")
    assert ("parentOf", "group:default/identity") in relations("group", "platform")
    assert ("childOf", "group:default/platform") in relations("group", "identity")
    assert ("memberOf", "group:default/payments") in relations("user", "reader")
    assert {
        ("subcomponentOf", "component:default/search-service"),
        ("partOf", "component:default/search-service"),
    } <= relations("component", "query-suggest")
    assert ("hasSubcomponent", "component:default/query-suggest") in relations(
        "component", "search-service"
    )


def test_unresolved_references_show_as_backstage_processing_errors(reader):
    entity = reader.get(f"{API}/entities/by-name/component/default/fraud-scoring").json()
    message = "spec.consumesApis refers to api:default/fraud-signals, which is not in the catalog"
    assert entity["status"] == {"items": [{
        "type": "backstage.io/catalog-processing",
        "level": "error",
        "message": f"NotFoundError: {message}",
        "error": {"name": "NotFoundError", "message": message},
    }]}  # fmt: skip
    assert ("consumesApi", "api:default/fraud-signals") in {
        (r["type"], r["targetRef"]) for r in entity["relations"]
    }


def test_filter_conditions_are_anded_and_filter_parameters_ored(reader):
    assert len(get_filtered(reader, "kind=domain", "kind=system")) == 6
    production = Component.objects.filter(lifecycle="production").count()
    assert len(get_filtered(reader, "kind=component,spec.lifecycle=production")) == production


def test_filter_values_and_kinds_ignore_case(reader):
    assert get_filtered(reader, "kind=COMPONENT,metadata.name=Payments-Service") == [
        "payments-service"
    ]


def test_the_same_key_twice_in_one_filter_means_either_value(reader):
    assert get_filtered(reader, "kind=api,spec.type=graphql,spec.type=grpc") == [
        "recommendations-api", "search-api",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("metadata.namespace=default,kind=domain", ["commerce", "discovery"]),
        ("metadata.title=Payments SDK", ["payments-sdk"]),
        (
            "metadata.tags=pci",
            ["payment-gateway-adapter", "payments-api", "payments-service", "refunds-service"],
        ),
        ("metadata.tags.grpc", ["recommendations-api", "recommendations-service"]),
        ("kind=component,spec.type=website,spec.owner=checkout", ["checkout-web"]),
        (
            "spec.owner=group:default/identity",
            ["auth-api", "auth-service", "profile-service", "sessions-cache"],
        ),
        ("kind=resource,spec.system=checkout", ["orders-db"]),
        ("kind=system,spec.domain=discovery", ["recommendations", "search"]),
        ("spec.subcomponentOf", ["payments-sdk", "query-suggest"]),
        ("spec.profile.displayName=Identity", ["identity"]),
        (
            "metadata.annotations.portal.internal/tier=4,spec.lifecycle=deprecated",
            ["shipping-quotes"],
        ),
        ("metadata.annotations.portal.internal/contact-channel=#team-search", ["search"]),
        ("kind=component,metadata.annotations.portal.internal/language=rust", ["crawler"]),
        (
            "metadata.annotations.backstage.io/source-location=url:https://git.example.com/acme/crawler",
            ["crawler"],
        ),
        ("kind=system,relations.ownedBy=group:default/data", ["recommendations"]),
        ("relations.partOf=system:default/search,kind=resource", ["search-index"]),
        ("relations.hasPart=component:default/crawler", ["search"]),
        ("relations.providesApi=api:default/orders-api", ["orders-service"]),
        ("relations.consumesApi=api:default/search-api", ["checkout-web", "search-web"]),
        ("relations.apiConsumedBy=component:default/payments-web", ["payments-api", "refunds-api"]),
        ("relations.apiProvidedBy=component:default/auth-service", ["auth-api"]),
        (
            "relations.dependsOn=component:default/orders-service",
            ["checkout-service", "inventory-service"],
        ),
        (
            "relations.dependencyOf=component:default/indexer-worker",
            ["events-stream", "search-index"],
        ),
        ("relations.ownerOf=component:default/crawler", ["search"]),
        ("relations.childOf=group:default/platform", ["identity"]),
        ("relations.parentOf=group:default/identity", ["platform"]),
        ("relations.hasMember=user:default/reader", ["payments"]),
        ("relations.memberOf=group:default/payments", ["reader"]),
        ("kind=system,spec.type=product", []),
        ("no.such.key", []),
    ],
)
def test_each_filter_key(reader, condition, expected):
    assert get_filtered(reader, condition.replace("#", "%23")) == expected


def test_metadata_uid_filters_one_entity(reader):
    uid = Component.objects.get(name="crawler").uid
    assert get_filtered(reader, f"metadata.uid={uid}") == ["crawler"]


def test_fields_keep_only_the_paths_asked_for(reader):
    items = reader.get(f"{API}/entities?filter=kind=domain&fields=kind,metadata.name").json()
    assert items == [{"kind": "Domain", "metadata": {"name": "commerce"}},
                     {"kind": "Domain", "metadata": {"name": "discovery"}}]  # fmt: skip


def test_entities_orders_and_pages_with_a_next_link(reader):
    url = f"{API}/entities?filter=kind=component&order=desc:metadata.name&limit=3"
    response = reader.get(url)
    assert names(response) == ["shipping-quotes", "search-web", "search-service"]
    link = response["Link"]
    assert link.startswith(f"<{API}/entities?") and link.endswith('>; rel="next"')
    following = reader.get(link[1 : link.index(">")])
    assert names(following) == ["relevance-lib", "refunds-service", "reconciliation-job"]
    assert names(reader.get(f"{url}&offset=30")) == ["api-gateway", "analytics-dashboard"]
    assert "Link" not in reader.get(f"{url}&offset=30")


def test_entities_answers_50_by_default_with_a_link_to_the_rest(reader):
    response = reader.get(f"{API}/entities")
    assert len(names(response)) == 50
    link = response["Link"]
    assert len(names(reader.get(link[1 : link.index(">")]))) == ENTITY_COUNT - 50


def test_entities_never_answers_more_than_the_maximum(reader, monkeypatch):
    monkeypatch.setattr("catalog.backstage.api.MAX_QUERY_LIMIT", 7)
    response = reader.get(f"{API}/entities?limit=5000")
    assert len(names(response)) == 7 and 'rel="next"' in response["Link"]


def test_an_after_cursor_cannot_raise_the_maximum(reader, monkeypatch):
    monkeypatch.setattr("catalog.backstage.api.MAX_QUERY_LIMIT", 7)
    after = base64.b64encode(json.dumps({"limit": 5000, "offset": 0}).encode()).decode()
    assert len(names(reader.get(f"{API}/entities", {"after": after}))) == 7


def test_by_query_answers_50_by_default(reader):
    body = reader.get(f"{API}/entities/by-query").json()
    assert len(body["items"]) == 50 and body["totalItems"] == ENTITY_COUNT
    rest = reader.get(f"{API}/entities/by-query", {"cursor": body["pageInfo"]["nextCursor"]})
    assert len(names(rest)) == ENTITY_COUNT - 50


def test_by_query_never_answers_more_than_the_maximum(reader, monkeypatch):
    monkeypatch.setattr("catalog.backstage.api.MAX_QUERY_LIMIT", 7)
    body = reader.get(f"{API}/entities/by-query?limit=5000").json()
    assert len(body["items"]) == 7 and "nextCursor" in body["pageInfo"]


def test_by_query_walks_every_page_once_with_cursors(reader):
    response = reader.get(f"{API}/entities/by-query?limit=25&orderField=metadata.name,asc")
    body = response.json()
    assert body["totalItems"] == ENTITY_COUNT and "prevCursor" not in body["pageInfo"]
    seen = [item["metadata"]["name"] for item in body["items"]]
    pages = 1
    while cursor := body["pageInfo"].get("nextCursor"):
        body = reader.get(f"{API}/entities/by-query", {"cursor": cursor, "limit": 25}).json()
        seen += [item["metadata"]["name"] for item in body["items"]]
        pages += 1
    assert pages == 3 and len(seen) == ENTITY_COUNT
    assert seen == sorted(seen) and body["totalItems"] == ENTITY_COUNT
    previous = reader.get(f"{API}/entities/by-query", {"cursor": body["pageInfo"]["prevCursor"],
                                                       "limit": 25}).json()  # fmt: skip
    assert [i["metadata"]["name"] for i in previous["items"]] == seen[25:50]


def test_by_query_cursors_keep_the_filter_and_can_skip_the_count(reader):
    first = reader.get(f"{API}/entities/by-query?filter=kind=component&limit=5"
                       "&totalItems=exclude").json()  # fmt: skip
    assert first["totalItems"] == 0
    cursor = json.loads(base64.b64decode(first["pageInfo"]["nextCursor"]))
    # Backstage's client treats a cursor holding "query" as one for its POST endpoint.
    assert cursor["filter"] == ["kind=component"] and "query" not in cursor
    second = reader.get(f"{API}/entities/by-query",
                        {"cursor": first["pageInfo"]["nextCursor"]}).json()  # fmt: skip
    assert {item["kind"] for item in second["items"]} == {"Component"}


def test_by_query_full_text_searches_the_fields_given(reader):
    url = f"{API}/entities/by-query?fullTextFilterTerm=LEDGER&fullTextFilterFields=metadata.name"
    assert sorted(names(reader.get(url))) == ["ledger-db", "ledger-service"]
    url = f"{API}/entities/by-query?fullTextFilterTerm=ledger&fullTextFilterFields=metadata.title"
    assert sorted(names(reader.get(url))) == ["ledger-db", "ledger-service"]
    url = f"{API}/entities/by-query?fullTextFilterTerm=money"
    url += "&fullTextFilterFields=metadata.description"
    assert sorted(names(reader.get(url))) == ["commerce", "ledger-service"]
    url = f"{API}/entities/by-query?fullTextFilterTerm=pci&fullTextFilterFields=metadata.tags"
    assert len(names(reader.get(url))) == 4


@pytest.mark.parametrize("term", ["e", "ser"])  # below and at the trigram indexes' length
def test_by_query_full_text_pages_walk_kind_then_name_order(reader, term):
    """A searched page is sorted without the name index; the order stays kind, namespace, name,
    and the cursors walk it once."""
    everything = reader.get(f"{API}/entities/by-query", {"fullTextFilterTerm": term, "limit": 500})
    whole = [(i["kind"], i["metadata"]["name"]) for i in everything.json()["items"]]
    assert len(whole) > 6
    assert whole == sorted(whole, key=lambda ref: (ref[0].lower(), ref[1].lower()))
    walked, params = [], {"fullTextFilterTerm": term, "limit": 4}
    while True:
        page = reader.get(f"{API}/entities/by-query", params).json()
        walked += [(i["kind"], i["metadata"]["name"]) for i in page["items"]]
        if "nextCursor" not in page["pageInfo"]:
            break
        params = {"cursor": page["pageInfo"]["nextCursor"], "limit": 4}
    assert walked == whole


def test_by_name_finds_and_404s_in_backstage_shape(reader):
    assert names(reader.get(f"{API}/entities?filter=metadata.name=nope")) == []
    entity = reader.get(f"{API}/entities/by-name/Component/default/CRAWLER").json()
    assert entity["metadata"]["name"] == "crawler"
    response = reader.get(f"{API}/entities/by-name/component/default/nope")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"name": "NotFoundError", "message": "No entity named 'nope' found, with kind "
                  "'component' in namespace 'default'"},
        "request": {"method": "GET", "url": f"{API}/entities/by-name/component/default/nope"},
        "response": {"statusCode": 404},
    }  # fmt: skip


def test_by_uid_finds_entities_and_users(reader):
    uid = Component.objects.get(name="crawler").uid
    assert reader.get(f"{API}/entities/by-uid/{uid}").json()["metadata"]["name"] == "crawler"
    user = reader.get(f"{API}/entities/by-uid/{user_uid(reader.user)}").json()
    assert user["kind"] == "User" and user["spec"]["profile"]["displayName"] == "Rita Reader"
    assert reader.get(f"{API}/entities/by-uid/not-a-uuid").status_code == 404


def test_by_refs_answers_in_order_with_null_for_missing():
    client = Client(enforce_csrf_checks=True)  # Backstage's client sends no CSRF token
    seed_demo_catalog()
    client.force_login(make_user("reader"))
    body = {"entityRefs": ["api:default/orders-api", "component:default/nope", "group:payments",
                           "Component:default/CRAWLER", "no kind"],
            "fields": ["kind", "metadata.name"]}  # fmt: skip
    response = client.post(f"{API}/entities/by-refs", body, content_type="application/json")
    assert response.json() == {"items": [
        {"kind": "API", "metadata": {"name": "orders-api"}}, None,
        {"kind": "Group", "metadata": {"name": "payments"}},
        {"kind": "Component", "metadata": {"name": "crawler"}}, None,
    ]}  # fmt: skip


def test_by_refs_applies_a_filter_and_refuses_bad_bodies(reader):
    body = {"entityRefs": ["api:default/orders-api", "component:default/crawler"]}
    url = f"{API}/entities/by-refs?filter=kind=component"
    items = reader.post(url, body, content_type="application/json").json()["items"]
    assert items[0] is None and items[1]["metadata"]["name"] == "crawler"
    bad = reader.post(f"{API}/entities/by-refs", {"entityRefs": "x"},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and bad.json()["error"]["name"] == "InputError"
    assert (
        reader.post(f"{API}/entities/by-refs", "{", content_type="application/json").status_code
        == 400
    )


def test_facets_count_values_under_a_filter(reader):
    response = reader.get(f"{API}/entity-facets?facet=kind&facet=spec.lifecycle"
                          "&filter=kind=component,spec.owner=payments")  # fmt: skip
    assert response.json() == {"facets": {
        "kind": [{"value": "Component", "count": 9}],
        "spec.lifecycle": [{"value": "production", "count": 8},
                           {"value": "experimental", "count": 1}],
    }}  # fmt: skip


def test_facets_for_tags_owners_and_annotations(reader):
    facets = reader.get(
        f"{API}/entity-facets?facet=metadata.tags&facet=relations.ownedBy"
        "&facet=metadata.annotations.portal.internal/tier"
    ).json()["facets"]
    assert {"value": "pci", "count": 4} in facets["metadata.tags"]
    assert {"value": "group:default/search", "count": 10} in facets["relations.ownedBy"]
    tiers = {f["value"]: f["count"] for f in facets["metadata.annotations.portal.internal/tier"]}
    assert set(tiers) == {"1", "2", "3", "4"} and sum(tiers.values()) == 32


def test_facets_refuse_more_than_ten_facet_parameters(reader):
    query = "&".join(f"facet=metadata.annotations.a{i}" for i in range(11))
    response = reader.get(f"{API}/entity-facets?{query}")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "name": "InputError",
        "message": "at most 10 facet parameters per request: ask in batches",
    }


def test_facets_take_ten_facet_parameters(reader):
    query = "&".join(f"facet=metadata.annotations.a{i}" for i in range(10))
    assert reader.get(f"{API}/entity-facets?{query}").status_code == 200


def test_unreadable_parameters_get_a_400_in_backstage_shape(reader):
    for url in (
        "entities?limit=many",
        "entities?order=sideways:name",
        "entities/by-query?cursor=!!",
        "entity-facets",
        "entities?filter==x",
    ):
        response = reader.get(f"{API}/{url}")
        assert response.status_code == 400, url
        assert response.json()["error"]["name"] == "InputError"


def test_the_api_answers_401_not_a_sign_in_page(client):
    response = client.get(f"{API}/entities")
    assert response.status_code == 401
    assert response.json()["error"]["name"] == "AuthenticationError"


def test_the_api_is_read_only(reader):
    response = reader.post(f"{API}/entities", {}, content_type="application/json")
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert reader.get(f"{API}/entities/by-refs").status_code == 405


@pytest.mark.parametrize("endpoint", ["entities", "entities/by-query"])
def test_queries_do_not_grow_with_the_page_size(reader, endpoint, django_assert_max_num_queries):
    for limit in (5, 50):
        with django_assert_max_num_queries(40):
            response = reader.get(f"{API}/{endpoint}?limit={limit}")
        assert len(names(response)) == limit
    # Within one kind the bound is tight: the same queries for 5 rows as for 30 (counted cold:
    # by-query's total is cached under the catalog version).
    counts = []
    for limit in (5, 30):
        cache.clear()
        with django_assert_max_num_queries(12) as captured:
            reader.get(f"{API}/{endpoint}?filter=kind=component&limit={limit}")
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_entities_loaded_for_a_page_read_as_their_plain_rows_do(reader):
    """load() reads related rows as tuples (and on PostgreSQL keeps each relation's SQL after
    the first page): every entity's descriptor and status equal those of its plain model row,
    whose relations are read one query at a time, on a first page and on a later one."""
    from catalog.backstage import entity_kinds
    from catalog.backstage.api import present
    from catalog.backstage.entity_query import load

    dependency_source = Component.objects.order_by("name").first()
    Dependency.objects.create(source=dependency_source, target_ref="component:default/gone")
    keys = [
        (name, pk)
        for name, kind in entity_kinds.KINDS.items()
        for pk in kind.queryset().values_list("pk", flat=True)
    ]
    entity_kinds._RELATED_SQL.clear()
    for _ in range(2):
        loaded = load(keys)
        assert len(loaded) == len(keys) == ENTITY_COUNT
        for (name, pk), row in zip(keys, loaded, strict=True):
            plain = entity_kinds.KINDS[name].model.objects.get(pk=pk)
            if name == "group":
                entity_kinds.attach_owned_refs([plain])
            assert present(row) == present(plain), (name, plain)
