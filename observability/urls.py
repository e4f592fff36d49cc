from django.urls import path

from observability import views

app_name = "observability"

urlpatterns = [
    path("", views.index, name="index"),
    path("backfill/", views.backfill, name="backfill"),
    path("refresh/", views.refresh, name="refresh"),
    path(
        "services/<str:namespace>/<str:name>/backfill/",
        views.backfill_service,
        name="backfill_service",
    ),
    path("teams/<str:name>/on-call/", views.team_on_call, name="team_on_call"),
    path(
        "teams/<str:name>/on-call/connect/",
        views.team_pagerduty_connect,
        name="team_pagerduty_connect",
    ),
    path("teams/<str:name>/on-call/now/", views.team_on_call_now, name="team_on_call_now"),
]
