"""Catalog pages: the list with live filters, and one page per entity kind."""

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog import facets, graph
from catalog.access import get_entity_or_404
from catalog.choices import ApiRelationKind, TeamRole
from catalog.filtersets import FACETS, ComponentFilterSet
from catalog.models import (
    Api,
    ApiRelation,
    Component,
    Dependency,
    Domain,
    Resource,
    System,
    Team,
    TeamMembership,
)
from catalog.pagination import CountedPaginator, IdsFirst
from catalog.querysets import memberships_of
from catalog.sections import render_service_sections
from idp_portal.htmx import is_partial, vary_on_htmx
from idp_portal.querystrings import without

PAGE_SIZES = (25, 50, 100)
# Each sort, with the columns that make it total: every one is an index (catalog/models).
LIST_ORDERS = {
    "name": ("name", "id"),
    "tier": ("tier", "name", "id"),
    "updated": ("updated_at", "id"),
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
        base = base.filter(owner__name__in=team_names)
    filterset = ComponentFilterSet(data, queryset=base)
    # An invalid value (tier=x) is reported on the page; the other filters still apply.
    results = filterset.qs.order_by(*_ordering(filterset))
    view = facets.View.of(
        team_names if scope == "mine" else None, filterset.search_text(), filterset.active()
    )
    counted = facets.counts(view)
    rows = IdsFirst(results, lambda ids: Component.objects.filter(pk__in=ids).for_list())
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


@require_GET
def service_detail(request: HttpRequest, namespace: str, name: str) -> HttpResponse:
    component = get_entity_or_404(
        Component.objects.select_related(
            "owner", "system", "system__domain", "subcomponent_of"
        ).prefetch_related("tags", "links"),
        namespace,
        name,
    )
    api_relations = list(component.api_relations.select_related("api"))
    dependencies = list(
        component.dependencies.select_related("target_component", "target_resource")
    )
    dependents = list(
        Dependency.objects.filter(target_component=component).select_related("source")
    )
    lead = (
        TeamMembership.objects.filter(team=component.owner, role=TeamRole.LEAD)
        .select_related("user")
        .first()
        if component.owner
        else None
    )
    drawing = graph.layout(
        (component.name, None),
        [(d.source.name, d.source.get_absolute_url()) for d in dependents],
        [
            (
                d.target.name if d.target else d.target_ref,
                d.target.get_absolute_url() if d.target else None,
            )
            for d in dependencies
        ],
    )
    context = {
        "component": component,
        "lead": lead,
        "provides": [r for r in api_relations if r.kind == ApiRelationKind.PROVIDES],
        "consumes": [r for r in api_relations if r.kind == ApiRelationKind.CONSUMES],
        "dependencies": dependencies,
        "dependents": dependents,
        "subcomponents": list(component.subcomponents.all()),
        "graph": drawing,
        "sections": render_service_sections(request, component),
    }
    return render(request, "catalog/service_detail.html", context)


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
