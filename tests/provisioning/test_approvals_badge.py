"""The header tells whoever can approve how many requests wait for them: "Approvals (N)"."""

import re

from provisioning import services
from tests.factories import make_user
from tests.provisioning.test_engine import BUCKET

APPROVALS_LINK = re.compile(
    r'<a href="/provisioning/approvals/"[^>]*>Approvals <span[^>]*>\((\d+)\)</span></a>'
)


def _badge(client) -> int | None:
    match = APPROVALS_LINK.search(client.get("/catalog/").content.decode())
    return int(match.group(1)) if match else None


def test_a_lead_sees_the_exact_number_waiting_for_them(personas, petstore, prod, client):
    client.force_login(personas.owner)
    assert _badge(client) == 0
    for purpose in ("logs", "images"):
        services.submit_request(
            personas.teammate, "s3-bucket", petstore, prod, {**BUCKET, "purpose": purpose}
        )
    services.submit_request(personas.owner, "s3-bucket", petstore, prod, BUCKET)  # their own
    assert _badge(client) == 2  # the same two the approvals page lists


def test_a_platform_admin_counts_every_team(personas, petstore, prod, client):
    services.submit_request(personas.teammate, "s3-bucket", petstore, prod, BUCKET)
    client.force_login(make_user("ops", is_staff=True))
    assert _badge(client) == 1


def test_members_and_outsiders_get_no_approvals_link(personas, petstore, prod, client):
    services.submit_request(personas.owner, "s3-bucket", petstore, prod, BUCKET)
    for person in (personas.teammate, personas.outsider):
        client.force_login(person)
        html = client.get("/catalog/").content.decode()
        assert "/provisioning/approvals/" not in html.split("</header>")[0]


def test_the_count_is_one_query_and_none_for_members(personas, client, django_assert_num_queries):
    from django.test import RequestFactory

    from idp_portal.context_processors import approvals_waiting

    request = RequestFactory().get("/")
    request.user = personas.owner
    with django_assert_num_queries(2):  # the memberships (shared by the page), the count
        assert approvals_waiting(request) == 0
        assert approvals_waiting(request) == 0  # read once per request
    request = RequestFactory().get("/")
    request.user = personas.teammate
    with django_assert_num_queries(1):  # the memberships only
        assert approvals_waiting(request) is None


def test_the_badge_links_to_a_page_that_lists_them(personas, petstore, prod, client):
    held = services.submit_request(personas.teammate, "s3-bucket", petstore, prod, BUCKET)
    client.force_login(personas.owner)
    page = client.get("/provisioning/approvals/").content.decode()
    assert f">#{held.pk}</a>" in page
    assert 'href="/provisioning/approvals/" aria-current="page"' in page
