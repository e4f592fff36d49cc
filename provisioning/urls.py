from django.urls import path

from provisioning import views, views_argocd, views_golden, views_parity, views_updates

app_name = "provisioning"

urlpatterns = [
    path("", views.index, name="index"),
    path("create-service/", views_golden.create_service, name="create_service"),
    path(
        "create-service/check-name/",
        views_golden.check_service_name,
        name="create_service_check_name",
    ),
    path(
        "create-service/<slug:slug>/",
        views_golden.create_service_form,
        name="create_service_form",
    ),
    path("services/<str:name>/deploy/", views_golden.deploy_service, name="service_deploy"),
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
    path("parity/", views_parity.parity_report, name="parity_report"),
    path("updates/", views_updates.updates_overview, name="updates"),
    path("updates/<slug:kind>/<int:pk>/open/", views_updates.open_update, name="update_open"),
    path("services/<str:name>/upgrade/", views_updates.upgrade_service, name="service_upgrade"),
]
