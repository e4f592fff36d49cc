"""Catalog pages: the list with live filters, and one page per entity kind."""

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat, NullIf
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from catalog import facets, graph
from catalog.access import get_entity_or_404, get_fixed_entity_or_404, named
from catalog.choices import ApiRelationKind, TeamRole
from catalog.filtersets import FACETS, ComponentFilterSet, facet_q
from catalog.models import (
    Api,
    ApiRelation,
    Component,
    Dependency,
    Domain,
    Link,
    Resource,
    System,
    Tag,
    Team,
    TeamMembership,
)
from catalog.pagination import CountedPaginator, IdsFirst, id_values
from catalog.querysets import memberships_of, with_tag_names
from catalog.sections import render_service_sections, render_team_sections
from idp_portal.fixed_queries import FixedQuery, prefetched
from idp_portal.htmx import is_partial, vary_on_htmx
from idp_portal.querystrings import without

PAGE_SIZES = (25, 50, 100)
# Each sort, with the columns that make it total: every one is an index (catalog/models).
LIST_ORDERS = {
    "name": ("name", "pk"),
    "tier": ("tier", "name", "pk"),
    "updated": ("updated_at", "pk"),
}


def _ordering(filterset: ComponentFilterSet) -> list[str]:
    """The columns to order by; descending sorts reverse every column, so the index serves them
    read backwards."""
    filterset.form.is_valid()
    sort = (filterset.form.cleaned_data.get("sort") or ["name"])[0]
    columns = LIST_ORDERS.get(sort.lstrip("-"), LIST_ORDERS["name"])
    return [f"-{column}" if sort.startswith("-") else column for column in columns]


def _list_scope(request: HttpRequest, data: QueryDict, team_names: list[str]) -> str:
    """'mine' (the default for a team member opening the bare page) or 'all'.

    A link with filters in it is someone's shared view: it opens on everything, not on the
    reader's own teams, so it shows the same results to everyone.
    """
    explicit = data.get("view")
    if explicit in {"mine", "all"}:
        return explicit if team_names or explicit == "all" else "all"
    has_filters = any(data.get(key) for key in ("q", *FACETS))
    return "mine" if team_names and not has_filters else "all"


def _page_size(data: QueryDict) -> int:
    try:
        size = int(data.get("per_page", 25))
    except ValueError:
        return 25
    return size if size in PAGE_SIZES else 25


@require_GET
def service_list(request: HttpRequest) -> HttpResponse:
    data = request.GET
    team_names = [m.team.name for m in memberships_of(request)]
    scope = _list_scope(request, data, team_names)
    base = Component.objects.all()
    if scope == "mine":
        base = base.filter(facet_q("owner", team_names))  # what the counts' scope means
    filterset = ComponentFilterSet(data, queryset=base)
    view = facets.View.of(
        team_names if scope == "mine" else None, filterset.search_text(), filterset.active()
    )
    counted = facets.counts(view)
    ids, settings = facets.page_source(view, counted, connection.vendor)
    # An invalid value (tier=x) is reported on the page; the other filters still apply.
    results = filterset.qs if ids is None else Component.objects.filter(pk__in=id_values(ids))
    results = results.order_by(*_ordering(filterset))
    rows = IdsFirst(results, _list_rows, settings)
    paginator = CountedPaginator(rows, _page_size(data), counted["total"])
    page = paginator.get_page(data.get("page"))
    context = {
        "filterset": filterset,
        "page": page,
        "facets": counted["facets"],
        "scope": scope,
        "team_names": team_names,
        "query_without_page": without(data, "page").urlencode(),
        "per_page": paginator.per_page,
        "page_sizes": PAGE_SIZES,
        "active_filters": _active_filters(data),
    }
    template = "catalog/service_list.html"
    if is_partial(request):
        # The results, plus the facet counts swapped out-of-band so both stay in step.
        template += "#results"
        context["oob"] = True
    return vary_on_htmx(render(request, template, context))


def _list_rows(ids: list[int]) -> list[Component]:
    return with_tag_names(list(Component.objects.filter(pk__in=id_values(ids)).for_list()))


def _active_filters(data: QueryDict) -> list[dict]:
    """Each active filter value with the link that removes just it."""
    chips = []
    for key in ("q", *FACETS):
        for value in data.getlist(key):
            if not value:
                continue
            remaining = data.copy()
            remaining.setlist(key, [v for v in data.getlist(key) if v != value])
            remaining.pop("page", None)
            chips.append({"key": key, "value": value, "remove": remaining.urlencode()})
    return chips


