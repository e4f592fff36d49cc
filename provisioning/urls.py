from django.urls import path

from provisioning import views, views_argocd
from provisioning.golden_paths import urls as golden_paths

app_name = "provisioning"

urlpatterns = [
    path("", views.index, name="index"),
    path(
        "services/<str:name>/environments/<slug:environment>/sync/",
        views_argocd.sync_application,
        name="service_sync",
    ),
    path("request/<slug:type_slug>/", views.request_form, name="request_form"),
    path("requests/", views.my_requests, name="my_requests"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/<slug:action>/", views.request_action, name="request_action"),
    path("approvals/", views.approvals, name="approvals"),
    path("resources/<int:pk>/<slug:action>/", views.resource_action, name="resource_action"),
    path(
        "services/<str:namespace>/<str:name>/terraform.tf",
        views.terraform_export,
        name="terraform_export",
    ),
    # The golden-path pages keep their provisioning:<name> URL names.
    *golden_paths.urlpatterns,
]
