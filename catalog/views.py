from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from catalog.models import Team


def service_list(request: HttpRequest) -> HttpResponse:
    teams = Team.objects.order_by("name")
    return render(request, "catalog/service_list.html", {"teams": teams})


def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, slug=slug)
    memberships = team.memberships.select_related("user").order_by("-role", "user__username")
    return render(request, "catalog/team_detail.html", {"team": team, "memberships": memberships})
