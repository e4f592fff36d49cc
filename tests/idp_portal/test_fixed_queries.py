import pytest
from django.db.models import Count

from catalog.models import Component
from idp_portal.fixed_queries import FixedQuery, prefetched
from tests.factories import make_component, make_team

pytestmark = pytest.mark.django_db


def test_it_gives_what_the_queryset_gives_for_each_call():
    team = make_team("payments")
    make_component("ledger", owner=team, tier=1)
    make_component("refunds", owner=team, tier=2)
    make_component("search", tier=1)
    by_tier = FixedQuery(
        lambda tier, name: (
            Component.objects.select_related("owner")
            .filter(tier=tier)
            .exclude(name=name)
            .annotate(deps=Count("dependencies"))
            .order_by("name")
        ),
        int,
        str,
    )
    for tier, name in [(1, "search"), (1, "nope"), (2, "ledger"), (3, "x")]:
        expected = list(
            Component.objects.select_related("owner")
            .filter(tier=tier)
            .exclude(name=name)
            .annotate(deps=Count("dependencies"))
            .order_by("name")
        )
        rows = by_tier(tier, name)
        assert rows == expected
        assert [(r.owner, r.deps) for r in rows] == [(r.owner, r.deps) for r in expected]


def test_values_list_rows_are_tuples():
    make_component("ledger", tier=1)
    names = FixedQuery(
        lambda tier: Component.objects.filter(tier=tier).values_list("pk", "name"), int
    )
    assert [name for _, name in names(1)] == ["ledger"]
    assert names(2) == []


def test_it_refuses_arguments_of_another_type():
    query = FixedQuery(lambda pk: Component.objects.filter(pk=pk), int)
    with pytest.raises(TypeError):
        query("1")


def test_a_parameter_the_sql_does_not_hold_unchanged_is_refused():
    query = FixedQuery(lambda name: Component.objects.filter(name=name.upper()), str)
    with pytest.raises(ValueError):
        query("ledger")


def test_prefetched_rows_are_read_without_a_query(django_assert_num_queries):
    ledger = make_component("ledger", tags=("money",))
    component = Component.objects.get(pk=ledger.pk)
    prefetched(component, "tags", list(ledger.tags.all()))
    with django_assert_num_queries(0):
        assert [t.name for t in component.tags.all()] == ["money"]
