"""The counts beside every filter are exact: each equals a COUNT(*) of the same filters.

20,000 services, four times the 5,000 rows the list used to count from, so a sampled count
could not pass. The expected figures are counted independently with plain ORM lookups, not
with the filter code the page uses.
"""

import random
from urllib.parse import parse_qs

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog import facets, versioning
from catalog.models import Component, System, Tag, Team
from tests.factories import add_member, make_component, make_team

URL = "/catalog/"
SIZE = 20_000
LOOKUP = {
    "owner": "owner__name",
    "system": "system__name",
    "type": "type",
    "lifecycle": "lifecycle",
    "tier": "tier",
    "language": "language",
}
WORDS = ["pay", "ledger", "search", "kafka", "auth", "report"]


@pytest.fixture
def big_catalog(personas):
    rng = random.Random(20)
    teams = [personas.team] + [make_team(f"team-{i:02}") for i in range(29)]
    systems = [System.objects.create(name=f"sys-{i:02}", owner=teams[i % 30]) for i in range(50)]
    tags = [Tag.objects.create(name=f"tag-{i:02}") for i in range(20)]
    components = []
    for index in range(SIZE):
        words = rng.sample(WORDS, 2)
        components.append(
            Component(
                name=f"svc-{index:05}",
                owner=teams[min(int(rng.paretovariate(1.2)) - 1, 29)],
                system=rng.choice(systems + [None]),
                type=rng.choice(["service", "website", "library", "worker"]),
                lifecycle=rng.choice(["production", "experimental", "deprecated"]),
                tier=rng.randint(1, 4),
                language=rng.choice(["go", "python", "java", "kotlin", "rust", ""]),
                search_text=f"svc-{index:05} {' '.join(words)}",
            )
        )
    Component.objects.bulk_create(components, batch_size=2_000)
    through = Component.tags.through
    ids = list(Component.objects.values_list("id", flat=True))
    through.objects.bulk_create(
        [
            through(component_id=pk, tag_id=tag.pk)
            for pk in ids
            for tag in rng.sample(tags, rng.choice([0, 1, 1, 2, 3]))
        ],
        batch_size=5_000,
    )
    return teams


def _matching(filters: dict[str, list[str]], scope_teams: list[str] | None):
    rows = Component.objects.all()
    if scope_teams is not None:
        rows = rows.filter(owner__name__in=scope_teams)
    for word in filters.get("q", []):
        for part in word.lower().split():
            rows = rows.filter(search_text__contains=part)
    for name, values in filters.items():
        if name == "tag":
            rows = rows.filter(pk__in=Component.objects.filter(tags__name__in=values).values("pk"))
        elif name in LOOKUP:
            rows = rows.filter(**{f"{LOOKUP[name]}__in": values})
    return rows


def _check_view(client, query: str, scope_teams: list[str] | None = None) -> int:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    filters = {k: v for k, v in parse_qs(query).items() if k not in ("view", "page")}
    expected_total = _matching(filters, scope_teams).count()
    assert response.context["page"].paginator.count == expected_total, query
    checked = 0
    for facet in response.context["facets"]:
        name = facet["name"]
        others = {k: v for k, v in filters.items() if k != name}
        rows = _matching(others, scope_teams)
        if name == "tag":
            for option in facet["options"]:
                expected = rows.filter(tags__name=option["value"]).count()
                assert option["count"] == expected, (query, name, option)
                checked += 1
            present = (
                Tag.objects.filter(components__in=rows).order_by().values("name").distinct().count()
            )
            shown_with_count = [o for o in facet["options"] if o["count"]]
            assert facet["more"] == present - len(shown_with_count), (query, name)
            continue
        for option in facet["options"]:
            expected = rows.filter(**{LOOKUP[name]: option["value"]}).count()
            assert option["count"] == expected, (query, name, option)
            checked += 1
        # The options shown are the biggest, and "more" says exactly how many are not shown.
        values = [
            v
            for v in rows.order_by()
            .exclude(**{f"{LOOKUP[name]}__isnull": True})
            .exclude(**({LOOKUP[name]: ""} if name != "tier" else {}))
            .values_list(LOOKUP[name], flat=True)
            .distinct()
        ]
        shown_with_count = [o for o in facet["options"] if o["count"]]
        assert facet["more"] == len(values) - len(shown_with_count), (query, name)
        if facet["more"] and name != "tier":
            smallest_shown = min(o["count"] for o in shown_with_count)
            shown = {str(o["value"]) for o in shown_with_count}
            biggest_hidden = max(
                rows.filter(**{LOOKUP[name]: v}).count() for v in values if str(v) not in shown
            )
            assert smallest_shown >= biggest_hidden, (query, name)
    return checked