# The service page lists and draws this many dependents; the rest are a link away, counted.
DEPENDENTS_SHOWN = 50
# Entity fields the service page never shows (search_text is the component's alone).
UNSHOWN = ("labels", "annotations", "extra", "search_text")


def _service_named(namespace: str, name: str) -> QuerySet[Component]:
    """The component with what its page shows of its owner, system and parent, its owner's
    lead (name and username) and whether it has sub-components, in one query."""
    leads = TeamMembership.objects.filter(team=OuterRef("owner_id"), role=TeamRole.LEAD).order_by(
        "user__username"
    )
    related = ("owner", "system", "system__domain", "subcomponent_of")
    queryset = (
        Component.objects.select_related(*related)
        # The page shows none of these, and decoding them was a third of the query's time.
        .defer(*UNSHOWN, *(f"{r}__{f}" for r in related for f in UNSHOWN if f != "search_text"))
        .annotate(
            lead_username=Subquery(leads.values("user__username")[:1]),
            lead_full_name=Subquery(
                leads.annotate(
                    full=Concat("user__first_name", Value(" "), "user__last_name")
                ).values("full")[:1]
            ),
            has_subcomponents=Exists(Component.objects.filter(subcomponent_of=OuterRef("pk"))),
        )
    )
    return named(queryset, namespace, name)[:2]


# The page's fixed-shape queries, compiled once per process: building and compiling them took
# more CPU than the database spent answering them.
_SERVICE = FixedQuery(_service_named, str, str)
_TAGS = FixedQuery(lambda pk: Tag.objects.filter(components=pk), int)
_LINKS = FixedQuery(lambda pk: Link.objects.filter(component=pk), int)


def _service_with_lead(namespace: str, name: str) -> Component:
    """The component (see _service_named) with its tags and links prefetched."""
    component = get_fixed_entity_or_404(_SERVICE, namespace, name)
    prefetched(component, "tags", _TAGS(component.pk))
    prefetched(component, "links", _LINKS(component.pk))
    return component


def _dependencies_of(component_id: int) -> QuerySet[Dependency]:
    """What the component depends on, with only the target columns a reference link shows."""
    shown = ("namespace", "name", "title")
    return (
        Dependency.objects.filter(source=component_id)
        .select_related("target_component", "target_resource")
        .only(
            "source_id",
            "target_ref",
            *(f"target_component__{f}" for f in shown),
            *(f"target_resource__{f}" for f in shown),
        )
    )


_DEPENDENCIES = FixedQuery(_dependencies_of, int)
_DEPENDENT_IDS = FixedQuery(
    lambda component_id: (
        Dependency.objects.filter(target_component=component_id).order_by().values_list("source_id")
    ),
    int,
)
_API_RELATIONS = FixedQuery(
    lambda component_id: ApiRelation.objects.filter(component=component_id).select_related("api"),
    int,
)


def _dependencies(component: Component) -> list[Dependency]:
    return _DEPENDENCIES(component.pk)


def _dependent_ids(component: Component) -> list[int]:
    """The ids of the services that depend on `component`, each once."""
    return list(dict.fromkeys(source_id for (source_id,) in _DEPENDENT_IDS(component.pk)))


def _components_by_shown_name(ids: list[int]) -> QuerySet[Component]:
    """The components with these ids, by the name they show (title, else name).

    Two queries rather than a join on purpose: the row estimates for a popular target swing
    with the statistics, and with them PostgreSQL's plan for a join or "IN (subquery)" (a walk
    of the whole name index, a hash join over every component, parallel workers) from 3 ms
    to 2 s. Given the ids, it reads exactly those rows by primary key and sorts them. The ids
    go as one array (id_values), whose length PostgreSQL knows when it plans: the most
    depended-on service's 349 as an IN list cost 2–3 ms of compiling on every page view.
    """
    shown_name = Coalesce(NullIf("title", Value("")), "name")
    return Component.objects.filter(pk__in=id_values(ids)).order_by(shown_name, "pk")


def _dependents(component: Component, limit: int) -> tuple[list[Component], int]:
    """The first `limit` dependents and how many there are in all: the most depended-on
    service has hundreds, and drawing them all cost the page 100 ms."""
    ids = _dependent_ids(component)
    if not ids:
        return [], 0
    rows = list(_components_by_shown_name(ids).only("namespace", "name", "title")[:limit])
    for row in rows:
        row.url = row.get_absolute_url()  # once, for the graph's box and the list's link
    return rows, len(ids)


