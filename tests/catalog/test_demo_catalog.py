"""The demo catalog `make dev` shows: believable, complete, and safe to seed again."""

import pytest
from django.contrib.auth import get_user_model

from catalog.demo import seed_demo_catalog
from catalog.models import Api, Component, Dependency, Domain, Link, Resource, System, Team
from idp_portal.demo import seed_demo

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_git")]


def test_it_seeds_a_whole_catalog_with_nothing_rejected():
    report = seed_demo_catalog()
    assert not report.rejected
    assert (Component.objects.count(), System.objects.count(), Domain.objects.count()) == (32, 4, 2)
    assert Team.objects.count() == 6 and Api.objects.count() == 8 and Resource.objects.count() == 7
    assert set(Component.objects.values_list("tier", flat=True)) == {1, 2, 3, 4}
    assert set(Link.objects.values_list("kind", flat=True)) == {
        "docs",
        "runbook",
        "dashboard",
        "chat",
    }
    assert set(Api.objects.values_list("type", flat=True)) == {
        "openapi",
        "asyncapi",
        "graphql",
        "grpc",
    }
    assert Component.objects.exclude(language="").count() == 32
    assert {t.name: t.title for t in Team.objects.filter(name__in=["payments", "search"])} == {
        "payments": "Payments", "search": "Search",
    }  # fmt: skip
    assert not get_user_model().objects.exists()


def test_it_shows_unresolved_references_and_a_dependency_cycle():
    report = seed_demo_catalog()
    assert sorted(u.target for u in report.unresolved) == [
        "api:default/fraud-signals", "resource:default/legacy-rates-db",
    ]  # fmt: skip
    edges = set(Dependency.objects.values_list("source__name", "target_component__name"))
    assert {
        ("orders-service", "inventory-service"),
        ("inventory-service", "orders-service"),
    } <= edges


def test_seeding_twice_changes_nothing():
    seed_demo_catalog()
    report = seed_demo_catalog()
    assert len(report.unchanged) == 59 and not (report.created or report.updated)


@pytest.mark.parametrize("demo_accounts_first", [True, False])
def test_it_agrees_with_the_demo_accounts_teams(demo_accounts_first):
    if demo_accounts_first:
        seed_demo()
    seed_demo_catalog()
    seed_demo()
    assert not seed_demo_catalog().updated
    payments = Team.objects.get(name="payments")
    assert (payments.title, payments.contact_channel) == ("Payments", "#team-payments")
    # alice and bob, from the demo accounts; the survey's demo respondents are engineerNN and
    # the metrics' newcomers have history only
    from idp_portal.demo import DEMO_NEWCOMERS

    demo_accounts = payments.memberships.exclude(user__username__startswith="engineer").exclude(
        user__username__in=[name for name, _, _ in DEMO_NEWCOMERS]
    )
    assert demo_accounts.count() == 2
