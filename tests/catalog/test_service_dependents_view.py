"""The page listing every service that depends on one, linked from the service page."""

import pytest
from django.urls import reverse

from catalog.views import DEPENDENTS_SHOWN
from tests.factories import depends_on, make_component


def url(name: str, **query) -> str:
    path = reverse("catalog:service_dependents", args=["default", name])
    return path + (f"?page={query['page']}" if query else "")


@pytest.fixture
def popular(personas):
    popular = make_component("popular", owner=personas.team)
    for i in range(DEPENDENTS_SHOWN + 2):
        depends_on(make_component(f"dep-{i:03d}", description=f"needs popular #{i}"), popular)
    return popular


def test_it_counts_every_dependent_and_lists_a_page_of_them(owner_client, popular):
    response = owner_client.get(url("popular"))
    html = response.content.decode()
    assert f"{DEPENDENTS_SHOWN + 2} services depend on" in html
    names = [c.name for c in response.context["page"].object_list]
    assert names == [f"dep-{i:03d}" for i in range(DEPENDENTS_SHOWN)]
    assert "needs popular #0" in html
    assert 'href="?page=2"' in html


def test_the_last_page_lists_the_rest(owner_client, popular):
    response = owner_client.get(url("popular", page=2))
    names = [c.name for c in response.context["page"].object_list]
    assert names == [f"dep-{DEPENDENTS_SHOWN:03d}", f"dep-{DEPENDENTS_SHOWN + 1:03d}"]
    assert 'href="?page=1"' in response.content.decode()


def test_a_page_out_of_range_or_not_a_number_shows_a_real_page(owner_client, popular):
    assert owner_client.get(url("popular", page=99)).context["page"].number == 2
    assert owner_client.get(url("popular", page="x")).context["page"].number == 1


def test_a_service_nothing_depends_on_says_so(owner_client, popular):
    lonely = make_component("lonely")
    html = owner_client.get(url(lonely.name)).content.decode()
    assert "Nothing in the catalog depends on" in html


def test_it_links_back_to_the_service(owner_client, popular):
    assert (
        f'href="{popular.get_absolute_url()}"' in owner_client.get(url("popular")).content.decode()
    )


def test_an_unknown_service_is_a_404(owner_client, popular):
    assert owner_client.get(url("nope")).status_code == 404


def test_any_signed_in_user_can_read_it(outsider_client, popular):
    assert outsider_client.get(url("popular")).status_code == 200


def test_it_refuses_writes(owner_client, popular):
    assert owner_client.post(url("popular")).status_code == 405


def test_its_query_count_does_not_grow_with_dependents(
    owner_client, popular, django_assert_max_num_queries
):
    # session, user, the service, its dependents' ids, their count and the page, memberships,
    # "Approvals (N)", the survey banner
    with django_assert_max_num_queries(9):
        owner_client.get(url("popular"))