def _graph(component: Component, dependents, dependencies, total_dependents: int) -> dict:
    upstream = [(c.name, c.url) for c in dependents]
    if total_dependents > len(dependents):
        more = total_dependents - len(dependents)
        url = reverse("catalog:service_dependents", args=[component.namespace, component.name])
        upstream.append((f"+ {more:,} more dependents", url))
    return graph.layout(
        (component.name, None),
        upstream,
        [
            (
                d.target.name if d.target else d.target_ref,
                d.target.get_absolute_url() if d.target else None,
            )
            for d in dependencies
        ],
    )


@require_GET
def service_detail(request: HttpRequest, namespace: str, name: str) -> HttpResponse:
    component = _service_with_lead(namespace, name)
    api_relations = _API_RELATIONS(component.pk)
    dependencies = _dependencies(component)
    dependents, total_dependents = _dependents(component, DEPENDENTS_SHOWN)
    lead_name = component.lead_full_name
    drawn = _graph(component, dependents, dependencies, total_dependents)
    context = {
        "component": component,
        "lead_name": (lead_name or "").strip() or component.lead_username,
        "provides": [r for r in api_relations if r.kind == ApiRelationKind.PROVIDES],
        "consumes": [r for r in api_relations if r.kind == ApiRelationKind.CONSUMES],
        "dependencies": dependencies,
        "dependents": dependents,
        "dependents_count": total_dependents,
        "more_dependents": total_dependents - len(dependents),
        "subcomponents": list(component.subcomponents.only("namespace", "name", "title"))
        if component.has_subcomponents
        else [],
        "graph": drawn,
        "graph_svg": graph.svg(drawn, "dep-graph-caption"),
        "sections": render_service_sections(request, component),
    }
    return render(request, "catalog/service_detail.html", context)


@require_GET
def service_dependents(request: HttpRequest, namespace: str, name: str) -> HttpResponse:
    """Every service that depends on this one, a page of DEPENDENTS_SHOWN at a time."""
    component = get_entity_or_404(Component.objects.all(), namespace, name)
    ids = _dependent_ids(component)
    dependents = _components_by_shown_name(ids).only("namespace", "name", "title", "description")
    page = Paginator(dependents, DEPENDENTS_SHOWN).get_page(request.GET.get("page"))
    return render(
        request, "catalog/service_dependents.html", {"component": component, "page": page}
    )


@require_GET
def team_detail(request: HttpRequest, namespace: str, name: str) -> HttpResponse:
    team = get_entity_or_404(Team.objects.select_related("parent"), namespace, name)
    memberships = team.memberships.select_related("user").order_by("role", "user__username")
    components = (
        Component.objects.filter(owner=team).select_related("system").order_by("tier", "name")
    )
    context = {
        "team": team,
        "memberships": memberships,
        "components": components[:200],
        "component_count": components.count(),
        "apis": Api.objects.filter(owner=team)[:100],
        "systems": System.objects.filter(owner=team)[:100],
        "sections": render_team_sections(request, team),
    }
    return render(request, "catalog/team_detail.html", context)


@require_GET
def system_detail(request: HttpRequest, namespace: str, name: str) -> HttpResponse:
    system = get_entity_or_404(System.objects.select_related("owner", "domain"), namespace, name)
    context = {
        "system": system,
        "components": system.components.select_related("owner").order_by("tier", "name")[:500],
        "apis": system.apis.select_related("owner")[:200],
        "resources": system.resources.select_related("owner")[:200],
    }
    return render(request, "catalog/system_detail.html", context)


@require_GET
def domain_detail(request: HttpRequest, namespace: str, name: str) -> HttpResponse:
    domain = get_entity_or_404(Domain.objects.select_related("owner"), namespace, name)
    systems = domain.systems.select_related("owner")
    return render(request, "catalog/domain_detail.html", {"domain": domain, "systems": systems})


@require_GET
def api_detail(request: HttpRequest, namespace: str, name: str) -> HttpResponse:
    api = get_entity_or_404(Api.objects.select_related("owner", "system"), namespace, name)
    relations = ApiRelation.objects.filter(api=api).select_related("component")
    context = {
        "api": api,
        "providers": [r.component for r in relations if r.kind == ApiRelationKind.PROVIDES],
        "consumers": [r.component for r in relations if r.kind == ApiRelationKind.CONSUMES],
    }
    return render(request, "catalog/api_detail.html", context)


@require_GET
def resource_detail(request: HttpRequest, namespace: str, name: str) -> HttpResponse:
    resource = get_entity_or_404(
        Resource.objects.select_related("owner", "system"), namespace, name
    )
    dependents = resource.dependents.select_related("source")
    return render(
        request, "catalog/resource_detail.html", {"resource": resource, "dependents": dependents}
    )
