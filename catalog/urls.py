from django.urls import path

from catalog import views, views_import

app_name = "catalog"

urlpatterns = [
    path("", views.service_list, name="service_list"),
    path("services/<str:namespace>/<str:name>/", views.service_detail, name="service_detail"),
    path(
        "services/<str:namespace>/<str:name>/dependents/",
        views.service_dependents,
        name="service_dependents",
    ),
    path("teams/<str:namespace>/<str:name>/", views.team_detail, name="team_detail"),
    path("systems/<str:namespace>/<str:name>/", views.system_detail, name="system_detail"),
    path("domains/<str:namespace>/<str:name>/", views.domain_detail, name="domain_detail"),
    path("apis/<str:namespace>/<str:name>/", views.api_detail, name="api_detail"),
    path("resources/<str:namespace>/<str:name>/", views.resource_detail, name="resource_detail"),
    path("import/", views_import.import_upload, name="import_upload"),
]