@pytest.mark.django_db
def test_every_count_beside_every_filter_equals_a_count_of_the_same_filters(
    owner_client, big_catalog, personas
):
    assert Component.objects.count() == SIZE
    checked = 0
    for query in [
        "view=all",
        "view=all&owner=payments",
        "view=all&lifecycle=production&type=service",
        "view=all&q=pay&owner=team-01&tier=2",
        "view=all&tag=tag-01&language=go&lifecycle=experimental",
        "view=all&owner=payments&owner=team-03&tag=tag-02&tag=tag-05",
        "view=all&q=kafka ledger&system=sys-07&type=worker&tier=1&tier=2",
    ]:
        checked += _check_view(owner_client, query)
    checked += _check_view(owner_client, "view=mine&lifecycle=deprecated", ["payments"])
    assert checked > 150  # the comparison really ran over many options


@pytest.mark.django_db
def test_a_catalog_write_changes_the_version_and_the_counts_follow(owner_client, personas):
    make_component("first", owner=personas.team, language="go")
    before = versioning.current()

    def go_count() -> int:
        page = owner_client.get(URL + "?view=all")
        languages = {f["name"]: f for f in page.context["facets"]}["language"]["options"]
        return {o["value"]: o["count"] for o in languages}.get("go", 0)

    assert go_count() == 1
    assert go_count() == 1  # from the cache now
    make_component("second", owner=personas.team, language="go")
    assert versioning.current() != before
    assert go_count() == 2
    # Writes that bypass the ORM's signals are seen too: the database sets the version.
    Component.objects.filter(name="first").update(language="rust")
    assert go_count() == 1
    other = make_team("other")
    Component.objects.filter(name="second").update(owner=other)
    page = owner_client.get(URL + "?view=all&language=go")
    owners = {f["name"]: f for f in page.context["facets"]}["owner"]["options"]
    assert [(o["value"], o["count"]) for o in owners] == [("other", 1)]
    Team.objects.filter(name="other").update(title="The Others")
    page = owner_client.get(URL + "?view=all&language=go")
    owners = {f["name"]: f for f in page.context["facets"]}["owner"]["options"]
    assert owners[0]["label"] == "The Others"


@pytest.mark.django_db
def test_tags_added_later_are_counted_at_once(owner_client, personas):
    component = make_component("tagged", owner=personas.team)
    owner_client.get(URL + "?view=all")
    component.tags.add(Tag.objects.create(name="pci"))
    page = owner_client.get(URL + "?view=all")
    tags = {f["name"]: f for f in page.context["facets"]}["tag"]["options"]
    assert [(o["value"], o["count"]) for o in tags] == [("pci", 1)]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_never_brings_an_old_version_back(personas):
    make_component("kept", owner=personas.team)
    committed = versioning.current()
    with transaction.atomic():
        make_component("undone", owner=personas.team)
        seen_inside = versioning.current()
        transaction.set_rollback(True)
    assert versioning.current() == committed
    make_component("next", owner=personas.team)
    assert versioning.current() not in (committed, seen_inside)


@pytest.mark.django_db
def test_counts_computed_while_the_catalog_changed_are_not_cached(personas, monkeypatch):
    make_component("one", owner=personas.team, language="go")
    cache.clear()
    view = facets.View.of(None, "", {})
    real_compute = facets.compute

    def compute_during_a_write(view, using="default", version=None):
        result = real_compute(view, using, version)
        make_component("two", owner=personas.team, language="go")  # commits meanwhile
        return result

    monkeypatch.setattr(facets, "compute", compute_during_a_write)
    facets.counts(view)
    monkeypatch.setattr(facets, "compute", real_compute)
    languages = {f["name"]: f for f in facets.counts(view)["facets"]}["language"]["options"]
    assert languages[0]["count"] == 2


@pytest.mark.django_db
def test_a_member_of_several_teams_counts_only_their_teams(client, personas):
    second = make_team("second")
    add_member(second, personas.owner)
    make_component("a", owner=personas.team, language="go")
    make_component("b", owner=second, language="go")
    make_component("c", owner=make_team("third"), language="go")
    client.force_login(personas.owner)
    page = client.get(URL)
    assert page.context["scope"] == "mine" and page.context["page"].paginator.count == 2
    languages = {f["name"]: f for f in page.context["facets"]}["language"]["options"]
    assert languages[0]["count"] == 2


@pytest.mark.django_db
def test_beat_counts_the_unfiltered_catalog_after_a_change(owner_client, personas):
    from catalog.tasks import warm_counts

    make_component("one", owner=personas.team, language="go")
    cache.clear()
    assert warm_counts() is True
    assert warm_counts() is False  # nothing changed since
    with CaptureQueriesContext(connection) as ctx:
        owner_client.get(URL + "?view=all")
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("WITH m AS")]
    make_component("two", owner=personas.team, language="go")
    assert warm_counts() is True
